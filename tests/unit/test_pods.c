/* test_pods.c - pod names from the kubelet's log directory names, and a
 * directory of them read as a node has it. */
#include <socklife/pods.h>

#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

static void test_parse(void **state)
{
	(void)state;
	struct pod_name p;
	const char *good = "kube-system_coredns-5d78c9869d-8x2lq_6f1c2a1e-3c1d-4b8e-9a7f-2b1d0c9e8f7a";
	assert_int_equal(pods_parse_dirname(good, strlen(good), &p), 0);
	assert_string_equal(p.namespace_, "kube-system");
	assert_string_equal(p.name, "coredns-5d78c9869d-8x2lq");
	assert_string_equal(p.key, "6f1c2a1e-3c1d-4b8e-9a7f-2b1d0c9e8f7a");
	/* A static pod's UID is its config's hash. */
	const char *stat_pod = "kube-system_etcd-node1_0123456789abcdef0123456789abcdef";
	assert_int_equal(pods_parse_dirname(stat_pod, strlen(stat_pod), &p), 0);
	assert_string_equal(p.name, "etcd-node1");

	static const char *const bad[] = {
		"", "_", "__", "ns_name", "ns_name_", "_name_uid1", "ns__abc",
		"ns_name_uid_more",            /* four parts */
		"Ns_name_abc",                 /* upper case is no DNS name */
		"ns_na me_abc", "ns_name_xyz", /* a space; not hex */
		"ns_name_0123456789abcdef0123456789abcdef0123456789", /* a UID too long */
		"ns\n_name_abc", "ns_\x1b[31m_abc",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pods_parse_dirname(bad[i], strlen(bad[i]), &p), -EINVAL);
}

static void test_refresh(void **state)
{
	(void)state;
	char dir[64];
	assert_non_null(tu_mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/default_web-0_11111111-2222-3333-4444-555555555555", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/not a pod", dir);
	assert_int_equal(mkdir(path, 0755), 0);

	struct pods pods = PODS_INIT;
	assert_int_equal(pods_refresh(&pods, dir), 0);
	const struct pod_name *p = pods_find(&pods, "11111111-2222-3333-4444-555555555555");
	assert_non_null(p);
	assert_string_equal(p->name, "web-0");
	assert_string_equal(p->namespace_, "default");
	assert_null(pods_find(&pods, ""));
	assert_null(pods_find(&pods, "99999999-2222-3333-4444-555555555555"));

	/* The pod is gone: so is its name. */
	snprintf(path, sizeof(path), "%s/default_web-0_11111111-2222-3333-4444-555555555555", dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(pods_refresh(&pods, dir), 0);
	assert_null(pods_find(&pods, "11111111-2222-3333-4444-555555555555"));

	/* No such directory: not a Kubernetes node, no names, no error. */
	tu_rmtree(dir);
	assert_int_equal(pods_refresh(&pods, dir), 0);
	pods_free(&pods);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refresh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
