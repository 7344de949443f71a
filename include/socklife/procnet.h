/* procnet.h - sockets from /proc/PID/net/{tcp,tcp6,udp,udp6,unix}.
 *
 * The fallback for namespaces socklife cannot enter (no CAP_SYS_ADMIN for
 * setns): any process's /proc/PID/net shows its namespace's sockets as
 * text.  It is slower than sock_diag and has no cookies, so sockets are
 * keyed by inode instead (with the top bit set, so the key never meets a
 * real cookie), and UNIX sockets whose peer is gone cannot be told apart.
 * Parsing is pure: text in, sockets out. */
#ifndef SOCKLIFE_PROCNET_H
#define SOCKLIFE_PROCNET_H

#include <socklife/sockdiag.h>

#include <stddef.h>

/* Parse whole lines of a tcp/tcp6/udp/udp6 file (the header line is
 * skipped).  Malformed lines are counted in stats->unknown_states.  Every
 * socket goes to the parser's callback; a callback error stops nothing
 * here but is kept in p->err. */
void procnet_parse_inet(struct sockdiag_parser *p, const char *buf, size_t len, uint8_t family);

/* The same for /proc/net/unix. */
void procnet_parse_unix(struct sockdiag_parser *p, const char *buf, size_t len);

/* Read and parse one file, streaming (it can hold hundreds of thousands of
 * lines).  p->proto says which parser.  0 or -errno (the callback's too). */
int procnet_read(struct sockdiag_parser *p, const char *path, uint8_t family);

#endif
