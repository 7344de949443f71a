/* netns.h - name network namespaces the way the metric contract does.
 *
 * A namespace is identified by the (device, inode) of its nsfs file.  Its
 * label is "host" for the namespace of PID 1, the name under /run/netns
 * where `ip netns` gave it one, and "ns-<inode>" otherwise. */
#ifndef SOCKLIFE_NETNS_H
#define SOCKLIFE_NETNS_H

#include <stddef.h>
#include <stdint.h>

#define NETNS_LABEL_MAX 64

struct netns_id {
	uint64_t dev, ino;
};

/* The namespace a file like /proc/PID/ns/net or /run/netns/NAME refers to.
 * Returns 0 or -errno. */
int netns_id_of(const char *path, struct netns_id *id);

/* Known names: PID 1's namespace and the /run/netns entries, read again on
 * every refresh (namespaces come and go). */
struct netns_names {
	struct netns_id host;  /* {0,0} when PID 1's namespace cannot be read */
	struct netns_name {
		struct netns_id id;
		char name[NETNS_LABEL_MAX];
	} *named;
	size_t nnamed, cap;
};

/* Re-read PID 1's namespace under `proc_root` and the entries of `run_dir`
 * (normally /run/netns; a missing directory is no error). */
int netns_names_refresh(struct netns_names *n, const char *proc_root, const char *run_dir);
void netns_names_free(struct netns_names *n);

/* Write the label of `id` into out.  When PID 1's namespace could not be
 * read (no privilege), an unnamed namespace that is our own is taken to be
 * the host's: `self` says which one that is. */
void netns_label(const struct netns_names *n, const struct netns_id *id,
		 const struct netns_id *self, char out[NETNS_LABEL_MAX]);

#endif
