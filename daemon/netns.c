/* netns.c - identify and name network namespaces. */
#include <socklife/netns.h>

#include <socklife/fileio.h>
#include <socklife/lex.h>
#include <socklife/strbuf.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int netns_id_of(const char *path, struct netns_id *id)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 0;
}

static bool same(const struct netns_id *a, const struct netns_id *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

/* Is `name` in the open directory `dirfd` a namespace file?  Only a
 * regular file on the nsfs device is (a bind mount of /proc/PID/ns/net);
 * a symlink, a FIFO or a device node placed there is never opened. */
static int named_id(int dirfd, const char *name, uint64_t nsfs_dev, struct netns_id *id)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (nsfs_dev && st.st_dev != nsfs_dev))
		return -ENOTSUP;
	*id = (struct netns_id){st.st_dev, st.st_ino};
	return 0;
}

/* May a /run/netns name be a label?  Not "host": PID 1's namespace is
 * host whatever /run/netns holds (`ip netns add host` makes another one).
 * Not what an unnamed namespace is called (ns-<digits>).  And only a name
 * that shows as it is: two names differing in bytes that are not UTF-8, or
 * in control characters, would show alike.  A namespace whose names are
 * all unfit is called ns-<inode>, so no two share a label. */
static bool fit_label(const char *name)
{
	struct lex_span digits, s = lex_span(name, strlen(name));
	uint64_t n;
	if (lex_eq(s, "host") || (lex_prefix(s, "ns-", &digits) && lex_u64(digits, 10, &n)))
		return false;
	return sb_is_sane(s.p, s.n);
}

int netns_names_refresh(struct netns_names *n, const char *proc_root, const char *run_dir,
			uint64_t nsfs_dev)
{
	char path[4096], buf[DIRWALK_BUF];
	struct dirwalk w;
	const char *name;
	int err;

	vec_clear(&n->named);
	snprintf(path, sizeof(path), "%s/1/ns/net", proc_root);
	if (netns_id_of(path, &n->host) < 0)
		n->host = (struct netns_id){0, 0};

	int dfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	dirwalk_start(&w, dfd, buf, sizeof(buf));
	while ((name = dirwalk_next(&w, &err))) {
		struct netns_id id;
		size_t len = strlen(name);
		if (len >= NETNS_LABEL_MAX || named_id(dfd, name, nsfs_dev, &id) < 0)
			continue; /* too long for a label, a stale mount point, not a namespace */
		struct netns_name *e = vec_push(&n->named);
		if (!e) {
			err = -ENOMEM;
			break;
		}
		e->id = id;
		memcpy(e->name, name, len + 1);
		e->label_ok = fit_label(name);
	}
	close(dfd);
	return err;
}

void netns_names_free(struct netns_names *n)
{
	vec_free(&n->named);
	memset(n, 0, sizeof(*n));
}

void netns_label(const struct netns_names *n, const struct netns_id *id,
		 const struct netns_id *self, char out[NETNS_LABEL_MAX])
{
	bool host_known = n->host.ino != 0;

	if (host_known && same(id, &n->host)) {
		snprintf(out, NETNS_LABEL_MAX, "host");
		return;
	}
	for (size_t i = 0; i < n->named.n; i++) {
		if (same(id, &n->named.v[i].id) && n->named.v[i].label_ok) {
			snprintf(out, NETNS_LABEL_MAX, "%s", n->named.v[i].name);
			return;
		}
	}
	if (!host_known && self && same(id, self)) {
		snprintf(out, NETNS_LABEL_MAX, "host");
		return;
	}
	snprintf(out, NETNS_LABEL_MAX, "ns-%" PRIu64, id->ino);
}

static int add_entry(struct netns_set *set, const struct netns_names *names,
		     const struct netns_id *self, const struct netns_id *id)
{
	struct netns_entry *e = vec_push(&set->entries);
	if (!e)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	e->id = *id;
	e->self = same(id, self);
	netns_label(names, id, self, e->label);
	for (size_t i = 0; i < names->named.n; i++)
		if (same(id, &names->named.v[i].id))
			memcpy(e->run_name, names->named.v[i].name, sizeof(e->run_name));
	return 0;
}

static struct netns_entry *find(struct netns_set *set, const struct netns_id *id)
{
	for (size_t i = 0; i < set->entries.n; i++)
		if (same(&set->entries.v[i].id, id))
			return &set->entries.v[i];
	return NULL;
}

int netns_collect(struct netns_set *set, const struct netns_names *names,
		  const struct netns_id *self, const struct proc_info *procs, size_t nprocs,
		  bool all)
{
	vec_clear(&set->entries);
	int err = add_entry(set, names, self, self);
	if (err || !all)
		return err;
	struct netns_entry *last = NULL;
	for (size_t i = 0; i < nprocs; i++) {
		struct netns_id id = {procs[i].netns_dev, procs[i].netns_ino};
		if (!id.ino)
			continue; /* unreadable without privilege */
		if (last && same(&last->id, &id))
			continue; /* neighbours usually share one */
		struct netns_entry *e = find(set, &id);
		if (!e) {
			if ((err = add_entry(set, names, self, &id)))
				return err;
			e = &set->entries.v[set->entries.n - 1];
		}
		if (!e->pid)
			e->pid = procs[i].pid;
		last = e;
	}
	for (size_t i = 0; i < names->named.n; i++)
		if (!find(set, &names->named.v[i].id) &&
		    (err = add_entry(set, names, self, &names->named.v[i].id)))
			return err;
	return 0;
}

void netns_set_free(struct netns_set *set) { vec_free(&set->entries); }

/* Open the namespace file at `path` for setns(), making sure it is the
 * namespace `id` and nothing else: first as a mere path (O_PATH opens no
 * FIFO and no device), then checked, then reopened through the checked fd.
 * `follow` lets /proc/PID/ns/net, a magic link, be followed; a /run/netns
 * entry never is. */
static int open_checked(const char *path, bool follow, const struct netns_id *id)
{
	char again[64];
	struct stat st;
	int pfd = open(path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (pfd < 0)
		return errno == ESRCH || errno == ELOOP ? -ENOENT : -errno;
	int fd = -ENOENT; /* not that namespace: its process died, the pid is another's */
	if (fstat(pfd, &st) < 0)
		fd = -errno;
	else if (S_ISREG(st.st_mode) && st.st_dev == id->dev && st.st_ino == id->ino) {
		snprintf(again, sizeof(again), "/proc/self/fd/%d", pfd);
		fd = open(again, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			fd = -errno;
	}
	close(pfd);
	return fd;
}

int netns_enter(const struct netns_entry *e, const char *proc_root, const char *run_dir)
{
	char path[4096];

	if (e->run_name[0])
		snprintf(path, sizeof(path), "%s/%s", run_dir, e->run_name);
	else if (e->pid)
		snprintf(path, sizeof(path), "%s/%d/ns/net", proc_root, (int)e->pid);
	else
		return -ENOENT;
	int fd = open_checked(path, !e->run_name[0], &e->id);
	if (fd < 0)
		return fd;
	int err = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(fd);
	return err;
}
