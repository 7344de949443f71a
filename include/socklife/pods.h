/* pods.h - Kubernetes pod names and namespaces, without the API.
 *
 * The kubelet keeps each pod's container logs under
 * /var/log/pods/<namespace>_<name>_<uid>/ (the CRI log layout), so the
 * node itself says which pod a UID is: names are DNS labels and
 * subdomains, which never hold '_'.  Containers carry their pod's UID
 * from their cgroup path (container.h); this turns it into the names an
 * operator knows.  A node without that directory has no names, which is
 * no error. */
#ifndef SOCKLIFE_PODS_H
#define SOCKLIFE_PODS_H

#include <socklife/hashmap.h>

#include <stddef.h>

#define POD_UID_MAX 40
#define POD_NAME_MAX 254      /* a DNS subdomain: 253 characters */
#define POD_NAMESPACE_MAX 64  /* a DNS label: 63 */

struct pod_name {
	char key[POD_UID_MAX]; /* its UID */
	char name[POD_NAME_MAX];
	char namespace_[POD_NAMESPACE_MAX];
};

struct pods {
	struct hashmap by_uid; /* of struct pod_name */
};

#define PODS_INIT {HASHMAP_INIT(struct pod_name)}

/* Parse one directory name "<namespace>_<name>_<uid>".  Returns 0, or
 * -EINVAL for anything else (the directory holds only these; a name that
 * does not parse is passed over). */
int pods_parse_dirname(const char *s, size_t len, struct pod_name *out);

/* Read `dir` (normally /var/log/pods) again.  0, or -errno when it cannot
 * be read (then the names of the last read stay); a missing directory
 * leaves no names and is 0. */
int pods_refresh(struct pods *p, const char *dir);

/* The pod of `uid`, or NULL. */
const struct pod_name *pods_find(const struct pods *p, const char *uid);

void pods_free(struct pods *p);

#endif
