/* test_netns.c - namespace labels: host, /run/netns name, ns-<inode>. */
#include <socklife/netns.h>

#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* A fake tree: root/proc/1/ns/net for PID 1, and an empty root/run for
 * /run/netns.  Plain files stand in for nsfs files: a label only needs
 * (dev, inode). */
static void fake_tree(char root[64], char run[128], char proc[128])
{
	assert_non_null(tu_mkdtemp(root));
	snprintf(run, 128, "%s/run", root);
	snprintf(proc, 128, "%s/proc", root);
	tu_mkdirs("%s/1/ns", proc);
	tu_mkdirs("%s", run);
	tu_write("", 0, "%s/1/ns/net", proc);
}

static void test_labels(void **state)
{
	(void)state;
	char root[64], run[128], proc[128], path[PATH_MAX];
	fake_tree(root, run, proc);
	tu_write("", 0, "%s/blue", run);
	tu_write("", 0, "%s/other", root);

	struct netns_names n = {0};
	struct netns_id host, blue, other;
	snprintf(path, sizeof(path), "%s/1/ns/net", proc);
	assert_int_equal(netns_id_of(path, &host), 0);
	snprintf(path, sizeof(path), "%s/blue", run);
	assert_int_equal(netns_id_of(path, &blue), 0);
	snprintf(path, sizeof(path), "%s/other", root);
	assert_int_equal(netns_id_of(path, &other), 0);
	assert_int_equal(netns_names_refresh(&n, proc, run, 0), 0);

	char label[NETNS_LABEL_MAX], want[NETNS_LABEL_MAX];
	netns_label(&n, &host, &blue, label);
	assert_string_equal(label, "host");
	netns_label(&n, &blue, &blue, label);
	assert_string_equal(label, "blue");
	netns_label(&n, &other, &blue, label);
	snprintf(want, sizeof(want), "ns-%llu", (unsigned long long)other.ino);
	assert_string_equal(label, want);

	/* Without a readable PID 1, our own unnamed namespace is the host's. */
	assert_int_equal(netns_names_refresh(&n, "/nonexistent", run, 0), 0);
	netns_label(&n, &other, &other, label);
	assert_string_equal(label, "host");
	netns_label(&n, &blue, &other, label);
	assert_string_equal(label, "blue");

	/* A missing /run/netns is normal. */
	assert_int_equal(netns_names_refresh(&n, proc, "/nonexistent/netns", 0), 0);
	assert_int_equal(n.named.n, 0);
	assert_int_equal(netns_id_of("/nonexistent", &other), -ENOENT);

	netns_names_free(&n);
	tu_rmtree(root);
}

/* No two namespaces share a label: `ip netns add host` makes a namespace
 * that is not PID 1's, names may mimic an unnamed one's, and names that
 * differ only in bytes that are not UTF-8 (or in control characters) show
 * alike.  Those are called ns-<inode>; the real host keeps "host". */
static void test_unfit_names(void **state)
{
	(void)state;
	static const char *const unfit[] = {"host", "ns-12345", "bad\xff", "bad\xfe", "esc\x1b[2J",
					    "tab\there", "c1\xc2\x9b"};
	static const char *const fit[] = {"hosts", "ns-blue", "caf\xc3\xa9"};
	char root[64], run[128], proc[128], path[PATH_MAX], label[NETNS_LABEL_MAX], want[64];
	fake_tree(root, run, proc);
	for (size_t i = 0; i < sizeof(unfit) / sizeof(unfit[0]); i++)
		tu_write("", 0, "%s/%s", run, unfit[i]);
	for (size_t i = 0; i < sizeof(fit) / sizeof(fit[0]); i++)
		tu_write("", 0, "%s/%s", run, fit[i]);

	struct netns_names n = {0};
	struct netns_id host, id;
	snprintf(path, sizeof(path), "%s/1/ns/net", proc);
	assert_int_equal(netns_id_of(path, &host), 0);
	assert_int_equal(netns_names_refresh(&n, proc, run, 0), 0);
	netns_label(&n, &host, NULL, label);
	assert_string_equal(label, "host");
	for (size_t i = 0; i < sizeof(unfit) / sizeof(unfit[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", run, unfit[i]);
		assert_int_equal(netns_id_of(path, &id), 0);
		netns_label(&n, &id, NULL, label);
		snprintf(want, sizeof(want), "ns-%llu", (unsigned long long)id.ino);
		assert_string_equal(label, want);
	}
	for (size_t i = 0; i < sizeof(fit) / sizeof(fit[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", run, fit[i]);
		assert_int_equal(netns_id_of(path, &id), 0);
		netns_label(&n, &id, NULL, label);
		assert_string_equal(label, fit[i]);
	}
	netns_names_free(&n);
	tu_rmtree(root);
}

static void test_real_self(void **state)
{
	(void)state;
	struct netns_id self;
	assert_int_equal(netns_id_of("/proc/thread-self/ns/net", &self), 0);
	assert_true(self.ino != 0);
}

static void test_collect(void **state)
{
	(void)state;
	struct netns_names names = {0};
	struct netns_name named[] = {{{9, 30}, "blue", true}, {{9, 40}, "empty", true}};
	names.host = (struct netns_id){9, 10};
	names.named.v = named;
	names.named.n = 2;
	struct netns_id self = {9, 10};
	struct proc_info procs[5] = {
		{.pid = 1, .netns_dev = 9, .netns_ino = 10},
		{.pid = 7, .netns_dev = 9, .netns_ino = 20},
		{.pid = 8, .netns_dev = 9, .netns_ino = 20},
		{.pid = 9, .netns_dev = 9, .netns_ino = 30},
		{.pid = 11}, /* unreadable */
	};
	struct netns_set set = {0};
	assert_int_equal(netns_collect(&set, &names, &self, procs, 5, true), 0);
	assert_int_equal(set.entries.n, 4);
	assert_true(set.entries.v[0].self);
	assert_string_equal(set.entries.v[0].label, "host");
	assert_string_equal(set.entries.v[1].label, "ns-20");
	assert_int_equal(set.entries.v[1].pid, 7);
	assert_string_equal(set.entries.v[2].label, "blue");
	assert_string_equal(set.entries.v[2].run_name, "blue");
	assert_int_equal(set.entries.v[2].pid, 9);
	assert_string_equal(set.entries.v[3].label, "empty"); /* named, nobody inside */
	assert_int_equal(set.entries.v[3].pid, 0);

	assert_int_equal(netns_collect(&set, &names, &self, procs, 5, false), 0);
	assert_int_equal(set.entries.n, 1);
	netns_set_free(&set);

	/* Entering a namespace that is gone is "gone", not an error. */
	struct netns_entry gone = {.id = {1, 2}, .pid = 999999};
	assert_int_equal(netns_enter(&gone, "/proc", "/run/netns"), -ENOENT);
	struct netns_entry nothing = {.id = {1, 2}};
	assert_int_equal(netns_enter(&nothing, "/proc", "/run/netns"), -ENOENT);
}

/* Only regular files on the namespace filesystem are names: a FIFO, a
 * device node, a symlink or a file elsewhere in /run/netns is passed over
 * without being opened (opening a FIFO would block the sampler). */
static void test_names_are_namespace_files_only(void **state)
{
	(void)state;
	char root[64], run[128], path[PATH_MAX];
	struct stat st;
	assert_non_null(tu_mkdtemp(root));
	snprintf(run, sizeof(run), "%s/run", root);
	tu_mkdirs("%s", run);
	tu_write("", 0, "%s/real", run);
	snprintf(path, sizeof(path), "%s/fifo", run);
	assert_int_equal(mkfifo(path, 0600), 0);
	tu_symlink("/proc/self/ns/net", "%s/link", run);
	snprintf(path, sizeof(path), "%s/real", run);
	assert_int_equal(stat(path, &st), 0);

	struct netns_names n = {0};
	assert_int_equal(netns_names_refresh(&n, "/nonexistent", run, st.st_dev), 0);
	assert_int_equal(n.named.n, 1);
	assert_string_equal(n.named.v[0].name, "real");
	/* On another device (nsfs is not tmpfs): nothing is a name. */
	assert_int_equal(netns_names_refresh(&n, "/nonexistent", run, st.st_dev + 1), 0);
	assert_int_equal(n.named.n, 0);

	/* Entering by a name whose file became a FIFO: refused, never blocks. */
	snprintf(path, sizeof(path), "%s/fifo", run);
	assert_int_equal(stat(path, &st), 0);
	struct netns_entry e = {.id = {st.st_dev, st.st_ino}, .run_name = "fifo"};
	assert_int_equal(netns_enter(&e, "/proc", run), -ENOENT);
	/* A symlink in /run/netns is not followed. */
	struct netns_entry l = {.id = {st.st_dev, st.st_ino}, .run_name = "link"};
	assert_int_equal(netns_enter(&l, "/proc", run), -ENOENT);
	netns_names_free(&n);
	tu_rmtree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_unfit_names),
		cmocka_unit_test(test_real_self),
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_names_are_namespace_files_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
