/* netns.h - name network namespaces the way the metric contract does.
 *
 * A namespace is identified by the (device, inode) of its nsfs file.  Its
 * label is "host" for the namespace of PID 1, the name under /run/netns
 * where `ip netns` gave it one, and "ns-<inode>" otherwise.  Labels are
 * unique: a /run/netns name that is "host", looks like ns-<digits> or
 * does not show as it is (bytes that are not UTF-8, control characters)
 * is not a label. */
#ifndef SOCKLIFE_NETNS_H
#define SOCKLIFE_NETNS_H

#include <socklife/procscan.h>
#include <socklife/vec.h>

#include <stdbool.h>
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
struct netns_name {
	struct netns_id id;
	char name[NETNS_LABEL_MAX];
	bool label_ok; /* the name may be its label (not "host", ns-<digits>, nor odd bytes) */
};

struct netns_names {
	struct netns_id host;  /* {0,0} when PID 1's namespace cannot be read */
	struct netns_name_list VEC(struct netns_name) named;
};

/* Re-read PID 1's namespace under `proc_root` and the entries of `run_dir`
 * (normally /run/netns; a missing directory is no error).  Only regular
 * files on device `nsfs_dev` (where every namespace file lives; 0: any)
 * are names: anything else placed there is passed over unopened. */
int netns_names_refresh(struct netns_names *n, const char *proc_root, const char *run_dir,
			uint64_t nsfs_dev);
void netns_names_free(struct netns_names *n);

/* Write the label of `id` into out.  When PID 1's namespace could not be
 * read (no privilege), an unnamed namespace that is our own is taken to be
 * the host's: `self` says which one that is. */
void netns_label(const struct netns_names *n, const struct netns_id *id,
		 const struct netns_id *self, char out[NETNS_LABEL_MAX]);

/* One namespace a pass dumps. */
struct netns_entry {
	struct netns_id id;
	char label[NETNS_LABEL_MAX];
	char run_name[NETNS_LABEL_MAX]; /* its /run/netns name, "" if none */
	int32_t pid;                    /* a process living in it, 0 if none */
	bool self;                      /* the namespace socklife itself runs in */
};

struct netns_set {
	struct netns_entries VEC(struct netns_entry) entries;
};

/* List the namespaces to dump: our own first; with `all`, then every
 * namespace a process lives in and every /run/netns one, each once. */
int netns_collect(struct netns_set *set, const struct netns_names *names,
		  const struct netns_id *self, const struct proc_info *procs, size_t nprocs,
		  bool all);
void netns_set_free(struct netns_set *set);

/* Enter the namespace of `e` in the calling thread (setns is per thread):
 * by its /run/netns name, else through its process under `proc_root`.  The
 * file is checked to be that namespace before it is opened for real (a pid
 * may have been reused; a FIFO or a device may have been put in its place,
 * and opening those blocks or has effects).  Returns 0; -ENOENT when the
 * namespace is gone; -EPERM without CAP_SYS_ADMIN. */
int netns_enter(const struct netns_entry *e, const char *proc_root, const char *run_dir);

#endif
