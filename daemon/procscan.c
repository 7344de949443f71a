/* procscan.c - walk procfs: processes, their limits, and their socket fds.
 *
 * Cost is dominated by one getdents64 per fd directory and one readlinkat per
 * fd (~2 us each), so the walk does nothing else per fd and allocates
 * nothing once its arrays have grown to the host's size. */
#include <socklife/procscan.h>

#include <socklife/container.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DENTS_BUF 32768

/* Field `want` (numbered as in proc(5)) of the fields after the comm, as a
 * number.  `p` points just past the closing parenthesis, which is field 2. */
static int stat_field(const char *p, const char *end, int want, uint64_t *out)
{
	for (int field = 3; field < want; field++) {
		while (p < end && *p == ' ')
			p++;
		while (p < end && *p != ' ')
			p++;
	}
	while (p < end && *p == ' ')
		p++;
	if (p >= end || !isdigit((unsigned char)*p))
		return -EINVAL;
	uint64_t v = 0;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

int procscan_parse_stat(const char *buf, size_t len, struct proc_stat *out)
{
	const char *open = memchr(buf, '(', len);
	const char *close = NULL;

	for (const char *p = buf + len; p > buf; p--) {
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	}
	if (!open || !close || close < open)
		return -EINVAL;

	size_t n = (size_t)(close - open - 1);
	if (n >= PROC_COMM_MAX)
		n = PROC_COMM_MAX - 1;
	memcpy(out->comm, open + 1, n);
	out->comm[n] = '\0';

	uint64_t flags;
	if (stat_field(close + 1, buf + len, 9, &flags) < 0 ||
	    stat_field(close + 1, buf + len, 22, &out->start_time) < 0)
		return -EINVAL;
	out->kernel_thread = (flags & 0x00200000) != 0; /* PF_KTHREAD */
	return 0;
}

int procscan_parse_limits(const char *buf, size_t len, uint64_t *soft_nofile)
{
	static const char key[] = "Max open files";
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > sizeof(key) - 1 && memcmp(p, key, sizeof(key) - 1) == 0) {
			const char *v = p + sizeof(key) - 1;
			while (v < eol && *v == ' ')
				v++;
			if ((size_t)(eol - v) >= 9 && memcmp(v, "unlimited", 9) == 0) {
				*soft_nofile = 0;
				return 0;
			}
			if (v >= eol || !isdigit((unsigned char)*v))
				return -EINVAL;
			uint64_t n = 0;
			for (; v < eol && isdigit((unsigned char)*v); v++) {
				if (n > (UINT64_MAX - 9) / 10)
					return -EINVAL;
				n = n * 10 + (uint64_t)(*v - '0');
			}
			*soft_nofile = n;
			return 0;
		}
		p = eol + 1;
	}
	return -EINVAL;
}

int procscan_parse_fd_link(const char *link, size_t len, uint64_t *inode)
{
	static const char prefix[] = "socket:[";
	const size_t plen = sizeof(prefix) - 1;

	if (len < plen + 2 || memcmp(link, prefix, plen) != 0 || link[len - 1] != ']')
		return 0;
	uint64_t v = 0;
	for (size_t i = plen; i < len - 1; i++) {
		if (!isdigit((unsigned char)link[i]) || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(link[i] - '0');
	}
	*inode = v;
	return 1;
}

/* Read a small procfs file relative to `dirfd`.  Returns its length (the
 * buffer is NUL-terminated) or -errno. */
static ssize_t read_at(int dirfd, const char *name, char *buf, size_t cap)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

static bool is_pid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static int push_holder(struct procscan *ps, uint64_t inode, uint32_t proc, uint32_t fd)
{
	if (ps->nholders == ps->holders_cap) {
		size_t cap = ps->holders_cap ? ps->holders_cap * 2 : 4096;
		struct sock_holder *h = realloc(ps->holders, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		ps->holders = h;
		ps->holders_cap = cap;
	}
	ps->holders[ps->nholders++] = (struct sock_holder){inode, proc, fd};
	return 0;
}

/* List /proc/PID/fd: count fds, record socket fds as holders of `proc`. */
static int scan_fds(struct procscan *ps, int piddir, uint32_t proc)
{
	struct proc_info *pi = &ps->procs[proc];
	int dfd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;

	for (;;) {
		ssize_t n = getdents64(dfd, ps->dents, DENTS_BUF);
		if (n < 0) {
			int err = -errno;
			close(dfd);
			return err;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(ps->dents + off);
			off += de->d_reclen;
			if (de->d_name[0] == '.')
				continue;
			if (pi->fds_denied) { /* listable but not readable: count only */
				pi->nfds++;
				continue;
			}
			char link[64];
			ssize_t len = readlinkat(dfd, de->d_name, link, sizeof(link));
			if (len < 0) {
				if (errno == EACCES || errno == EPERM) {
					pi->fds_denied = true;
					pi->nfds++;
				} else {
					ps->stats.vanished_fds++; /* closed since getdents */
				}
				continue;
			}
			pi->nfds++;
			uint64_t inode;
			if (!procscan_parse_fd_link(link, (size_t)len, &inode))
				continue;
			int err = push_holder(ps, inode, proc, (uint32_t)strtoul(de->d_name, NULL, 10));
			if (err) {
				close(dfd);
				return err;
			}
			pi->nsockets++;
		}
	}
	close(dfd);
	return 0;
}

static uint64_t id_hash(const char *id)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 0x100000001b3ULL;
	return h;
}

/* The index of the container a cgroup file names (0: none, a host
 * process), adding it to the walk's table the first time.  -ENOMEM. */
static int intern_container(struct procscan *ps, const char *cgroup, size_t len)
{
	struct container_ref ref;
	if (!container_parse_cgroup(cgroup, len, &ref))
		return 0;
	if (ps->ncontainers + 1 >= ps->containers_cap / 2) {
		/* Grow both the table and its index; rebuild the index. */
		size_t cap = ps->containers_cap ? ps->containers_cap * 2 : 64;
		struct container_ref *c = realloc(ps->containers, cap * sizeof(*c));
		uint32_t *idx = c ? calloc(cap, sizeof(*idx)) : NULL;
		if (!idx) {
			if (c)
				ps->containers = c;
			return -ENOMEM;
		}
		ps->containers = c;
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
	size_t mask = ps->containers_cap - 1, s = id_hash(ref.id) & mask;
	for (; ps->container_index[s]; s = (s + 1) & mask)
		if (strcmp(ps->containers[ps->container_index[s]].id, ref.id) == 0)
			return (int)ps->container_index[s];
	uint32_t i = (uint32_t)++ps->ncontainers; /* entry 0 stays "no container" */
	ps->containers[i] = ref;
	ps->container_index[s] = i;
	return (int)i;
}

/* Read one process.  Returns 1 if it was recorded, 0 if it is to be skipped
 * (vanished, kernel thread), -ENOMEM. */
static int scan_proc(struct procscan *ps, int rootfd, int32_t pid)
{
	char buf[4096];
	int ret = 0;

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	int piddir = openat(rootfd, buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddir < 0) {
		ps->stats.vanished_procs++;
		return 0;
	}
	if (ps->nprocs == ps->procs_cap) {
		size_t cap = ps->procs_cap ? ps->procs_cap * 2 : 256;
		struct proc_info *p = realloc(ps->procs, cap * sizeof(*p));
		if (!p) {
			close(piddir);
			return -ENOMEM;
		}
		ps->procs = p;
		ps->procs_cap = cap;
	}
	uint32_t idx = (uint32_t)ps->nprocs;
	struct proc_info *pi = &ps->procs[idx];
	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;
	size_t holders_before = ps->nholders;

	struct proc_stat st;
	ssize_t len = read_at(piddir, "stat", buf, sizeof(buf));
	if (len < 0 || procscan_parse_stat(buf, (size_t)len, &st) < 0) {
		ps->stats.vanished_procs++;
		goto out;
	}
	if (st.kernel_thread)
		goto out; /* no fds, no sockets: nothing to report */
	memcpy(pi->comm, st.comm, sizeof(pi->comm));
	pi->start_time = st.start_time;

	len = read_at(piddir, "cgroup", buf, sizeof(buf));
	if (len > 0) {
		int c = intern_container(ps, buf, (size_t)len);
		if (c < 0) {
			ret = c;
			goto out;
		}
		pi->container = (uint32_t)c;
	}
	len = read_at(piddir, "limits", buf, sizeof(buf));
	if (len >= 0)
		procscan_parse_limits(buf, (size_t)len, &pi->fd_limit);

	struct stat ns;
	if (fstatat(piddir, "ns/net", &ns, 0) == 0) {
		pi->netns_dev = ns.st_dev;
		pi->netns_ino = ns.st_ino;
	}

	int err = scan_fds(ps, piddir, idx);
	if (err == -ENOMEM) {
		ret = err;
		goto out;
	}
	if (err == -EACCES || err == -EPERM)
		pi->fds_denied = true;
	else if (err) {
		/* ENOENT/ESRCH: it exited while we read it; drop what we saw. */
		ps->stats.vanished_procs++;
		ps->nholders = holders_before;
		goto out;
	}
	if (pi->nfds == 0 && !pi->fds_denied)
		goto out; /* kernel threads and zombies hold no fds: nothing to report */
	if (pi->fds_denied)
		ps->stats.denied_procs++;
	ps->nprocs++;
	ret = 1;
out:
	close(piddir);
	return ret;
}

int procscan_run(struct procscan *ps)
{
	int ret = 0;

	ps->nprocs = 0;
	ps->nholders = 0;
	ps->ncontainers = 0;
	if (ps->container_index)
		memset(ps->container_index, 0, ps->containers_cap * sizeof(*ps->container_index));
	memset(&ps->stats, 0, sizeof(ps->stats));
	if (!ps->dents && !(ps->dents = malloc(DENTS_BUF)))
		return -ENOMEM;

	int rootfd = open(ps->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;

	/* Read the pid list first: scan_proc reuses the dents buffer. */
	size_t npids = 0;
	for (;;) {
		ssize_t n = getdents64(rootfd, ps->dents, DENTS_BUF);
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *de = (struct dirent64 *)(ps->dents + off);
			off += de->d_reclen;
			if (!is_pid_name(de->d_name) || strlen(de->d_name) > 9)
				continue;
			if (npids == ps->pids_cap) {
				size_t cap = ps->pids_cap ? ps->pids_cap * 2 : 1024;
				int32_t *p = realloc(ps->pids, cap * sizeof(*p));
				if (!p) {
					ret = -ENOMEM;
					goto out;
				}
				ps->pids = p;
				ps->pids_cap = cap;
			}
			ps->pids[npids++] = (int32_t)strtol(de->d_name, NULL, 10);
		}
	}
	for (size_t i = 0; i < npids; i++) {
		int err = scan_proc(ps, rootfd, ps->pids[i]);
		if (err < 0) {
			ret = err;
			goto out;
		}
	}
out:
	close(rootfd);
	return ret;
}

void procscan_free(struct procscan *ps)
{
	free(ps->procs);
	free(ps->holders);
	free(ps->dents);
	free(ps->pids);
	free(ps->containers);
	free(ps->container_index);
	ps->containers = NULL;
	ps->container_index = NULL;
	ps->ncontainers = ps->containers_cap = 0;
	ps->procs = NULL;
	ps->holders = NULL;
	ps->dents = NULL;
	ps->pids = NULL;
	ps->nprocs = ps->procs_cap = ps->nholders = ps->holders_cap = ps->pids_cap = 0;
}
