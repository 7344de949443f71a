/* procscan.c - the process table, kept between passes; see procscan.h.
 *
 * A pass has three steps.  list(): one getdents of the root and, per
 * process, its stat (identity, name), fd count, limits and namespace; old
 * entries are matched by pid and start time.  choose(): which processes'
 * fds to read.  read_fds(): one getdents64 and one readlinkat per fd, the
 * expensive part, done for as few processes as it can be. */
#include <socklife/procscan.h>

#include <socklife/fileio.h>
#include <socklife/lex.h>
#include <socklife/runtime.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

struct proc_entry {
	struct proc_info info;
	struct container_ref container; /* parsed from its cgroup when last read */
	struct sock_fds VEC(struct sock_fd) held; /* its socket fds when last read */
	uint32_t census_first, census_n; /* with a census: its socket fds there instead */
	uint32_t read_pass;     /* when its fds were last read; 0 = never */
	uint32_t nfds_at_read;  /* its fd count then */
	uint32_t grew_pass;     /* the last read that found a socket it had not held */
	uint8_t runtime;        /* enum runtime, once known */
	bool runtime_known;
	bool due;               /* its fds are to be read this pass */
	bool gone;              /* it exited while its fds were read */
};

struct pid_slot {
	int32_t key; /* pid */
	uint32_t entry;
};

struct container_slot {
	char key[CONTAINER_ID_MAX];
	uint32_t index;
};

/* What a failed read of /proc says about the process. */
enum outcome { READ_OK, GONE, DENIED, FAILED };

static enum outcome outcome_of(int err)
{
	if (err >= 0)
		return READ_OK;
	if (err == -ENOENT || err == -ESRCH)
		return GONE; /* it exited: its /proc directory is going or gone */
	if (err == -EACCES || err == -EPERM)
		return DENIED;
	return FAILED; /* out of fds or memory: nothing is known about it */
}

/* --- what tells a process apart ------------------------------------------ */

/* Its container and systemd unit, from its cgroup (world-readable). */
static int read_cgroup(int piddir, struct proc_entry *e)
{
	char buf[4096];
	ssize_t len = read_small_at(piddir, "cgroup", buf, sizeof(buf));
	if (outcome_of((int)len) == FAILED)
		return (int)len;
	if (len > 0) {
		container_parse_cgroup(buf, (size_t)len, &e->container);
		container_parse_unit(buf, (size_t)len, e->info.unit);
	}
	return 0;
}

/* An interpreter's program, from its command line (world-readable). */
static int read_program(int piddir, struct proc_info *pi)
{
	char buf[4096];
	pi->program[0] = '\0';
	if (!cmdline_is_interpreter(pi->comm))
		return 0;
	ssize_t len = read_small_at(piddir, "cmdline", buf, sizeof(buf));
	if (outcome_of((int)len) == FAILED)
		return (int)len;
	if (len > 0)
		cmdline_program(pi->comm, buf, (size_t)len, pi->program);
	return 0;
}

/* --- reading one process's fds ------------------------------------------- */

/* Count a process's fds without reading them: on Linux 6.2+ the size of
 * /proc/PID/fd is the count; before that, one getdents walk. */
static int count_fds(struct procscan *ps, int piddir, uint32_t *count)
{
	struct stat st;
	if (fstatat(piddir, "fd", &st, 0) < 0)
		return -errno;
	if (ps->is_procfs && st.st_size > 0) {
		*count = (uint32_t)st.st_size;
		return 0;
	}
	int dfd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	struct dirwalk w;
	int err;
	uint32_t n = 0;
	dirwalk_start(&w, dfd, ps->dents, DIRWALK_BUF);
	while (dirwalk_next(&w, &err))
		n++;
	close(dfd);
	*count = n;
	return err;
}

/* Read every fd of the process in `piddir` into e->held: one getdents64
 * pass and one readlinkat per fd.  Also refreshes its container.  Returns
 * 0, -EACCES (not ours to read), -ENOENT/-ESRCH (it exited) or another
 * -errno (the read failed). */
static int read_fds(struct procscan *ps, int piddir, struct proc_entry *e)
{
	int dfd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == EPERM ? -EACCES : -errno;

	/* What it held before, to notice new sockets (a "recent creator"). */
	uint64_t before_max = 0;
	for (size_t i = 0; i < e->held.n; i++)
		if (e->held.v[i].inode > before_max)
			before_max = e->held.v[i].inode;
	bool had_any = e->read_pass != 0;

	vec_clear(&e->held);
	uint32_t nfds = 0;
	bool denied = false;
	int err = 0;
	struct dirwalk w;
	const char *name;
	dirwalk_start(&w, dfd, ps->dents, DIRWALK_BUF);
	while (!err && (name = dirwalk_next(&w, &err))) {
		nfds++;
		if (denied) /* listable but not readable: count only */
			continue;
		char link[64];
		ps->stats.fds_read++;
		ssize_t len = readlinkat(dfd, name, link, sizeof(link));
		enum outcome o = outcome_of(len < 0 ? -errno : 0);
		if (o == DENIED) {
			denied = true;
		} else if (o == GONE) {
			ps->stats.vanished_fds++; /* closed since getdents */
			nfds--;
		} else if (o == FAILED) {
			err = -errno;
		} else {
			uint64_t inode, fd;
			struct sock_fd *h;
			if (!procparse_fd_link(link, (size_t)len, &inode) ||
			    !lex_u64(lex_span(name, strlen(name)), 10, &fd) || fd > UINT32_MAX)
				continue;
			if (!(h = vec_push(&e->held)))
				err = -ENOMEM;
			else
				*h = (struct sock_fd){inode, (uint32_t)fd, SOCK_FD_UNKNOWN};
		}
	}
	close(dfd);
	vec_trim(&e->held); /* it closed most of what it held: give that back */
	if (err)
		return err;
	if (denied)
		return -EACCES;

	/* Socket inodes come from a counter: a new socket has an inode above
	 * every one the process held before (wrap-around only costs a hint). */
	for (size_t i = 0; i < e->held.n && had_any; i++)
		if (e->held.v[i].inode > before_max)
			e->grew_pass = ps->pass;
	e->read_pass = ps->pass;
	e->nfds_at_read = nfds;
	e->info.nfds = nfds;
	e->info.nsockets = (uint32_t)e->held.n;

	return read_cgroup(piddir, e);
}

/* --- listing processes --------------------------------------------------- */

static int list_pids(struct procscan *ps, int rootfd)
{
	struct dirwalk w;
	const char *name;
	int err;
	vec_clear(&ps->pids);
	if (ps->census) { /* the processes with fds are known */
		if (vec_reserve(&ps->pids, ps->census->procs.n + 1))
			return -ENOMEM;
		for (size_t i = 0; i < ps->census->procs.n; i++)
			ps->pids.v[ps->pids.n++] = ps->census->procs.v[i].pid;
		return 0;
	}
	dirwalk_start(&w, rootfd, ps->dents, DIRWALK_BUF);
	while ((name = dirwalk_next(&w, &err))) {
		uint64_t n;
		if (!lex_u64(lex_span(name, strlen(name)), 10, &n) || n == 0 || n > INT32_MAX)
			continue; /* "self", "net", "sys", ...: not processes */
		int32_t *pid = vec_push(&ps->pids);
		if (!pid)
			return -ENOMEM;
		*pid = (int32_t)n;
	}
	return err;
}

/* The entry of the last pass for this pid, if it is the same process. */
static struct proc_entry *previous(struct procscan *ps, int32_t pid, uint64_t start)
{
	const struct pid_slot *s = hashmap_get(&ps->by_pid, &pid);
	if (!s)
		return NULL;
	struct proc_entry *e = &ps->entries.v[s->entry];
	return e->info.start_time == start ? e : NULL;
}

static void drop_entry(struct proc_entry *e) { vec_free(&e->held); }

/* Its network namespace, as the (device, inode) of ns/net; 0 when it
 * cannot be told (no ptrace access; or the process is exiting, which the
 * fd count finds out). */
static int read_netns(int piddir, struct proc_info *pi)
{
	struct stat ns;
	pi->netns_dev = pi->netns_ino = 0;
	if (fstatat(piddir, "ns/net", &ns, 0) < 0)
		return outcome_of(-errno) == FAILED ? -errno : 0;
	pi->netns_dev = ns.st_dev;
	pi->netns_ino = ns.st_ino;
	return 0;
}

/* What a new process (maybe on a reused pid) starts from: its container,
 * even if its fds turn out unreadable; refreshed whenever its fds are read. */
static int fresh_entry(int piddir, int32_t pid, const struct proc_stat *st, struct proc_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->info.pid = pid;
	e->info.start_time = st->start_time;
	return read_cgroup(piddir, e);
}

/* With a census no fds are read, and so no cgroup with them: it is read
 * again when the process's fd count moved, and at least every
 * verify_passes passes, spread over the passes by pid.  A process moved
 * into a container after it started (a runtime's exec helper, a test's
 * cgroup) is labelled by its container from then on. */
static bool cgroup_due(const struct procscan *ps, const struct proc_entry *e, uint32_t nfds)
{
	unsigned k = ps->verify_passes ? ps->verify_passes : 1;
	if (!e->read_pass)
		return false; /* a new entry: fresh_entry has just read it */
	return nfds != e->nfds_at_read || ((uint32_t)e->info.pid + ps->pass) % k == 0;
}

/* What the census says of the process in `e`, in place of reading its
 * limits, namespace and fds.  Returns 1 (kept), 0 (no fd table: it has
 * no fds, or was born after the walk) or -errno (its cgroup unreadable
 * for want of fds or memory). */
static int take_census(struct procscan *ps, int piddir, struct proc_entry *e)
{
	const struct census_proc *cp = census_find(ps->census, e->info.pid);
	if (!cp || cp->nfds == 0) {
		drop_entry(e);
		return 0;
	}
	int err = cgroup_due(ps, e, cp->nfds) ? read_cgroup(piddir, e) : 0;
	if (err) {
		drop_entry(e);
		return err;
	}
	/* Its fds stay in the census (not copied: every socket of the host
	 * would be twice in memory). */
	vec_free(&e->held);
	e->census_first = cp->first;
	e->census_n = cp->n;
	e->info.fd_limit = cp->fd_limit;
	e->info.netns_dev = cp->netns_ino ? ps->census->netns_dev : 0;
	e->info.netns_ino = cp->netns_ino;
	e->info.fds_denied = false;
	e->info.nfds = e->nfds_at_read = cp->nfds;
	e->info.nsockets = (uint32_t)cp->n;
	e->read_pass = ps->pass;
	e->due = false;
	return 1;
}

/* Refresh one process into `e` (new, or moved from the last pass).
 * Returns 1 if it is to be kept, 0 if it is skipped (gone, kernel thread,
 * no fds), or -errno when it could not be read for another reason. */
static int refresh(struct procscan *ps, int piddir, int32_t pid, struct proc_entry *e)
{
	char buf[4096];
	struct proc_stat st;

	ssize_t len = read_small_at(piddir, "stat", buf, sizeof(buf));
	enum outcome o = outcome_of((int)len);
	if (o == FAILED)
		return (int)len;
	if (o != READ_OK || procparse_stat(buf, (size_t)len, &st) < 0) {
		ps->stats.vanished_procs++;
		return 0;
	}
	if (st.kernel_thread)
		return 0;
	struct proc_entry *old = previous(ps, pid, st.start_time);
	int err = 0;
	if (old) {
		*e = *old;
		old->held = (struct sock_fds){0}; /* moved; read again if this pass fails */
		old->read_pass = 0;
	} else if ((err = fresh_entry(piddir, pid, &st, e)) < 0) {
		return err;
	}
	/* comm changes with exec (and prctl): the program is read again then. */
	bool renamed = !old || strcmp(e->info.comm, st.comm) != 0;
	memcpy(e->info.comm, st.comm, sizeof(e->info.comm));
	e->runtime_known &= !renamed;
	if (renamed && (err = read_program(piddir, &e->info)) < 0) {
		drop_entry(e);
		return err;
	}

	if (ps->census)
		return take_census(ps, piddir, e);

	len = read_small_at(piddir, "limits", buf, sizeof(buf));
	if (outcome_of((int)len) == FAILED)
		err = (int)len;
	else if (len < 0 || procparse_limits(buf, (size_t)len, &e->info.fd_limit) < 0)
		e->info.fd_limit = 0;
	if (!err)
		err = read_netns(piddir, &e->info);

	uint32_t nfds = 0;
	if (!err)
		err = count_fds(ps, piddir, &nfds);
	o = outcome_of(err);
	e->info.fds_denied = o == DENIED;
	if (o == FAILED) {
		drop_entry(e);
		return err;
	}
	if (o == GONE || (nfds == 0 && o == READ_OK)) {
		ps->stats.vanished_procs += o == GONE;
		drop_entry(e);
		return 0; /* exited, or a zombie holding nothing */
	}
	e->info.nfds = nfds;
	e->due = o == READ_OK && (!e->read_pass || nfds != e->nfds_at_read);
	return 1;
}

static int by_read_pass(const void *a, const void *b, void *arg)
{
	const struct proc_entry *e = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	if (e[i].read_pass != e[j].read_pass)
		return e[i].read_pass < e[j].read_pass ? -1 : 1;
	return (i > j) - (i < j);
}

/* Pick the processes read longest ago, so that each is read again at
 * least every verify_passes passes. */
static int choose_rotation(struct procscan *ps)
{
	unsigned k = ps->verify_passes ? ps->verify_passes : 1;

	if (vec_reserve(&ps->order, ps->entries.n + 1))
		return -ENOMEM;
	vec_clear(&ps->order);
	for (uint32_t i = 0; i < ps->entries.n; i++)
		if (!ps->entries.v[i].due && !ps->entries.v[i].info.fds_denied)
			ps->order.v[ps->order.n++] = i;
	qsort_r(ps->order.v, ps->order.n, sizeof(*ps->order.v), by_read_pass, ps->entries.v);
	size_t want = (ps->entries.n + k - 1) / k;
	for (size_t i = 0; i < want && i < ps->order.n; i++)
		ps->entries.v[ps->order.v[i]].due = true;
	return 0;
}

/* --- laying out the pass --------------------------------------------------- */

static int intern_container(struct procscan *ps, const struct container_ref *ref)
{
	if (!ref->id[0])
		return 0;
	struct container_slot key = {0};
	memcpy(key.key, ref->id, sizeof(key.key));
	bool added;
	struct container_slot *s = hashmap_put(&ps->container_ids, key.key, &added);
	if (!s)
		return -ENOMEM;
	if (added) {
		struct container_ref *c = vec_push(&ps->containers);
		if (!c)
			return -ENOMEM;
		*c = *ref;
		s->index = (uint32_t)(ps->containers.n - 1);
	}
	return (int)s->index;
}

static int lay_out(struct procscan *ps)
{
	if (vec_reserve(&ps->procs, ps->entries.n + 1) || vec_reserve(&ps->containers, 1))
		return -ENOMEM;
	hashmap_clear(&ps->container_ids);
	ps->containers.n = 1; /* entry 0 stays "no container" */
	memset(&ps->containers.v[0], 0, sizeof(ps->containers.v[0]));
	ps->procs.n = ps->entries.n;
	vec_trim(&ps->procs);
	for (uint32_t i = 0; i < ps->entries.n; i++) {
		struct proc_entry *e = &ps->entries.v[i];
		int c = intern_container(ps, &e->container);
		if (c < 0)
			return c;
		e->info.container = (uint32_t)c;
		ps->procs.v[i] = e->info;
	}
	return 0;
}

/* Index this pass's entries by pid for the next pass to find them. */
static int index_pids(struct procscan *ps)
{
	hashmap_clear(&ps->by_pid);
	if (hashmap_reserve(&ps->by_pid, ps->entries.n))
		return -ENOMEM;
	for (uint32_t i = 0; i < ps->entries.n; i++) {
		bool added;
		struct pid_slot *s = hashmap_put(&ps->by_pid, &ps->entries.v[i].info.pid, &added);
		if (!s)
			return -ENOMEM;
		s->entry = i;
	}
	return 0;
}

static int open_pid(int rootfd, int32_t pid)
{
	char name[16];
	snprintf(name, sizeof(name), "%d", (int)pid);
	int fd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Read the fds of entry i; one that exited meanwhile is marked gone. */
static int read_entry(struct procscan *ps, int rootfd, uint32_t i)
{
	struct proc_entry *e = &ps->entries.v[i];
	int piddir = open_pid(rootfd, e->info.pid);
	int err = piddir;
	if (piddir >= 0) {
		ps->stats.fd_reads++;
		err = read_fds(ps, piddir, e);
		close(piddir);
	}
	switch (outcome_of(err)) {
	case DENIED:
		e->info.fds_denied = true;
		return 0;
	case GONE:
		e->gone = true;
		return 0;
	case FAILED:
		return err;
	default:
		return 0;
	}
}

/* Drop the entries of processes that exited while being read. */
static void drop_gone(struct procscan *ps)
{
	size_t n = 0;
	for (size_t i = 0; i < ps->entries.n; i++) {
		if (ps->entries.v[i].gone) {
			ps->stats.vanished_procs++;
			drop_entry(&ps->entries.v[i]);
		} else {
			ps->entries.v[n++] = ps->entries.v[i];
		}
	}
	ps->entries.n = n;
}

/* Build this pass's entries in `spare`, moving the old ones over, then
 * swap: what is left in the old table exited since the last pass. */
static int list(struct procscan *ps, int rootfd)
{
	int err = list_pids(ps, rootfd);
	if (err || (err = vec_reserve(&ps->spare, ps->pids.n + 1)))
		return err;
	ps->spare.n = 0;
	for (size_t i = 0; i < ps->pids.n; i++) {
		int piddir = open_pid(rootfd, ps->pids.v[i]);
		enum outcome o = outcome_of(piddir);
		if (o == FAILED)
			return piddir;
		if (o != READ_OK) {
			ps->stats.vanished_procs++;
			continue;
		}
		int kept = refresh(ps, piddir, ps->pids.v[i], &ps->spare.v[ps->spare.n]);
		close(piddir);
		if (kept < 0) {
			for (size_t j = 0; j < ps->spare.n; j++)
				drop_entry(&ps->spare.v[j]);
			return kept;
		}
		ps->spare.n += (size_t)kept;
	}
	for (size_t i = 0; i < ps->entries.n; i++)
		drop_entry(&ps->entries.v[i]);
	struct proc_entries t = ps->entries;
	ps->entries = ps->spare;
	ps->spare = t;
	/* Fewer processes than at a peak: both tables shrink to this pass's
	 * (spare's elements are stale copies, owning nothing). */
	vec_trim(&ps->entries);
	vec_shrink((void **)&ps->spare.v, &ps->spare.cap, ps->entries.n, sizeof(*ps->spare.v));
	return 0;
}

void procscan_init(struct procscan *ps, const char *root, unsigned verify_passes)
{
	*ps = (struct procscan){
		.root = root,
		.verify_passes = verify_passes,
		.by_pid = HASHMAP_INIT(struct pid_slot),
		.container_ids = HASHMAP_INIT(struct container_slot),
	};
}

int procscan_run(struct procscan *ps, const struct census *census)
{
	int ret;

	ps->pass++;
	/* After passes that took a census, no process's fds were kept: every
	 * one is read again. */
	if (ps->census && !census)
		for (size_t i = 0; i < ps->entries.n; i++)
			ps->entries.v[i].read_pass = 0;
	ps->census = census;
	memset(&ps->stats, 0, sizeof(ps->stats));
	if (!ps->dents && !(ps->dents = malloc(DIRWALK_BUF)))
		return -ENOMEM;
	int rootfd = open(ps->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	/* Only procfs reports an fd count as a directory's size. */
	struct statfs sfs;
	ps->is_procfs = fstatfs(rootfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
	if ((ret = list(ps, rootfd)) || (!census && (ret = choose_rotation(ps))))
		goto out;
	for (uint32_t i = 0; i < ps->entries.n; i++)
		if (ps->entries.v[i].due && (ret = read_entry(ps, rootfd, i)))
			goto out;
	drop_gone(ps);
	for (uint32_t i = 0; i < ps->entries.n; i++)
		ps->stats.denied_procs += ps->entries.v[i].info.fds_denied;
	if (!(ret = index_pids(ps)))
		ret = lay_out(ps);
out:
	close(rootfd);
	return ret;
}

enum runtime procscan_runtime(struct procscan *ps, size_t proc)
{
	struct proc_entry *e = &ps->entries.v[proc];
	if (e->runtime_known)
		return e->runtime;
	enum runtime r = runtime_of_comm(e->info.comm);
	if (r == RUNTIME_UNKNOWN) {
		/* A native program: Go's linker leaves a note in the first page. */
		char path[4096], head[4096];
		snprintf(path, sizeof(path), "%s/%d/exe", ps->root, (int)e->info.pid);
		ssize_t n = read_small_at(AT_FDCWD, path, head, sizeof(head));
		if (n > 0 && runtime_elf_is_go(head, (size_t)n))
			r = RUNTIME_GO;
	}
	e->runtime = (uint8_t)r;
	e->runtime_known = true;
	return r;
}

const struct sock_fd *procscan_sockets(const struct procscan *ps, size_t proc, size_t *n)
{
	const struct proc_entry *e = &ps->entries.v[proc];
	if (ps->census) {
		*n = e->census_n;
		return ps->census->fds.v + e->census_first;
	}
	*n = e->held.n;
	return e->held.v;
}

bool procscan_read_now(const struct procscan *ps, size_t proc)
{
	return ps->entries.v[proc].read_pass == ps->pass;
}

/* Likeliest holders of a new socket first: processes that recently gained
 * sockets, then those holding the most. */
static int likelier(const void *a, const void *b, void *arg)
{
	const struct proc_entry *e = arg;
	const struct proc_entry *x = &e[*(const uint32_t *)a], *y = &e[*(const uint32_t *)b];
	if (x->grew_pass != y->grew_pass)
		return x->grew_pass < y->grew_pass ? 1 : -1;
	return (x->held.n < y->held.n) - (x->held.n > y->held.n);
}

long procscan_read_more(struct procscan *ps, size_t max_reads,
			bool (*enough)(void *ctx, size_t proc), void *ctx, bool *exhausted)
{
	size_t k;

	*exhausted = false;
	if (vec_reserve(&ps->order, ps->entries.n + 1))
		return -ENOMEM;
	vec_clear(&ps->order);
	for (uint32_t i = 0; i < ps->entries.n; i++)
		if (!procscan_read_now(ps, i) && !ps->entries.v[i].info.fds_denied)
			ps->order.v[ps->order.n++] = i;
	qsort_r(ps->order.v, ps->order.n, sizeof(*ps->order.v), likelier, ps->entries.v);

	int rootfd = open(ps->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	bool done = false;
	for (k = 0; k < ps->order.n && k < max_reads && !done; k++) {
		uint32_t i = ps->order.v[k];
		int err = read_entry(ps, rootfd, i);
		if (err) {
			close(rootfd);
			return err;
		}
		if (!procscan_read_now(ps, i))
			continue; /* gone or unreadable: keep what it had */
		ps->procs.v[i].nsockets = ps->entries.v[i].info.nsockets; /* nfds stays this pass's */
		done = enough(ctx, i);
	}
	close(rootfd);
	*exhausted = k == ps->order.n;
	return (long)k;
}

bool procscan_still_held(const struct procscan *ps, size_t proc, uint32_t fd, uint64_t inode)
{
	char path[4096], link[64];
	uint64_t held;
	snprintf(path, sizeof(path), "%s/%d/fd/%u", ps->root, (int)ps->procs.v[proc].pid, fd);
	ssize_t len = readlink(path, link, sizeof(link));
	/* Not ours to read: a census (this pass's walk) is the best word. */
	if (len < 0 && (errno == EACCES || errno == EPERM) && ps->census)
		return true;
	return len > 0 && procparse_fd_link(link, (size_t)len, &held) && held == inode;
}

void procscan_free(struct procscan *ps)
{
	for (size_t i = 0; i < ps->entries.n; i++)
		drop_entry(&ps->entries.v[i]);
	vec_free(&ps->entries);
	vec_free(&ps->spare);
	vec_free(&ps->procs);
	vec_free(&ps->containers);
	vec_free(&ps->pids);
	vec_free(&ps->order);
	hashmap_free(&ps->by_pid);
	hashmap_free(&ps->container_ids);
	free(ps->dents);
	procscan_init(ps, ps->root, ps->verify_passes);
}
