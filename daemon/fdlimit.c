/* fdlimit.c - the soft fd limit and the connections it leaves room for;
 * see fdlimit.h. */
#include <socklife/fdlimit.h>

#include <errno.h>
#include <sys/resource.h>

static uint64_t as_u64(rlim_t v) { return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v; }

int fdlimit_raise(struct fdlimit *out)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	out->was = out->soft = as_u64(rl.rlim_cur);
	out->hard = as_u64(rl.rlim_max);
	if (rl.rlim_cur == rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	/* An unlimited hard limit cannot be the soft one (fs.nr_open caps
	 * it): then the soft one stays, which is already all there is. */
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		out->soft = out->hard;
	return 0;
}

unsigned fdlimit_connections(uint64_t limit, uint64_t open, unsigned want)
{
	uint64_t taken = open + FDLIMIT_SERVER_FDS + FDLIMIT_PASS_RESERVE + 1;
	if (limit <= taken)
		return 1;
	uint64_t room = (limit - taken) / FDLIMIT_FDS_PER_CONNECTION;
	if (room == 0)
		return 1;
	return room < want ? (unsigned)room : want;
}
