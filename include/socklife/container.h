/* container.h - which container a process runs in, from its cgroup path.
 *
 * Container runtimes put each container in a cgroup whose name holds the
 * container's 64-hex id:
 *
 *   docker (systemd)       .../docker-<id>.scope
 *   docker (cgroupfs)      /docker/<id>
 *   containerd / CRI       .../kubepods-<qos>-pod<uid>.slice/cri-containerd-<id>.scope
 *   CRI (cgroupfs driver)  /kubepods/<qos>/pod<uid>/<id>
 *   CRI-O                  .../crio-<id>.scope
 *   podman                 .../libpod-<id>.scope
 *
 * The id is shortened the way the runtime's own tool shows it (docker and
 * podman: 12 characters, crictl: 13).  A process in none of these is a
 * host process: empty id.
 *
 * A cgroup name proves something only where nobody but root can make
 * cgroups: a user (or a container, or a daemon) may name cgroups anything
 * below the one delegated to it, a real container's id included.  So a
 * "<runtime>-<id>.scope" counts only below systemd slices all the way up
 * (systemd delegates services and scopes, never slices: a user's units
 * live under user@UID.service), "/docker/<id>" and "/kubepods/..." only at
 * the root of the hierarchy, and the outermost match wins (a container's
 * own nested cgroups are its own business).  Not trusted, so shown as host
 * processes: .../user-1000.slice/docker/<id>, rootless podman
 * (.../user@1000.service/.../libpod-<id>.scope: the user could have named
 * it after any container), .../some.service/docker-<id>.scope. */
#ifndef SOCKLIFE_CONTAINER_H
#define SOCKLIFE_CONTAINER_H

#include <stddef.h>

#define CONTAINER_ID_MAX 16
#define CONTAINER_CGROUP_MAX 256
#define CONTAINER_UNIT_MAX 64

struct container_ref {
	char id[CONTAINER_ID_MAX];   /* short id; "" for host processes */
	char runtime[16];            /* "docker", "containerd", "cri-o", "podman", "cri" */
	char pod_uid[40];            /* Kubernetes pod UID, "" outside Kubernetes */
	char cgroup[CONTAINER_CGROUP_MAX]; /* the cgroup path (may be cut short) */
};

/* Parse the text of /proc/PID/cgroup (v1 or v2).  Returns 1 and fills
 * `out` when the process is in a container, 0 when not (out->id is ""). */
int container_parse_cgroup(const char *buf, size_t len, struct container_ref *out);

/* The systemd unit of a process from the same text: the innermost
 * "*.service" or "*.scope" of its path in the unified hierarchy (or
 * systemd's named one on cgroup v1), e.g. "nginx.service".  Returns 1 and
 * fills `out`, or 0 with out "" (no unit, or a name too long). */
int container_parse_unit(const char *buf, size_t len, char out[CONTAINER_UNIT_MAX]);

#endif
