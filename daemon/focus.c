/* focus.c - the sockets of one process; see focus.h. */
#include <socklife/focus.h>

#include <errno.h>
#include <stdlib.h>

void focus_begin(struct focus *f) { vec_clear(&f->socks); }

static int keep(struct focus *f, uint32_t fd, const struct sl_socket *s, enum side side,
		double silent, bool unhashed)
{
	struct focus_sock *fs = vec_push(&f->socks);
	if (!fs)
		return -ENOMEM;
	*fs = (struct focus_sock){fd, *s, side, silent, unhashed};
	return 0;
}

int focus_socket(struct focus *f, const struct proc_info *procs, const struct attributed *a)
{
	int err = 0;
	for (size_t i = 0; i < a->nprocs && f->pid && !err; i++)
		if (procs[a->procs[i]].pid == f->pid)
			err = keep(f, a->fds[i], a->s, a->side, a->age, false);
	return err;
}

int focus_unhashed(struct focus *f, const struct proc_info *procs, uint64_t inode, uint8_t proto,
		   const uint32_t *holders, const uint32_t *fds, size_t n)
{
	struct sl_socket s = {.inode = inode, .proto = proto};
	int err = 0;
	for (size_t i = 0; i < n && f->pid && !err; i++)
		if (procs[holders[i]].pid == f->pid)
			err = keep(f, fds[i], &s, SIDE_NONE, 0, true);
	return err;
}

static int by_fd(const void *a, const void *b)
{
	uint32_t x = ((const struct focus_sock *)a)->fd, y = ((const struct focus_sock *)b)->fd;
	return (x > y) - (x < y);
}

void focus_end(struct focus *f)
{
	if (f->socks.n > 1) /* qsort's array must not be NULL, even empty */
		qsort(f->socks.v, f->socks.n, sizeof(*f->socks.v), by_fd);
}

void focus_free(struct focus *f) { vec_free(&f->socks); }
