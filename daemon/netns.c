/* netns.c - identify and name network namespaces. */
#include <socklife/netns.h>

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

int netns_names_refresh(struct netns_names *n, const char *proc_root, const char *run_dir)
{
	char path[4096];

	n->nnamed = 0;
	snprintf(path, sizeof(path), "%s/1/ns/net", proc_root);
	if (netns_id_of(path, &n->host) < 0)
		n->host = (struct netns_id){0, 0};

	DIR *dir = opendir(run_dir);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	while ((de = readdir(dir))) {
		struct netns_id id;
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len >= NETNS_LABEL_MAX)
			continue; /* too long to be a label; it will read ns-<inode> */
		snprintf(path, sizeof(path), "%s/%s", run_dir, de->d_name);
		if (netns_id_of(path, &id) < 0)
			continue; /* a stale mount point or a file being created */
		if (n->nnamed == n->cap) {
			size_t cap = n->cap ? n->cap * 2 : 16;
			void *p = realloc(n->named, cap * sizeof(*n->named));
			if (!p) {
				closedir(dir);
				return -ENOMEM;
			}
			n->named = p;
			n->cap = cap;
		}
		struct netns_name *e = &n->named[n->nnamed++];
		e->id = id;
		memcpy(e->name, de->d_name, len + 1);
	}
	closedir(dir);
	return 0;
}

void netns_names_free(struct netns_names *n)
{
	free(n->named);
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
	for (size_t i = 0; i < n->nnamed; i++) {
		if (same(id, &n->named[i].id)) {
			snprintf(out, NETNS_LABEL_MAX, "%s", n->named[i].name);
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
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		void *p = realloc(set->e, cap * sizeof(*set->e));
		if (!p)
			return -ENOMEM;
		set->e = p;
		set->cap = cap;
	}
	struct netns_entry *e = &set->e[set->n++];
	memset(e, 0, sizeof(*e));
	e->id = *id;
	e->self = same(id, self);
	netns_label(names, id, self, e->label);
	for (size_t i = 0; i < names->nnamed; i++)
		if (same(id, &names->named[i].id))
			memcpy(e->run_name, names->named[i].name, sizeof(e->run_name));
	return 0;
}

static struct netns_entry *find(struct netns_set *set, const struct netns_id *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (same(&set->e[i].id, id))
			return &set->e[i];
	return NULL;
}

int netns_collect(struct netns_set *set, const struct netns_names *names,
		  const struct netns_id *self, const struct proc_info *procs, size_t nprocs,
		  bool all)
{
	set->n = 0;
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
			e = &set->e[set->n - 1];
		}
		if (!e->pid)
			e->pid = procs[i].pid;
		last = e;
	}
	for (size_t i = 0; i < names->nnamed; i++)
		if (!find(set, &names->named[i].id) &&
		    (err = add_entry(set, names, self, &names->named[i].id)))
			return err;
	return 0;
}

void netns_set_free(struct netns_set *set)
{
	free(set->e);
	memset(set, 0, sizeof(*set));
}

int netns_enter(const struct netns_entry *e, const char *proc_root, const char *run_dir)
{
	char path[4096];
	struct stat st;

	if (e->run_name[0])
		snprintf(path, sizeof(path), "%s/%s", run_dir, e->run_name);
	else if (e->pid)
		snprintf(path, sizeof(path), "%s/%d/ns/net", proc_root, (int)e->pid);
	else
		return -ENOENT;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	int err = 0;
	if (fstat(fd, &st) < 0 || st.st_dev != e->id.dev || st.st_ino != e->id.ino)
		err = -ENOENT; /* the process died, its pid went to another namespace */
	else if (setns(fd, CLONE_NEWNET) < 0)
		err = -errno;
	close(fd);
	return err;
}

int netns_return(int fd)
{
	return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}
