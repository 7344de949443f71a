/* test_procscan.c - the /proc walk against fake proc trees.
 *
 * Processes that exit and fds that close mid-walk are simulated by wrapping
 * openat() and readlinkat() (linked with -Wl,--wrap): the wrapper fails the
 * chosen call with the errno the kernel would give. */
#include <socklife/census.h>
#include <socklife/procscan.h>
#include <socklife/proto.h>

#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* --- failure injection ------------------------------------------------- */

static struct {
	const char *dir_suffix; /* "/<pid>" or "/<pid>/fd" */
	const char *name;       /* file or fd name under it */
	int err;
} inject_open, inject_link;

int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
ssize_t __real_readlinkat(int dirfd, const char *path, char *buf, size_t len);
ssize_t __wrap_readlinkat(int dirfd, const char *path, char *buf, size_t len);

static int matches(int dirfd, const char *path, const char *dir_suffix, const char *name)
{
	char self[64], dir[PATH_MAX];
	if (!dir_suffix || strcmp(path, name) != 0)
		return 0;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", dirfd);
	ssize_t n = readlink(self, dir, sizeof(dir) - 1);
	if (n < 0)
		return 0;
	dir[n] = '\0';
	size_t sl = strlen(dir_suffix);
	return (size_t)n >= sl && strcmp(dir + n - sl, dir_suffix) == 0;
}

int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = va_arg(ap, mode_t);
	va_end(ap);
	if (matches(dirfd, path, inject_open.dir_suffix, inject_open.name)) {
		errno = inject_open.err;
		return -1;
	}
	return __real_openat(dirfd, path, flags, mode);
}

ssize_t __wrap_readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	if (matches(dirfd, path, inject_link.dir_suffix, inject_link.name)) {
		errno = inject_link.err;
		return -1;
	}
	return __real_readlinkat(dirfd, path, buf, len);
}

/* --- fake tree --------------------------------------------------------- */

static char root[64];

static void add_proc(int pid, const char *comm, unsigned long long start, const char *limit)
{
	tu_proc(root, pid, comm, start, limit);
}

static void add_fd(int pid, int fd, const char *target) { tu_fd(root, pid, fd, target); }

static int setup(void **state)
{
	(void)state;
	memset(&inject_open, 0, sizeof(inject_open));
	memset(&inject_link, 0, sizeof(inject_link));
	assert_non_null(tu_mkdtemp(root));
	/* Things in /proc that are not processes must be passed over. */
	tu_mkdirs("%s/net", root);
	tu_symlink("100", "%s/self", root);
	tu_write("x", 1, "%s/uptime", root);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(root);
	return 0;
}

static const struct proc_info *find(const struct procscan *ps, int pid)
{
	for (size_t i = 0; i < ps->procs.n; i++)
		if (ps->procs.v[i].pid == pid)
			return &ps->procs.v[i];
	return NULL;
}

/* The pids holding `inode`, and how many fds hold it (at most 4 listed). */
static size_t holders_of(const struct procscan *ps, uint64_t inode, int pids[4])
{
	size_t n = 0;
	for (size_t p = 0; p < ps->procs.n; p++) {
		size_t nfds;
		const struct sock_fd *fds = procscan_sockets(ps, p, &nfds);
		for (size_t i = 0; i < nfds; i++)
			if (fds[i].inode == inode && n < 4)
				pids[n++] = ps->procs.v[p].pid;
	}
	return n;
}

static const struct procscan *the_scanner; /* for holds_wanted() */

static size_t holders_of_global(uint64_t inode, int pids[4])
{
	return holders_of(the_scanner, inode, pids);
}

static size_t socket_fds(const struct procscan *ps)
{
	size_t total = 0, n;
	for (size_t p = 0; p < ps->procs.n; p++) {
		procscan_sockets(ps, p, &n);
		total += n;
	}
	return total;
}

static struct procscan scanner(unsigned verify_passes)
{
	struct procscan ps;
	procscan_init(&ps, root, verify_passes);
	return ps;
}

/* --- tests ------------------------------------------------------------- */

static void test_walk_basic_and_shared_socket(void **state)
{
	(void)state;
	add_proc(100, "nginx", 500, "1024");
	add_fd(100, 0, "/dev/null");
	add_fd(100, 3, "socket:[1000]");
	add_fd(100, 4, "socket:[1001]");
	add_fd(100, 5, "pipe:[77]");
	add_proc(200, "nginx", 510, "unlimited"); /* forked worker: shares 1000 */
	add_fd(200, 3, "socket:[1000]");
	add_proc(300, "kworker/0:1", 2, "1024"); /* kernel thread: no fds */

	struct procscan ps = scanner(1);
	assert_int_equal(procscan_run(&ps, NULL), 0);
	assert_int_equal(ps.procs.n, 2);

	const struct proc_info *a = find(&ps, 100), *b = find(&ps, 200);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(find(&ps, 300));
	assert_string_equal(a->comm, "nginx");
	assert_int_equal(a->start_time, 500);
	assert_int_equal(a->nfds, 4);
	assert_int_equal(a->nsockets, 2);
	assert_int_equal(a->fd_limit, 1024);
	assert_false(a->fds_denied);
	assert_int_equal(b->fd_limit, 0); /* unlimited */
	assert_int_equal(b->nfds, 1);

	int pids[4];
	assert_int_equal(holders_of(&ps, 1000, pids), 2);
	assert_int_equal(holders_of(&ps, 1001, pids), 1);
	assert_int_equal(pids[0], 100);
	assert_int_equal(socket_fds(&ps), 3);
	assert_int_equal(ps.stats.vanished_procs + ps.stats.vanished_fds, 0);
	procscan_free(&ps);
}

static void test_hostile_comm(void **state)
{
	(void)state;
	/* comm may hold ')', spaces, quotes, backslashes, newlines and bytes
	 * that are not UTF-8; the walk must keep them exactly. */
	const char *evil = "a) (b\"\\\n\xff\xfe";
	add_proc(100, evil, 42, "1024");
	add_fd(100, 3, "socket:[5]");

	struct procscan ps = scanner(1);
	assert_int_equal(procscan_run(&ps, NULL), 0);
	assert_int_equal(ps.procs.n, 1);
	assert_string_equal(ps.procs.v[0].comm, evil);
	assert_int_equal(ps.procs.v[0].start_time, 42);
	procscan_free(&ps);
}

static void test_process_vanishes_before_stat(void **state)
{
	(void)state;
	add_proc(100, "alive", 1, "1024");
	add_fd(100, 3, "socket:[1]");
	add_proc(400, "dying", 2, "1024");
	add_fd(400, 3, "socket:[2]");
	inject_open.dir_suffix = "/400";
	inject_open.name = "stat";
	inject_open.err = ESRCH;

	struct procscan ps = scanner(1);
	assert_int_equal(procscan_run(&ps, NULL), 0);
	assert_int_equal(ps.procs.n, 1);
	assert_null(find(&ps, 400));
	assert_int_equal(ps.stats.vanished_procs, 1);
	int pids[4];
	assert_int_equal(holders_of(&ps, 2, pids), 0);
	procscan_free(&ps);
}

static void test_process_exits_while_fds_are_read(void **state)
{
	(void)state;
	add_proc(100, "alive", 1, "1024");
	add_fd(100, 3, "socket:[1]");
	add_proc(500, "dying", 2, "1024");
	add_fd(500, 3, "socket:[2]");
	inject_open.dir_suffix = "/500";
	inject_open.name = "fd";
	inject_open.err = ENOENT;

	struct procscan ps = scanner(1);
	assert_int_equal(procscan_run(&ps, NULL), 0);
	assert_null(find(&ps, 500));
	assert_int_equal(ps.stats.vanished_procs, 1);
	int one[4];
	assert_int_equal(socket_fds(&ps), 1);
	assert_int_equal(holders_of(&ps, 1, one), 1);
	procscan_free(&ps);
}

static void test_fd_closes_mid_walk(void **state)
{
	(void)state;
	add_proc(100, "app", 1, "1024");
	add_fd(100, 3, "socket:[1]");
	add_fd(100, 4, "socket:[2]");
	add_fd(100, 5, "socket:[3]");
	inject_link.dir_suffix = "/100/fd";
	inject_link.name = "4";
	inject_link.err = ENOENT;

	struct procscan ps = scanner(1);
	assert_int_equal(procscan_run(&ps, NULL), 0);
	const struct proc_info *p = find(&ps, 100);
	assert_non_null(p);
	assert_int_equal(p->nfds, 2);
	assert_int_equal(p->nsockets, 2);
	assert_int_equal(ps.stats.vanished_fds, 1);
	int pids[4];
	assert_int_equal(holders_of(&ps, 2, pids), 0);
	assert_int_equal(holders_of(&ps, 3, pids), 1);
	procscan_free(&ps);
}

static void test_fds_not_readable(void **state)
{
	(void)state;
	add_proc(100, "secret", 1, "1024");
	add_fd(100, 3, "socket:[1]");
	add_fd(100, 4, "socket:[2]");
	inject_link.dir_suffix = "/100/fd";
	inject_link.name = "3";
	inject_link.err = EACCES;

	struct procscan ps = scanner(1);
	assert_int_equal(procscan_run(&ps, NULL), 0);
	const struct proc_info *p = find(&ps, 100);
	assert_non_null(p);
	assert_true(p->fds_denied);
	assert_int_equal(p->nfds, 2); /* listable, so still counted */
	assert_int_equal(ps.stats.denied_procs, 1);
	procscan_free(&ps);
}

static void test_pid_reuse_gets_a_new_identity(void **state)
{
	(void)state;
	char path[PATH_MAX];
	add_proc(100, "old", 500, "1024");
	add_fd(100, 3, "socket:[1000]");

	struct procscan ps = scanner(1);
	assert_int_equal(procscan_run(&ps, NULL), 0);
	assert_int_equal(find(&ps, 100)->start_time, 500);

	/* The process exits and an unrelated one is born with the same pid. */
	snprintf(path, sizeof(path), "%s/100", root);
	tu_rmtree(path);
	add_proc(100, "new", 900, "1024");
	add_fd(100, 7, "socket:[2000]");

	assert_int_equal(procscan_run(&ps, NULL), 0);
	const struct proc_info *p = find(&ps, 100);
	assert_int_equal(p->start_time, 900);
	assert_string_equal(p->comm, "new");
	int pids[4];
	assert_int_equal(holders_of(&ps, 1000, pids), 0);
	assert_int_equal(holders_of(&ps, 2000, pids), 1);
	size_t n;
	assert_int_equal(procscan_sockets(&ps, 0, &n)[0].fd, 7);
	procscan_free(&ps);
}

static void test_containers_from_cgroups(void **state)
{
	(void)state;
	const char docker[] = "0::/system.slice/docker-"
			      "3f2a1b9c0d1e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a.scope\n";
	const char other[] = "0::/docker/"
			     "aaaabbbbccccddddeeeeffff00001111222233334444555566667777888899990\n";
	add_proc(100, "web", 1, "1024");
	add_fd(100, 3, "socket:[1]");
	tu_write(docker, sizeof(docker) - 1, "%s/100/cgroup", root);
	add_proc(101, "web", 2, "1024");
	add_fd(101, 3, "socket:[2]");
	tu_write(docker, sizeof(docker) - 1, "%s/101/cgroup", root);
	add_proc(102, "db", 3, "1024");
	add_fd(102, 3, "socket:[3]");
	tu_write(other, sizeof(other) - 2, "%s/102/cgroup", root); /* 63 hex + 0: not an id */
	add_proc(103, "sshd", 4, "1024");
	add_fd(103, 3, "socket:[4]");
	tu_write("0::/system.slice/ssh.service\n", 29, "%s/103/cgroup", root);

	struct procscan ps = scanner(1);
	assert_int_equal(procscan_run(&ps, NULL), 0);
	assert_int_equal(ps.containers.n, 2); /* [0] is "none" */
	assert_int_equal(find(&ps, 100)->container, 1);
	assert_int_equal(find(&ps, 101)->container, 1);
	assert_int_equal(find(&ps, 102)->container, 0);
	assert_int_equal(find(&ps, 103)->container, 0);
	assert_string_equal(ps.containers.v[1].id, "3f2a1b9c0d1e");
	assert_string_equal(ps.containers.v[1].runtime, "docker");
	/* A second walk starts its table afresh. */
	assert_int_equal(procscan_run(&ps, NULL), 0);
	assert_int_equal(ps.containers.n, 2);
	procscan_free(&ps);
}

/* With a census no fds are read, yet a process moved into a container
 * after it was first seen is labelled by it: at once when its fd count
 * moves, and within verify_passes passes when it sits idle. */
static void test_census_rereads_cgroups(void **state)
{
	(void)state;
	const char docker[] = "0::/system.slice/docker-"
			      "3f2a1b9c0d1e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a.scope\n";
	const char host[] = "0::/user.slice/user-0.slice/session-1.scope\n";
	add_proc(100, "grower", 1, "64");
	tu_write(host, sizeof(host) - 1, "%s/100/cgroup", root);
	add_proc(101, "idle", 2, "64");
	tu_write(host, sizeof(host) - 1, "%s/101/cgroup", root);

	struct census c;
	census_init(&c);
	struct procscan ps = scanner(4);
	uint32_t grower_fds = 4;
	for (unsigned pass = 1; pass <= 5; pass++) {
		if (pass == 2) { /* both are moved; only the grower opens a socket */
			tu_write(docker, sizeof(docker) - 1, "%s/100/cgroup", root);
			tu_write(docker, sizeof(docker) - 1, "%s/101/cgroup", root);
			grower_fds++;
		}
		census_begin(&c, 0);
		for (uint32_t fd = 3; fd < grower_fds; fd++)
			assert_true(census_socket(&c, 100, fd, 500 + fd, PROTO_TCP) >= 0);
		assert_int_equal(census_table(&c, 100, 100, grower_fds, 64, 1), 0);
		assert_true(census_socket(&c, 101, 3, 600, PROTO_TCP) >= 0);
		assert_int_equal(census_table(&c, 101, 101, 4, 64, 1), 0);
		assert_int_equal(census_end(&c), 0);
		assert_int_equal(procscan_run(&ps, &c), 0);
		assert_int_equal(ps.stats.fd_reads, 0);
		if (pass == 1) {
			assert_int_equal(find(&ps, 100)->container, 0);
			assert_int_equal(find(&ps, 101)->container, 0);
		}
		if (pass == 2)
			assert_int_equal(find(&ps, 100)->container, 1);
	}
	/* Four passes after the move, the idle one's turn has come. */
	assert_int_equal(find(&ps, 100)->container, find(&ps, 101)->container);
	assert_int_not_equal(find(&ps, 101)->container, 0);
	assert_string_equal(ps.containers.v[find(&ps, 101)->container].id, "3f2a1b9c0d1e");
	procscan_free(&ps);
	census_free(&c);
}

static void test_missing_root(void **state)
{
	(void)state;
	struct procscan ps;
	procscan_init(&ps, "/nonexistent/socklife", 1);
	assert_int_equal(procscan_run(&ps, NULL), -ENOENT);
	procscan_free(&ps);
}

/* --- incremental reading ------------------------------------------------ */

static void test_unchanged_processes_are_not_reread(void **state)
{
	(void)state;
	for (int p = 0; p < 4; p++) {
		add_proc(100 + p, "app", 1, "1024");
		add_fd(100 + p, 3, p == 0 ? "socket:[10]" : "/dev/null");
	}
	struct procscan ps = scanner(4);
	assert_int_equal(procscan_run(&ps, NULL), 0);
	assert_int_equal(ps.stats.fd_reads, 4); /* the first pass reads everyone */
	assert_int_equal(procscan_run(&ps, NULL), 0);
	assert_int_equal(ps.stats.fd_reads, 1); /* then a quarter: the rotation */
	int ten[4];
	assert_int_equal(socket_fds(&ps), 1);
	assert_int_equal(holders_of(&ps, 10, ten), 1);

	/* A process whose fd count changes is read at once. */
	add_fd(102, 4, "socket:[20]");
	assert_int_equal(procscan_run(&ps, NULL), 0);
	assert_true(ps.stats.fd_reads >= 1);
	int pids[4];
	assert_int_equal(holders_of(&ps, 20, pids), 1);
	assert_int_equal(pids[0], 102);
	assert_int_equal(find(&ps, 102)->nsockets, 1);
	procscan_free(&ps);
}

static void test_rotation_reaches_everyone(void **state)
{
	(void)state;
	char path[256];
	add_proc(100, "a", 1, "1024");
	add_fd(100, 3, "socket:[10]");
	add_proc(101, "b", 1, "1024");
	add_fd(101, 3, "/dev/null");
	struct procscan ps = scanner(3);
	assert_int_equal(procscan_run(&ps, NULL), 0);

	/* The socket moves from a to b without either fd count changing (a
	 * dup2 over it in a, an SCM_RIGHTS receive dup2'ed into place in b). */
	snprintf(path, sizeof(path), "%s/100/fd/3", root);
	unlink(path);
	add_fd(100, 3, "/dev/null");
	snprintf(path, sizeof(path), "%s/101/fd/3", root);
	unlink(path);
	add_fd(101, 3, "socket:[10]");

	int pids[4], passes = 0;
	do {
		assert_int_equal(procscan_run(&ps, NULL), 0);
		passes++;
	} while (!(holders_of(&ps, 10, pids) == 1 && pids[0] == 101) && passes < 10);
	assert_true(passes <= 3); /* within verify_passes */
	procscan_free(&ps);
}

/* What the caller of procscan_read_more looks for: one inode. */
struct want {
	uint64_t inode;
	size_t calls;
};

static bool holds_wanted(void *ctx, size_t proc)
{
	struct want *w = ctx;
	w->calls++;
	int pids[4];
	(void)proc;
	return holders_of_global(w->inode, pids) > 0;
}

static void test_read_more_finds_new_sockets(void **state)
{
	(void)state;
	char path[256];
	for (int p = 0; p < 7; p++) {
		add_proc(100 + p, "app", 1, "1024");
		add_fd(100 + p, 3, "/dev/null");
	}
	add_fd(103, 4, "socket:[70]"); /* it holds the most sockets: likeliest */
	add_fd(103, 5, "socket:[71]");
	struct procscan ps = scanner(1000);
	the_scanner = &ps;
	assert_int_equal(procscan_run(&ps, NULL), 0);
	/* pid 103 replaces an fd with a new socket: no count changes. */
	snprintf(path, sizeof(path), "%s/103/fd/3", root);
	unlink(path);
	add_fd(103, 3, "socket:[77]");
	assert_int_equal(procscan_run(&ps, NULL), 0);
	int pids[4];
	assert_int_equal(holders_of(&ps, 77, pids), 0); /* not known yet */

	struct want w = {77, 0};
	bool exhausted;
	long read = procscan_read_more(&ps, 100, holds_wanted, &w, &exhausted);
	assert_int_equal(read, 1); /* the likeliest first, and stop once found */
	assert_int_equal(w.calls, 1);
	assert_false(exhausted);
	assert_int_equal(holders_of(&ps, 77, pids), 1);
	assert_int_equal(pids[0], 103);
	assert_true(procscan_read_now(&ps, (size_t)(find(&ps, 103) - ps.procs.v)));

	/* Something nobody holds: a budget stops the search early... */
	w = (struct want){999, 0};
	assert_int_equal(procscan_read_more(&ps, 1, holds_wanted, &w, &exhausted), 1);
	assert_false(exhausted);
	/* ...and without one, every process not read yet is read, once. */
	assert_true(procscan_read_more(&ps, 100, holds_wanted, &w, &exhausted) >= 0);
	assert_true(exhausted);
	assert_true(ps.stats.fd_reads <= 7);
	the_scanner = NULL;
	procscan_free(&ps);
}

/* A process read again mid-pass: what it holds now replaces what it held. */
static void test_read_more_replaces_what_was_held(void **state)
{
	(void)state;
	char path[256];
	add_proc(100, "a", 1, "1024");
	add_fd(100, 3, "socket:[10]");
	add_proc(200, "b", 1, "1024");
	add_fd(200, 3, "/dev/null");
	struct procscan ps = scanner(1000);
	the_scanner = &ps;
	assert_int_equal(procscan_run(&ps, NULL), 0);
	snprintf(path, sizeof(path), "%s/100/fd/3", root);
	unlink(path);
	add_fd(100, 3, "socket:[11]");
	/* The rotation reads one of the two this pass (1000 passes, 2 processes). */
	assert_int_equal(procscan_run(&ps, NULL), 0);
	size_t a = (size_t)(find(&ps, 100) - ps.procs.v);
	struct want w = {11, 0};
	bool exhausted;
	long read = procscan_read_more(&ps, 100, holds_wanted, &w, &exhausted);
	assert_int_equal(read, 1); /* the one the rotation left unread */
	int pids[4];
	assert_int_equal(holders_of(&ps, 10, pids), 0);
	assert_int_equal(holders_of(&ps, 11, pids), 1);
	assert_true(procscan_read_now(&ps, a));
	/* Still held?  One readlink says. */
	assert_true(procscan_still_held(&ps, a, 3, 11));
	assert_false(procscan_still_held(&ps, a, 3, 10));
	the_scanner = NULL;
	procscan_free(&ps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walk_basic_and_shared_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_comm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_vanishes_before_stat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_exits_while_fds_are_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_closes_mid_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fds_not_readable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_reuse_gets_a_new_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_containers_from_cgroups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_census_rereads_cgroups, setup, teardown),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test_setup_teardown(test_unchanged_processes_are_not_reread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_reaches_everyone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_more_finds_new_sockets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_more_replaces_what_was_held, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
