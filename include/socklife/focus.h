/* focus.h - every socket of one process, for `socklife top --pid PID`.
 *
 * The drill-down after "which process": which fds, in which state, to
 * where, how long silent.  The pass hands each attributed socket (and each
 * socket fd no dump listed) here too; only the focused pid's are kept. */
#ifndef SOCKLIFE_FOCUS_H
#define SOCKLIFE_FOCUS_H

#include <socklife/attrib.h>
#include <socklife/vec.h>

#include <stdbool.h>
#include <stdint.h>

struct focus_sock {
	uint32_t fd;
	struct sl_socket s;  /* as the source reported it (unhashed: inode and proto only) */
	enum side side;
	double silent;       /* seconds, for CLOSE_WAIT and FIN_WAIT2 */
	bool unhashed;       /* held, but in no dump */
};

struct focus {
	int32_t pid;         /* the process looked at; 0: none */
	struct focus_socks VEC(struct focus_sock) socks; /* this pass's, by fd once sorted */
};

/* Forget the last pass's sockets. */
void focus_begin(struct focus *f);

/* A socket attribution handed on, held by `procs` (the pass's processes). */
int focus_socket(struct focus *f, const struct proc_info *procs, const struct attributed *a);

/* A socket fd of `procs[...]` no dump listed. */
int focus_unhashed(struct focus *f, const struct proc_info *procs, uint64_t inode, uint8_t proto,
		   const uint32_t *holders, const uint32_t *fds, size_t n);

/* Sort the sockets by fd. */
void focus_end(struct focus *f);

void focus_free(struct focus *f);

#endif
