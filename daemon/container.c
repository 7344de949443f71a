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

struct shape {
	const char *name;    /* a scope's prefix, or a cgroupfs driver's root cgroup */
	const char *runtime;
	int shown;           /* characters the runtime's tool shows */
};

/* systemd's drivers: a "<prefix><id>.scope" unit. */
static const struct shape scopes[] = {
	{"docker-", "docker", 12},
	{"cri-containerd-", "containerd", 13},
	{"crio-", "cri-o", 13},
	{"libpod-", "podman", 12},
};

/* cgroupfs drivers: "/docker/<id>", "/kubepods[/<qos>]/pod<uid>/<id>". */
static const struct shape cgroupfs[] = {
	{"docker", "docker", 12},
	{"kubepods", "cri", 13},
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

/* Is `c` a cgroup only root can have made?  systemd slices are: the system
 * manager makes them (a user's manager nests everything it makes under
 * user@UID.service), and systemd delegates services and scopes, never
 * slices, so nobody is handed a slice to make children in. */
static bool is_slice(struct lex_span c) { return lex_suffix(c, ".slice", NULL); }

static bool all_slices(const struct lex_span *comps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_slice(comps[i]))
			return false;
	return true;
}

/* A systemd scope a runtime made, "<prefix><64 hex>.scope", below slices
 * only.  A scope below a service or another scope was made by whoever that
 * cgroup is delegated to: a user (user@1000.service), a daemon, a
 * container nesting its own. */
static const struct shape *systemd_scope(const struct lex_span *comps, size_t k,
					 struct lex_span *id)
{
	if (!all_slices(comps, k))
		return NULL;
	for (size_t s = 0; s < sizeof(scopes) / sizeof(scopes[0]); s++)
		if (scoped_id(comps[k], scopes[s].name, id))
			return &scopes[s];
	return NULL;
}

static bool is_kube_qos(struct lex_span c)
{
	return lex_eq(c, "burstable") || lex_eq(c, "besteffort");
}

static bool is_pod(struct lex_span c)
{
	char uid[40] = "";
	pod_uid(c, uid);
	return uid[0] && lex_prefix(c, "pod", NULL);
}

/* The cgroupfs drivers' shapes, anchored at the root of the hierarchy,
 * where only root makes cgroups: "/docker/<id>" and Kubernetes'
 * "/kubepods[/<qos>]/pod<uid>/<id>".  Anywhere else (.../user-1000.slice/
 * docker/<id>, a service's own subtree) the name proves nothing. */
static const struct shape *cgroupfs_driver(const struct lex_span *comps, size_t k)
{
	if (!is_hex_id(comps[k]))
		return NULL;
	if (k == 1 && lex_eq(comps[0], cgroupfs[0].name))
		return &cgroupfs[0];
	if (k >= 2 && lex_eq(comps[0], cgroupfs[1].name) && is_pod(comps[k - 1]) &&
	    (k == 2 || (k == 3 && is_kube_qos(comps[1]))))
		return &cgroupfs[1];
	return NULL;
}

/* Look for a container in one cgroup path.  The outermost cgroup that
 * names one wins: what a container makes inside its own cgroup (nested
 * containers, a systemd of its own) may claim any name.  Read from inside
 * a cgroup namespace, paths start with "/.." for each level above
 * socklife's own root; the components after them are real cgroups, made
 * below an ancestor of socklife's, so the same rules hold for them. */
static int parse_path(struct lex_span path, struct container_ref *out)
{
	struct lex_span comps[64], rest = path, c;
	size_t nc = 0;
	while (nc < 64 && lex_token(&rest, '/', &c))
		if (nc > 0 || !lex_eq(c, ".."))
			comps[nc++] = c;
	for (size_t k = 0; k < nc; k++) {
		struct lex_span id = comps[k];
		const struct shape *shape = cgroupfs_driver(comps, k);
		if (!shape)
			shape = systemd_scope(comps, k, &id);
		if (!shape)
			continue;
		bool kube = false;
		char uid[40] = "";
		for (size_t a = 0; a < k; a++) { /* the pod is an ancestor */
			kube |= lex_prefix(comps[a], "kubepods", NULL);
			pod_uid(comps[a], uid);
		}
		memcpy(out->id, id.p, (size_t)shape->shown);
		out->id[shape->shown] = '\0';
		snprintf(out->runtime, sizeof(out->runtime), "%s", shape->runtime);
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
