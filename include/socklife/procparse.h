/* procparse.h - pure parsers of the /proc files socklife reads.
 *
 * Bytes in, values out, no I/O: unit tests feed them edge cases and the
 * fuzzers feed them garbage.  Process names in particular are untrusted: a
 * comm may hold parentheses, spaces, newlines and bytes that are not UTF-8. */
#ifndef SOCKLIFE_PROCPARSE_H
#define SOCKLIFE_PROCPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROC_COMM_MAX 64 /* the kernel's comm is at most 15 bytes; fake trees may say more */

struct proc_stat {
	char comm[PROC_COMM_MAX];
	uint64_t start_time; /* clock ticks after boot (field 22) */
	bool kernel_thread;  /* PF_KTHREAD: holds no fds */
};

/* /proc/PID/stat: comm (between the first '(' and the last ')', since comm
 * may itself contain parentheses), flags and start time.  0 or -EINVAL. */
int procparse_stat(const char *buf, size_t len, struct proc_stat *out);

/* /proc/PID/limits: the soft "Max open files" (0 for unlimited).  0 or -EINVAL. */
int procparse_limits(const char *buf, size_t len, uint64_t *soft_nofile);

/* A readlink of /proc/PID/fd/N: 1 and the inode for "socket:[N]", 0 for
 * anything else. */
int procparse_fd_link(const char *link, size_t len, uint64_t *inode);

#endif
