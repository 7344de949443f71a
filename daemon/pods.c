/* pods.c - pod names from the kubelet's log directories; see pods.h. */
#include <socklife/pods.h>

#include <socklife/fileio.h>
#include <socklife/lex.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* What each part may hold: a DNS name (lowercase letters, digits, '-',
 * '.'), a UID (hex digits and '-'; a static pod's is a config hash). */
static bool all_of(struct lex_span s, const char *allowed, size_t max)
{
	if (s.n == 0 || s.n >= max)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!strchr(allowed, s.p[i]) || s.p[i] == '\0')
			return false;
	return true;
}

static void copy(char *dst, struct lex_span s)
{
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
}

int pods_parse_dirname(const char *s, size_t len, struct pod_name *out)
{
	static const char dns[] = "abcdefghijklmnopqrstuvwxyz0123456789-.";
	static const char uid[] = "0123456789abcdef-";
	struct lex_span rest = lex_span(s, len), ns, name;
	if (!lex_cut(&rest, '_', &ns) || !lex_cut(&rest, '_', &name))
		return -EINVAL;
	if (!all_of(ns, dns, POD_NAMESPACE_MAX) || !all_of(name, dns, POD_NAME_MAX) ||
	    !all_of(rest, uid, POD_UID_MAX))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	copy(out->namespace_, ns);
	copy(out->name, name);
	copy(out->key, rest);
	return 0;
}

int pods_refresh(struct pods *p, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		hashmap_clear(&p->by_uid); /* not a Kubernetes node (any more) */
		return 0;
	}
	char buf[DIRWALK_BUF];
	struct dirwalk w;
	const char *name;
	int err;
	hashmap_clear(&p->by_uid);
	dirwalk_start(&w, fd, buf, sizeof(buf));
	while ((name = dirwalk_next(&w, &err))) {
		struct pod_name pod;
		bool added;
		if (pods_parse_dirname(name, strlen(name), &pod) < 0)
			continue;
		struct pod_name *slot = hashmap_put(&p->by_uid, pod.key, &added);
		if (!slot) {
			err = -ENOMEM;
			break;
		}
		*slot = pod;
	}
	close(fd);
	return err;
}

const struct pod_name *pods_find(const struct pods *p, const char *uid)
{
	char key[POD_UID_MAX] = {0};
	size_t n = strnlen(uid, POD_UID_MAX - 1);
	if (n == 0)
		return NULL;
	memcpy(key, uid, n);
	return hashmap_get(&p->by_uid, key);
}

void pods_free(struct pods *p)
{
	hashmap_free(&p->by_uid);
}
