/* procscan.c - the process table, kept between passes; see procscan.h.
 *
 * A pass has three steps.  list(): one getdents of the root and, per
 * process, its stat (identity, name), fd count, limits and namespace; old
 * entries are matched by pid and start time.  choose(): which processes'
 * fds to read.  read_fds(): one getdents64 and one readlinkat per fd, the
 * expensive part, done for as few processes as it can be. */
#include <socklife/procscan.h>

#include <socklife/array.h>
#include <socklife/fileio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define DENTS_BUF 32768

struct held {
	uint64_t inode;
	uint32_t fd;
};

struct proc_entry {
	struct proc_info info;
	struct container_ref container; /* parsed when its fds were last read */
	struct held *held;              /* its socket fds when last read */
	uint32_t nheld, held_cap;
	uint32_t read_pass;     /* when its fds were last read; 0 = never */
	uint32_t nfds_at_read;  /* its fd count then */
	uint32_t grew_pass;     /* the last read that found a socket it had not held */
	size_t first_holder;    /* where its holders start in ps->holders this pass */
	bool due;               /* its fds are to be read this pass */
	bool gone;              /* it exited while its fds were read */
};

static uint64_t id_hash(const char *id)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 0x100000001b3ULL;
	return h;
}

static size_t pid_slot(int32_t pid, size_t cap)
{
	return (size_t)(((uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
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
	uint32_t n = 0;
	ssize_t got;
	while ((got = getdents64(dfd, ps->dents, DENTS_BUF)) > 0) {
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *de = (struct dirent64 *)(ps->dents + off);
			off += de->d_reclen;
			n += de->d_name[0] != '.';
		}
	}
	int err = got < 0 ? -errno : 0;
	close(dfd);
	*count = n;
	return err;
}

static int add_held(struct proc_entry *e, uint64_t inode, uint32_t fd)
{
	if (e->nheld == e->held_cap) {
		uint32_t cap = e->held_cap ? e->held_cap * 2 : 16;
		struct held *h = realloc(e->held, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		e->held = h;
		e->held_cap = cap;
	}
	e->held[e->nheld++] = (struct held){inode, fd};
	return 0;
}

/* Read every fd of the process in `piddir` into e->held: one getdents64
 * pass and one readlinkat per fd.  Also refreshes its container.  Returns
 * 0, -EACCES (not ours to read), -ENOENT/-ESRCH (it exited) or -ENOMEM. */
static int read_fds(struct procscan *ps, int piddir, struct proc_entry *e)
{
	char buf[4096];
	int dfd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == EPERM ? -EACCES : -errno;

	/* What it held before, to notice new sockets (a "recent creator"). */
	uint64_t before_max = 0;
	for (uint32_t i = 0; i < e->nheld; i++)
		if (e->held[i].inode > before_max)
			before_max = e->held[i].inode;
	bool had_any = e->read_pass != 0;

	e->nheld = 0;
	uint32_t nfds = 0;
	bool denied = false;
	int err = 0;
	ssize_t got;
	while (!err && (got = getdents64(dfd, ps->dents, DENTS_BUF)) > 0) {
		for (ssize_t off = 0; off < got && !err;) {
			struct dirent64 *de = (struct dirent64 *)(ps->dents + off);
			off += de->d_reclen;
			if (de->d_name[0] == '.')
				continue;
			if (denied) { /* listable but not readable: count only */
				nfds++;
				continue;
			}
			char link[64];
			ps->stats.fds_read++;
			ssize_t len = readlinkat(dfd, de->d_name, link, sizeof(link));
			if (len < 0) {
				if (errno == EACCES || errno == EPERM) {
					denied = true;
					nfds++;
				} else {
					ps->stats.vanished_fds++; /* closed since getdents */
				}
				continue;
			}
			nfds++;
			uint64_t inode;
			if (procparse_fd_link(link, (size_t)len, &inode))
				err = add_held(e, inode, (uint32_t)strtoul(de->d_name, NULL, 10));
		}
	}
	if (!err && got < 0)
		err = -errno;
	close(dfd);
	if (err)
		return err;
	if (denied)
		return -EACCES;

	/* Socket inodes come from a counter: a new socket has an inode above
	 * every one the process held before (wrap-around only costs a hint). */
	for (uint32_t i = 0; i < e->nheld && had_any; i++)
		if (e->held[i].inode > before_max)
			e->grew_pass = ps->pass;
	e->read_pass = ps->pass;
	e->nfds_at_read = nfds;
	e->info.nfds = nfds;
	e->info.nsockets = e->nheld;

	ssize_t len = read_small_at(piddir, "cgroup", buf, sizeof(buf));
	if (len > 0)
		container_parse_cgroup(buf, (size_t)len, &e->container);
	return 0;
}

/* --- listing processes --------------------------------------------------- */

static int list_pids(struct procscan *ps, int rootfd, size_t *npids)
{
	size_t n = 0;
	for (;;) {
		ssize_t got = getdents64(rootfd, ps->dents, DENTS_BUF);
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *de = (struct dirent64 *)(ps->dents + off);
			off += de->d_reclen;
			const char *s = de->d_name;
			size_t len = strlen(s);
			if (len == 0 || len > 9 || strspn(s, "0123456789") != len)
				continue; /* "self", "net", "sys", ...: not processes */
			if (array_reserve((void **)&ps->pids, &ps->pids_cap, n + 1, sizeof(*ps->pids)))
				return -ENOMEM;
			ps->pids[n++] = (int32_t)strtol(s, NULL, 10);
		}
	}
	*npids = n;
	return 0;
}

/* The entry of the last pass for this pid, if it is the same process. */
static struct proc_entry *previous(struct procscan *ps, int32_t pid, uint64_t start)
{
	if (!ps->pid_index_cap)
		return NULL;
	for (size_t s = pid_slot(pid, ps->pid_index_cap); ps->pid_index[s];
	     s = (s + 1) & (ps->pid_index_cap - 1)) {
		struct proc_entry *e = &ps->entries[ps->pid_index[s] - 1];
		if (e->info.pid == pid)
			return e->info.start_time == start ? e : NULL;
	}
	return NULL;
}

static void drop_entry(struct proc_entry *e)
{
	free(e->held);
	e->held = NULL;
	e->nheld = e->held_cap = 0;
}

/* Refresh one process into `e` (new, or moved from the last pass).
 * Returns 1 if it is to be kept, 0 if it is skipped (gone, kernel thread,
 * no fds), -ENOMEM. */
static int refresh(struct procscan *ps, int piddir, int32_t pid, struct proc_entry *e)
{
	char buf[4096];
	struct proc_stat st;

	ssize_t len = read_small_at(piddir, "stat", buf, sizeof(buf));
	if (len < 0 || procparse_stat(buf, (size_t)len, &st) < 0) {
		ps->stats.vanished_procs++;
		return 0;
	}
	if (st.kernel_thread)
		return 0;
	struct proc_entry *old = previous(ps, pid, st.start_time);
	if (old) {
		*e = *old;
		old->held = NULL; /* moved */
	} else {
		memset(e, 0, sizeof(*e)); /* a new process, maybe on a reused pid */
		e->info.pid = pid;
		e->info.start_time = st.start_time;
		/* Its container, even if its fds turn out unreadable (the cgroup
		 * file is world-readable); refreshed whenever its fds are read. */
		len = read_small_at(piddir, "cgroup", buf, sizeof(buf));
		if (len > 0)
			container_parse_cgroup(buf, (size_t)len, &e->container);
	}
	memcpy(e->info.comm, st.comm, sizeof(e->info.comm)); /* comm can change */

	len = read_small_at(piddir, "limits", buf, sizeof(buf));
	if (len < 0 || procparse_limits(buf, (size_t)len, &e->info.fd_limit) < 0)
		e->info.fd_limit = 0;

	struct stat ns;
	if (fstatat(piddir, "ns/net", &ns, 0) == 0) {
		e->info.netns_dev = ns.st_dev;
		e->info.netns_ino = ns.st_ino;
	} else {
		e->info.netns_dev = e->info.netns_ino = 0;
	}

	uint32_t nfds = 0;
	int err = count_fds(ps, piddir, &nfds);
	e->info.fds_denied = err == -EACCES || err == -EPERM;
	if (err && !e->info.fds_denied) {
		ps->stats.vanished_procs++;
		drop_entry(e);
		return 0;
	}
	e->info.nfds = nfds;
	if (nfds == 0 && !e->info.fds_denied) {
		drop_entry(e);
		return 0; /* zombies and the like hold nothing */
	}
	e->due = !e->info.fds_denied && (!e->read_pass || nfds != e->nfds_at_read);
	return 1;
}

static int by_read_pass(const void *a, const void *b, void *arg)
{
	const struct proc_entry *e = arg;
	uint32_t x = e[*(const uint32_t *)a].read_pass, y = e[*(const uint32_t *)b].read_pass;
	if (x != y)
		return x < y ? -1 : 1;
	return (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

/* Pick the processes read longest ago, so that each is read again at
 * least every verify_passes passes. */
static int choose_rotation(struct procscan *ps)
{
	size_t n = 0;
	unsigned k = ps->verify_passes ? ps->verify_passes : 1;

	if (array_reserve((void **)&ps->order, &ps->order_cap, ps->nentries + 1, sizeof(*ps->order)))
		return -ENOMEM;
	for (uint32_t i = 0; i < ps->nentries; i++)
		if (!ps->entries[i].due && !ps->entries[i].info.fds_denied)
			ps->order[n++] = i;
	qsort_r(ps->order, n, sizeof(*ps->order), by_read_pass, ps->entries);
	size_t want = (ps->nentries + k - 1) / k;
	for (size_t i = 0; i < want && i < n; i++)
		ps->entries[ps->order[i]].due = true;
	return 0;
}

/* --- laying out the pass --------------------------------------------------- */

static int intern_container(struct procscan *ps, const struct container_ref *ref)
{
	if (!ref->id[0])
		return 0;
	if (ps->ncontainers + 2 > ps->containers_cap / 2) {
		size_t cap = ps->containers_cap ? ps->containers_cap * 2 : 64;
		struct container_ref *c = realloc(ps->containers, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		ps->containers = c;
		uint32_t *idx = calloc(cap, sizeof(*idx));
		if (!idx)
			return -ENOMEM;
		ps->containers_cap = cap;
		free(ps->container_index);
		ps->container_index = idx;
		for (uint32_t i = 1; i <= ps->ncontainers; i++) {
			size_t s = id_hash(c[i].id) & (cap - 1);
			while (idx[s])
				s = (s + 1) & (cap - 1);
			idx[s] = i;
		}
	}
	size_t mask = ps->containers_cap - 1, s = id_hash(ref->id) & mask;
	for (; ps->container_index[s]; s = (s + 1) & mask)
		if (strcmp(ps->containers[ps->container_index[s]].id, ref->id) == 0)
			return (int)ps->container_index[s];
	uint32_t i = (uint32_t)++ps->ncontainers; /* entry 0 stays "no container" */
	ps->containers[i] = *ref;
	ps->container_index[s] = i;
	return (int)i;
}

static int append_holders(struct procscan *ps, uint32_t proc)
{
	struct proc_entry *e = &ps->entries[proc];
	if (array_reserve((void **)&ps->holders, &ps->holders_cap, ps->nholders + e->nheld,
		    sizeof(*ps->holders)))
		return -ENOMEM;
	e->first_holder = ps->nholders;
	for (uint32_t i = 0; i < e->nheld; i++)
		ps->holders[ps->nholders++] = (struct sock_holder){e->held[i].inode, proc, e->held[i].fd};
	return 0;
}

static int lay_out(struct procscan *ps)
{
	if (array_reserve((void **)&ps->procs, &ps->procs_cap, ps->nentries + 1, sizeof(*ps->procs)))
		return -ENOMEM;
	ps->ncontainers = 0;
	if (ps->container_index)
		memset(ps->container_index, 0, ps->containers_cap * sizeof(*ps->container_index));
	ps->nprocs = ps->nentries;
	ps->nholders = 0;
	for (uint32_t i = 0; i < ps->nentries; i++) {
		struct proc_entry *e = &ps->entries[i];
		int c = intern_container(ps, &e->container);
		if (c < 0)
			return c;
		e->info.container = (uint32_t)c;
		ps->procs[i] = e->info;
		int err = append_holders(ps, i);
		if (err)
			return err;
	}
	return 0;
}

/* Index this pass's entries by pid for the next pass to find them. */
static int index_pids(struct procscan *ps)
{
	size_t cap = 64;
	while (cap < 2 * ps->nentries)
		cap *= 2;
	if (array_reserve((void **)&ps->pid_index, &ps->pid_index_cap, cap, sizeof(*ps->pid_index)))
		return -ENOMEM;
	memset(ps->pid_index, 0, ps->pid_index_cap * sizeof(*ps->pid_index));
	for (uint32_t i = 0; i < ps->nentries; i++) {
		size_t s = pid_slot(ps->entries[i].info.pid, ps->pid_index_cap);
		while (ps->pid_index[s])
			s = (s + 1) & (ps->pid_index_cap - 1);
		ps->pid_index[s] = i + 1;
	}
	return 0;
}

static int open_pid(int rootfd, int32_t pid)
{
	char name[16];
	snprintf(name, sizeof(name), "%d", (int)pid);
	return openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Read the fds of entry i; one that exited meanwhile is marked gone. */
static int read_entry(struct procscan *ps, int rootfd, uint32_t i)
{
	struct proc_entry *e = &ps->entries[i];
	int piddir = open_pid(rootfd, e->info.pid);
	int err = piddir < 0 ? -ENOENT : 0;
	if (piddir >= 0) {
		ps->stats.fd_reads++;
		err = read_fds(ps, piddir, e);
		close(piddir);
	}
	if (err == -EACCES || err == -EPERM)
		e->info.fds_denied = true;
	else if (err == -ENOENT || err == -ESRCH)
		e->gone = true;
	return err == -ENOMEM ? err : 0;
}

/* Drop the entries of processes that exited while being read. */
static void drop_gone(struct procscan *ps)
{
	size_t n = 0;
	for (size_t i = 0; i < ps->nentries; i++) {
		if (ps->entries[i].gone) {
			ps->stats.vanished_procs++;
			drop_entry(&ps->entries[i]);
		} else {
			ps->entries[n++] = ps->entries[i];
		}
	}
	ps->nentries = n;
}

int procscan_run(struct procscan *ps)
{
	size_t npids = 0;
	int ret;

	ps->pass++;
	memset(&ps->stats, 0, sizeof(ps->stats));
	if (!ps->dents && !(ps->dents = malloc(DENTS_BUF)))
		return -ENOMEM;
	int rootfd = open(ps->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	/* Only procfs reports an fd count as a directory's size. */
	struct statfs sfs;
	ps->is_procfs = fstatfs(rootfd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
	if ((ret = list_pids(ps, rootfd, &npids)))
		goto out;

	/* Build this pass's entries in `spare`, moving the old ones over. */
	if ((ret = array_reserve((void **)&ps->spare, &ps->spare_cap, npids + 1, sizeof(*ps->spare))))
		goto out;
	size_t n = 0;
	for (size_t i = 0; i < npids; i++) {
		int piddir = open_pid(rootfd, ps->pids[i]);
		if (piddir < 0) {
			ps->stats.vanished_procs++;
			continue;
		}
		int kept = refresh(ps, piddir, ps->pids[i], &ps->spare[n]);
		close(piddir);
		if (kept < 0) {
			ret = kept;
			goto out;
		}
		n += (size_t)kept;
	}
	for (size_t i = 0; i < ps->nentries; i++)
		drop_entry(&ps->entries[i]); /* processes gone since the last pass */
	struct proc_entry *t = ps->entries;
	size_t tcap = ps->entries_cap;
	ps->entries = ps->spare;
	ps->entries_cap = ps->spare_cap;
	ps->spare = t;
	ps->spare_cap = tcap;
	ps->nentries = n;

	if ((ret = choose_rotation(ps)))
		goto out;
	for (uint32_t i = 0; i < ps->nentries; i++) {
		struct proc_entry *e = &ps->entries[i];
		if (e->due && (ret = read_entry(ps, rootfd, i)))
			goto out;
	}
	drop_gone(ps);
	for (uint32_t i = 0; i < ps->nentries; i++)
		ps->stats.denied_procs += ps->entries[i].info.fds_denied;
	if ((ret = index_pids(ps)) || (ret = lay_out(ps)))
		goto out;
out:
	close(rootfd);
	return ret;
}

/* Likeliest holders of a new socket first: processes that recently gained
 * sockets, then those holding the most. */
static int likelier(const void *a, const void *b, void *arg)
{
	const struct proc_entry *e = arg;
	const struct proc_entry *x = &e[*(const uint32_t *)a], *y = &e[*(const uint32_t *)b];
	if (x->grew_pass != y->grew_pass)
		return x->grew_pass < y->grew_pass ? 1 : -1;
	return (x->nheld < y->nheld) - (x->nheld > y->nheld);
}

long procscan_resolve(struct procscan *ps, struct cookieset *missing, size_t max_reads,
		      bool *exhausted)
{
	size_t n = 0, k;

	*exhausted = false;
	if (!missing->count)
		return 0;
	if (array_reserve((void **)&ps->order, &ps->order_cap, ps->nentries + 1, sizeof(*ps->order)))
		return -ENOMEM;
	for (uint32_t i = 0; i < ps->nentries; i++)
		if (ps->entries[i].read_pass != ps->pass && !ps->entries[i].info.fds_denied)
			ps->order[n++] = i;
	qsort_r(ps->order, n, sizeof(*ps->order), likelier, ps->entries);

	int rootfd = open(ps->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	for (k = 0; k < n && k < max_reads && missing->count; k++) {
		uint32_t i = ps->order[k];
		struct proc_entry *e = &ps->entries[i];
		size_t old_first = e->first_holder, old_n = e->nheld;
		int err = read_entry(ps, rootfd, i);
		if (err) {
			close(rootfd);
			return err;
		}
		if (e->read_pass != ps->pass)
			continue; /* gone or unreadable: keep what it had */
		for (size_t h = old_first; h < old_first + old_n; h++)
			ps->holders[h].proc = PROCSCAN_DEAD; /* superseded by the fresh read */
		if ((err = append_holders(ps, i))) {
			close(rootfd);
			return err;
		}
		for (uint32_t h = 0; h < e->nheld; h++)
			cookieset_remove(missing, e->held[h].inode);
		ps->procs[i].nsockets = e->info.nsockets; /* nfds stays this pass's count */
	}
	close(rootfd);
	*exhausted = k == n;
	return (long)k;
}

bool procscan_still_held(const struct procscan *ps, uint32_t h)
{
	const struct sock_holder *sh = &ps->holders[h];
	if (sh->proc == PROCSCAN_DEAD)
		return false;
	char path[4096], link[64];
	uint64_t inode;
	snprintf(path, sizeof(path), "%s/%d/fd/%u", ps->root, (int)ps->procs[sh->proc].pid, sh->fd);
	ssize_t len = readlink(path, link, sizeof(link));
	return len > 0 && procparse_fd_link(link, (size_t)len, &inode) && inode == sh->inode;
}

void procscan_free(struct procscan *ps)
{
	for (size_t i = 0; i < ps->nentries; i++)
		drop_entry(&ps->entries[i]);
	free(ps->entries);
	free(ps->spare);
	free(ps->pid_index);
	free(ps->procs);
	free(ps->holders);
	free(ps->dents);
	free(ps->pids);
	free(ps->order);
	free(ps->containers);
	free(ps->container_index);
	const char *root = ps->root;
	unsigned k = ps->verify_passes;
	memset(ps, 0, sizeof(*ps));
	ps->root = root;
	ps->verify_passes = k;
}
