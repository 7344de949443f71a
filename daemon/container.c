/* container.c - container ids from cgroup paths; see container.h. */
#include <socklife/container.h>

#include <socklife/lex.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define FULL_ID 64

static bool is_hex_id(struct lex_span s)
{
	if (s.n != FULL_ID)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!((s.p[i] >= '0' && s.p[i] <= '9') || (s.p[i] >= 'a' && s.p[i] <= 'f')))
			return false;
	return true;
}

/* "<prefix><64 hex>.scope" -> the id */
static bool scoped_id(struct lex_span c, const char *prefix, struct lex_span *id)
{
	if (!lex_prefix(c, prefix, &c) || !lex_suffix(c, ".scope", &c) || !is_hex_id(c))
		return false;
	*id = c;
	return true;
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
 * '_' for '-') or "pod<uid>" (cgroupfs).  out is left alone unless the
 * whole uid is good. */
static void pod_uid(struct lex_span c, char out[40])
{
	struct lex_span uid = {0}, rest, dash;
	if (lex_prefix(c, "kubepods", &rest) && lex_suffix(rest, ".slice", &rest)) {
		while (lex_cut(&rest, '-', &dash)) /* the last "-pod" starts it */
			lex_prefix(rest, "pod", &uid);
	} else {
		lex_prefix(c, "pod", &uid);
	}
	if (uid.n == 0 || uid.n >= 40)
		return;
	char tmp[40];
	for (size_t i = 0; i < uid.n; i++) {
		char ch = uid.p[i] == '_' ? '-' : uid.p[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || ch == '-'))
			return;
		tmp[i] = ch;
	}
	memcpy(out, tmp, uid.n);
	out[uid.n] = '\0';
}

/* Look for a container in one cgroup path. */
static int parse_path(struct lex_span path, struct container_ref *out)
{
	struct lex_span comps[64], rest = path;
	size_t nc = 0;
	while (nc < 64 && lex_token(&rest, '/', &comps[nc]))
		nc++;
	bool kube = false;
	char uid[40] = "";
	for (size_t k = 0; k < nc; k++) {
		kube |= lex_prefix(comps[k], "kubepods", NULL);
		pod_uid(comps[k], uid);
	}
	/* The innermost component that names a container wins. */
	for (size_t k = nc; k-- > 0;) {
		struct lex_span id = {0};
		const char *runtime = NULL;
		int shown = 12;
		for (size_t s = 0; s < sizeof(scopes) / sizeof(scopes[0]) && !runtime; s++) {
			if (scoped_id(comps[k], scopes[s].prefix, &id)) {
				runtime = scopes[s].runtime;
				shown = scopes[s].shown;
			}
		}
		if (!runtime && is_hex_id(comps[k]) && k > 0) {
			if (lex_eq(comps[k - 1], "docker"))
				id = comps[k], runtime = "docker", shown = 12;
			else if (kube)
				id = comps[k], runtime = "cri", shown = 13;
		}
		if (!runtime)
			continue;
		memcpy(out->id, id.p, (size_t)shown);
		out->id[shown] = '\0';
		snprintf(out->runtime, sizeof(out->runtime), "%s", runtime);
		snprintf(out->pod_uid, sizeof(out->pod_uid), "%s", kube ? uid : "");
		size_t cl = path.n < CONTAINER_CGROUP_MAX - 1 ? path.n : CONTAINER_CGROUP_MAX - 1;
		memcpy(out->cgroup, path.p, cl);
		out->cgroup[cl] = '\0';
		return 1;
	}
	return 0;
}

int container_parse_cgroup(const char *buf, size_t len, struct container_ref *out)
{
	struct lex_span rest = lex_span(buf, len), line, hierarchy, controllers;

	memset(out, 0, sizeof(*out));
	/* Lines "hierarchy:controllers:path"; v2 has one, "0::path". */
	while (lex_line(&rest, &line))
		if (lex_cut(&line, ':', &hierarchy) && lex_cut(&line, ':', &controllers) &&
		    parse_path(line, out))
			return 1;
	memset(out, 0, sizeof(*out));
	return 0;
}

/* The innermost systemd unit (service or scope) of one cgroup path. */
static bool unit_of_path(struct lex_span path, char out[CONTAINER_UNIT_MAX])
{
	struct lex_span comp, unit = {0};
	while (lex_token(&path, '/', &comp))
		if (lex_suffix(comp, ".service", NULL) || lex_suffix(comp, ".scope", NULL))
			unit = comp;
	if (!unit.n || unit.n >= CONTAINER_UNIT_MAX)
		return false;
	memcpy(out, unit.p, unit.n);
	out[unit.n] = '\0';
	return true;
}

int container_parse_unit(const char *buf, size_t len, char out[CONTAINER_UNIT_MAX])
{
	struct lex_span rest = lex_span(buf, len), line, hierarchy, controllers;

	out[0] = '\0';
	/* The unified hierarchy ("0::") or systemd's own ("name=systemd"). */
	while (lex_line(&rest, &line))
		if (lex_cut(&line, ':', &hierarchy) && lex_cut(&line, ':', &controllers) &&
		    (controllers.n == 0 || lex_eq(controllers, "name=systemd")) &&
		    unit_of_path(line, out))
			return 1;
	return 0;
}
