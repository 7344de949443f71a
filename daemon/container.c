/* container.c - container ids from cgroup paths; see container.h. */
#include <socklife/container.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define FULL_ID 64

static bool is_hex_id(const char *s, size_t n)
{
	if (n != FULL_ID)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* One path component: [start, start + len). */
struct comp {
	const char *s;
	size_t n;
};

static bool starts(struct comp c, const char *prefix)
{
	size_t pl = strlen(prefix);
	return c.n >= pl && memcmp(c.s, prefix, pl) == 0;
}

/* "<prefix><64 hex>.scope" -> the id */
static const char *scoped_id(struct comp c, const char *prefix)
{
	size_t pl = strlen(prefix);
	if (c.n == pl + FULL_ID + 6 && starts(c, prefix) && memcmp(c.s + pl + FULL_ID, ".scope", 6) == 0 &&
	    is_hex_id(c.s + pl, FULL_ID))
		return c.s + pl;
	return NULL;
}

static const struct {
	const char *prefix; /* of a "<prefix><id>.scope" unit */
	const char *runtime;
	int shown;          /* characters the runtime's tool shows */
} scopes[] = {
	{"docker-", "docker", 12},
	{"cri-containerd-", "containerd", 13},
	{"crio-", "cri-o", 13},
	{"libpod-", "podman", 12},
};

/* Kubernetes pod UID from "kubepods-burstable-pod<uid>.slice" (systemd,
 * '_' for '-') or "pod<uid>" (cgroupfs). */
static void pod_uid(struct comp c, char out[40])
{
	const char *p = NULL;
	size_t n = 0;
	if (starts(c, "kubepods") && c.n > 6 && memcmp(c.s + c.n - 6, ".slice", 6) == 0) {
		const char *pod = NULL;
		for (size_t i = 0; i + 3 <= c.n; i++)
			if (memcmp(c.s + i, "pod", 3) == 0 && (i == 0 || c.s[i - 1] == '-'))
				pod = c.s + i;
		if (!pod)
			return;
		p = pod + 3;
		n = (size_t)(c.s + c.n - 6 - p);
	} else if (starts(c, "pod") && c.n > 3) {
		p = c.s + 3;
		n = c.n - 3;
	}
	if (!p || n == 0 || n >= 40)
		return;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i] == '_' ? '-' : p[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || ch == '-'))
			return;
		out[i] = ch;
	}
	out[n] = '\0';
}

/* Look for a container in one cgroup path. */
static int parse_path(const char *path, size_t len, struct container_ref *out)
{
	struct comp comps[64];
	size_t nc = 0;
	for (size_t i = 0; i < len && nc < 64;) {
		while (i < len && path[i] == '/')
			i++;
		size_t start = i;
		while (i < len && path[i] != '/')
			i++;
		if (i > start)
			comps[nc++] = (struct comp){path + start, i - start};
	}
	bool kube = false;
	char uid[40] = "";
	for (size_t k = 0; k < nc; k++) {
		if (starts(comps[k], "kubepods"))
			kube = true;
		pod_uid(comps[k], uid);
	}
	/* The innermost component that names a container wins. */
	for (size_t k = nc; k-- > 0;) {
		const char *id = NULL, *runtime = NULL;
		int shown = 12;
		for (size_t s = 0; s < sizeof(scopes) / sizeof(scopes[0]) && !id; s++) {
			if ((id = scoped_id(comps[k], scopes[s].prefix))) {
				runtime = scopes[s].runtime;
				shown = scopes[s].shown;
			}
		}
		if (!id && is_hex_id(comps[k].s, comps[k].n) && k > 0) {
			if (comps[k - 1].n == 6 && memcmp(comps[k - 1].s, "docker", 6) == 0)
				id = comps[k].s, runtime = "docker", shown = 12;
			else if (kube)
				id = comps[k].s, runtime = "cri", shown = 13;
		}
		if (!id)
			continue;
		memcpy(out->id, id, (size_t)shown);
		out->id[shown] = '\0';
		snprintf(out->runtime, sizeof(out->runtime), "%s", runtime);
		snprintf(out->pod_uid, sizeof(out->pod_uid), "%s", kube ? uid : "");
		size_t cl = len < CONTAINER_CGROUP_MAX - 1 ? len : CONTAINER_CGROUP_MAX - 1;
		memcpy(out->cgroup, path, cl);
		out->cgroup[cl] = '\0';
		return 1;
	}
	return 0;
}

int container_parse_cgroup(const char *buf, size_t len, struct container_ref *out)
{
	const char *p = buf, *end = buf + len;

	memset(out, 0, sizeof(*out));
	/* Lines "hierarchy:controllers:path"; v2 has one, "0::path". */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *c1 = memchr(p, ':', (size_t)(eol - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		if (c2 && parse_path(c2 + 1, (size_t)(eol - c2 - 1), out))
			return 1;
		p = eol + 1;
	}
	memset(out, 0, sizeof(*out));
	return 0;
}
