/* test_container.c - container ids from real cgroup path shapes. */
#include <socklife/container.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define ID "3f2a1b9c0d1e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a"

struct shape {
	const char *cgroup;
	const char *id, *runtime, *pod;
};

static const struct shape shapes[] = {
	/* docker, systemd driver, cgroup v2 */
	{"0::/system.slice/docker-" ID ".scope\n", "3f2a1b9c0d1e", "docker", ""},
	/* docker, cgroupfs driver, v2 and v1 */
	{"0::/docker/" ID "\n", "3f2a1b9c0d1e", "docker", ""},
	{"12:pids:/docker/" ID "\n11:memory:/docker/" ID "\n1:name=systemd:/docker/" ID "\n",
	 "3f2a1b9c0d1e", "docker", ""},
	/* Kubernetes with containerd, systemd driver */
	{"0::/kubepods.slice/kubepods-burstable.slice/"
	 "kubepods-burstable-pod4b9c2f6e_1d2a_4c3b_9f8e_7a6b5c4d3e2f.slice/"
	 "cri-containerd-" ID ".scope\n",
	 "3f2a1b9c0d1e4", "containerd", "4b9c2f6e-1d2a-4c3b-9f8e-7a6b5c4d3e2f"},
	/* Guaranteed QoS: no QoS slice */
	{"0::/kubepods.slice/kubepods-pod4b9c2f6e_1d2a_4c3b_9f8e_7a6b5c4d3e2f.slice/"
	 "cri-containerd-" ID ".scope\n",
	 "3f2a1b9c0d1e4", "containerd", "4b9c2f6e-1d2a-4c3b-9f8e-7a6b5c4d3e2f"},
	/* Kubernetes, cgroupfs driver (v1) */
	{"10:cpu,cpuacct:/kubepods/besteffort/pod4b9c2f6e-1d2a-4c3b-9f8e-7a6b5c4d3e2f/" ID "\n",
	 "3f2a1b9c0d1e4", "cri", "4b9c2f6e-1d2a-4c3b-9f8e-7a6b5c4d3e2f"},
	/* CRI-O */
	{"0::/kubepods.slice/kubepods-besteffort.slice/"
	 "kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice/crio-" ID ".scope\n",
	 "3f2a1b9c0d1e4", "cri-o", "11111111-2222-3333-4444-555555555555"},
	/* podman, rootful (systemd and cgroupfs drivers' shapes) */
	{"0::/machine.slice/libpod-" ID ".scope\n", "3f2a1b9c0d1e", "podman", ""},
	{"0::/machine.slice/libpod-" ID ".scope/container\n", "3f2a1b9c0d1e", "podman", ""},
	/* docker in a nested scope (the process sits in a sub-cgroup) */
	{"0::/system.slice/docker-" ID ".scope/init.scope\n", "3f2a1b9c0d1e", "docker", ""},
	/* docker with --cgroup-parent=batch.slice: slices all the way up */
	{"0::/batch.slice/docker-" ID ".scope\n", "3f2a1b9c0d1e", "docker", ""},
	/* Kubernetes on docker (dockershim), systemd driver */
	{"0::/kubepods.slice/kubepods-besteffort.slice/"
	 "kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice/docker-" ID ".scope\n",
	 "3f2a1b9c0d1e", "docker", "11111111-2222-3333-4444-555555555555"},
	/* Guaranteed QoS, cgroupfs driver: no QoS level */
	{"4:memory:/kubepods/pod4b9c2f6e-1d2a-4c3b-9f8e-7a6b5c4d3e2f/" ID "\n",
	 "3f2a1b9c0d1e4", "cri", "4b9c2f6e-1d2a-4c3b-9f8e-7a6b5c4d3e2f"},
	/* socklife in a pod of its own, in a cgroup namespace (cgroup v2's
	 * default for containers): other pods' paths climb out with "/.." */
	{"0::/../../kubepods-burstable-pod4b9c2f6e_1d2a_4c3b_9f8e_7a6b5c4d3e2f.slice/"
	 "cri-containerd-" ID ".scope\n",
	 "3f2a1b9c0d1e4", "containerd", "4b9c2f6e-1d2a-4c3b-9f8e-7a6b5c4d3e2f"},
	/* A kind node (a docker container running Kubernetes): the node is the
	 * container the host knows; what it runs inside is its own business. */
	{"0::/system.slice/docker-" ID ".scope/kubelet.slice/kubelet-kubepods.slice/"
	 "kubepods-pod1.slice/cri-containerd-"
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.scope\n",
	 "3f2a1b9c0d1e", "docker", ""},
	/* A container naming a cgroup of its own after another container. */
	{"0::/docker/" ID "/docker/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	 "3f2a1b9c0d1e", "docker", ""},
};

static void test_runtimes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct container_ref c;
		const char *cg = shapes[i].cgroup;
		assert_int_equal(container_parse_cgroup(cg, strlen(cg), &c), 1);
		assert_string_equal(c.id, shapes[i].id);
		assert_string_equal(c.runtime, shapes[i].runtime);
		assert_string_equal(c.pod_uid, shapes[i].pod);
		assert_non_null(strstr(cg, c.cgroup));
	}
}

/* What a user, a daemon or a container can name for itself, and the
 * runtimes' own helpers: never a container. */
static void test_host_processes(void **state)
{
	(void)state;
	const char *host[] = {
		"0::/init.scope\n",
		"0::/system.slice/sshd.service\n",
		"0::/user.slice/user-1000.slice/session-3.scope\n",
		"0::/system.slice/docker.service\n",     /* dockerd itself */
		"0::/machine.slice/libpod-conmon-" ID ".scope\n", /* podman's monitor */
		"0::/kubepods.slice/kubepods-pod1.slice/crio-conmon-" ID ".scope\n", /* CRI-O's */
		"0::/system.slice/docker-" ID "x.scope\n", /* not an id */
		"0::/docker/" "3F2A1B9C0D1E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A\n",
		"garbage without colons\n",
		"",
		"0::/\n",
		/* cgroupfs shapes below a user's delegated cgroup (cgroup v2 hands
		 * user@UID.service to the user; v1 hierarchies chown'ed alike) */
		"0::/user.slice/user-1000.slice/docker/" ID "\n",
		"0::/user.slice/user-1000.slice/user@1000.service/docker/" ID "\n",
		"8:pids:/user.slice/user-1000.slice/user@1000.service/kubepods/besteffort/"
		"pod4b9c2f6e-1d2a-4c3b-9f8e-7a6b5c4d3e2f/" ID "\n",
		/* a scope the user's own manager made (systemd-run --user --scope) */
		"0::/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" ID ".scope\n",
		/* rootless podman: the user could have named it after any container */
		"0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID
		".scope/container\n",
		/* below a service that delegates (Delegate=yes) or any other one */
		"0::/system.slice/myapp.service/docker-" ID ".scope\n",
		"0::/system.slice/myapp.service/docker/" ID "\n",
		"0::/system.slice/containerd.service/kubepods/besteffort/pod1/" ID "\n",
		/* the cgroupfs shapes anywhere but at the root */
		"0::/srv/docker/" ID "\n",
		"0::/kubepods/besteffort/extra/pod1/" ID "\n",
		"0::/kubepods/besteffort/" ID "\n", /* no pod */
		"0::/kubepods/guaranteed/pod1/" ID "\n", /* not a QoS level */
	};
	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		struct container_ref c;
		assert_int_equal(container_parse_cgroup(host[i], strlen(host[i]), &c), 0);
		assert_string_equal(c.id, "");
	}
}

/* A component that only starts like a pod ("podcast", below the
 * container) used to overwrite the start of the pod UID found above it. */
static void test_pod_uid_not_mixed(void **state)
{
	(void)state;
	const char cg[] = "10:cpu:/kubepods/besteffort/pod4b9c2f6e-1d2a-4c3b-9f8e-7a6b5c4d3e2f/" ID "/podcast\n";
	struct container_ref c;
	assert_int_equal(container_parse_cgroup(cg, sizeof(cg) - 1, &c), 1);
	assert_string_equal(c.id, "3f2a1b9c0d1e4");
	assert_string_equal(c.pod_uid, "4b9c2f6e-1d2a-4c3b-9f8e-7a6b5c4d3e2f");
	/* The last line needs no newline; a path may hold ':'. */
	const char last[] = "1:name=systemd:/init.scope\n0::/odd:dir.slice/docker-" ID ".scope";
	assert_int_equal(container_parse_cgroup(last, sizeof(last) - 1, &c), 1);
	assert_string_equal(c.id, "3f2a1b9c0d1e");
	assert_string_equal(c.cgroup, "/odd:dir.slice/docker-" ID ".scope");
}

static void unit_is(const char *cgroup, const char *want)
{
	char out[CONTAINER_UNIT_MAX];
	assert_int_equal(container_parse_unit(cgroup, strlen(cgroup), out), want[0] != '\0');
	assert_string_equal(out, want);
}

/* A host process's systemd unit tells services running one binary apart. */
static void test_systemd_units(void **state)
{
	(void)state;
	unit_is("0::/system.slice/nginx.service\n", "nginx.service");
	unit_is("0::/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service\n",
		"foo.service");
	unit_is("0::/user.slice/user-1000.slice/session-3.scope\n", "session-3.scope");
	unit_is("12:pids:/system.slice/x.service\n1:name=systemd:/system.slice/cron.service\n",
		"cron.service");
	unit_is("0::/\n", "");
	unit_is("0::/kubepods.slice/kubepods-pod1.slice\n", "");
	/* A name longer than a unit may be is left out, not cut. */
	char long_path[200] = "0::/system.slice/";
	memset(long_path + 17, 'a', 100);
	strcpy(long_path + 117, ".service\n");
	unit_is(long_path, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtimes),
		cmocka_unit_test(test_host_processes),
		cmocka_unit_test(test_pod_uid_not_mixed),
		cmocka_unit_test(test_systemd_units),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
