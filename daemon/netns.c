/* netns.c - identify and name network namespaces. */
#include <socklife/netns.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
