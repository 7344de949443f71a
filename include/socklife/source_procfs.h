/* source_procfs.h - sockets from /proc/PID/net/{tcp,tcp6,udp,udp6,unix}.
 *
 * The way in when socklife may not enter a namespace (no CAP_SYS_ADMIN for
 * setns): any process's /proc/PID/net shows its namespace's sockets as
 * text.  Slower than sock_diag, without cookies (sockets are keyed by
 * inode instead) or tcp_info, and unable to tell a UNIX socket whose peer
 * is gone.  A namespace with no process in it cannot be read this way. */
#ifndef SOCKLIFE_SOURCE_PROCFS_H
#define SOCKLIFE_SOURCE_PROCFS_H

#include <socklife/source.h>

int source_procfs_new(struct source **out, const char *proc_root);

#endif
