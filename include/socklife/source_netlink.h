/* source_netlink.h - sockets from sock_diag, read inside each namespace.
 *
 * sock_diag only answers for the namespace its socket was opened in, so
 * the source enters each namespace with setns() on a short-lived thread of
 * its own (setns is per thread; the caller never moves), opens a diag
 * socket there and closes it before the thread ends: holding none between
 * passes means it never keeps a namespace alive.  Every TCP dump walks the kernel's
 * host-wide hash whichever namespace asks, so a protocol with no socket in
 * use there (its protocols and sockstat files say) is not dumped; IPv4 and
 * IPv6 TCP come from one request where the kernel takes it.  tcp_info is
 * asked for only in a second dump filtered in the kernel to the
 * TIMED_STATES, and only when the first saw such a socket. */
#ifndef SOCKLIFE_SOURCE_NETLINK_H
#define SOCKLIFE_SOURCE_NETLINK_H

#include <socklife/source.h>

/* A source for the namespaces found under `proc_root` and `run_dir`
 * (normally /run/netns).  Opens the diag socket of the calling thread's
 * namespace, which it reads without entering.  0 or -errno. */
int source_netlink_new(struct source **out, const char *proc_root, const char *run_dir);

#endif
