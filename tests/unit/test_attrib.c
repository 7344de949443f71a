/* test_attrib.c - attribution against a fake proc tree: who holds each
 * socket, one delivery per socket, deferred sockets found by a search,
 * unresolvable ones remembered, and socket fds no dump listed.
 *
 * The fake fds are symlinks to "socket:[N]"; the sockfs protocol xattr
 * they cannot have is answered by wrapping getxattr (-Wl,--wrap). */
#include <socklife/attrib.h>
#include <socklife/census.h>

#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static char root[64];

ssize_t __wrap_getxattr(const char *path, const char *name, void *value, size_t size);

/* Every fake socket fd is a TCP socket. */
ssize_t __wrap_getxattr(const char *path, const char *name, void *value, size_t size)
{
	(void)path, (void)name;
	if (size < 3)
		return -1;
	memcpy(value, "TCP", 3);
	return 3;
}

static void add_proc(int pid, const char *comm) { tu_proc(root, pid, comm, (unsigned)pid, "1024"); }

static void add_fd(int pid, int fd, unsigned inode) { tu_socket_fd(root, pid, fd, inode); }

static void replace_fd(int pid, int fd, unsigned inode) { tu_socket_fd(root, pid, fd, inode); }

/* --- a sink that writes down what it is given ------------------------------ */

struct got {
	struct {
		uint64_t inode;
		enum owner_kind kind;
		int32_t pids[4];
		size_t npids;
	} s[32];
	size_t n, unhashed;
	int32_t unhashed_pid;
	uint64_t unhashed_inode;
	uint32_t unhashed_fd;
	const struct attrib *a;
};

static void on_socket(void *ctx, const struct attributed *at)
{
	struct got *g = ctx;
	assert_true(g->n < 32);
	g->s[g->n].inode = at->s->inode;
	g->s[g->n].kind = at->kind;
	g->s[g->n].npids = at->nprocs;
	for (size_t i = 0; i < at->nprocs && i < 4; i++)
		g->s[g->n].pids[i] = g->a->ps.procs.v[at->procs[i]].pid;
	g->n++;
}

static void on_unhashed(void *ctx, uint64_t inode, uint8_t proto, const uint32_t *procs,
			const uint32_t *fds, size_t n)
{
	struct got *g = ctx;
	g->unhashed++;
	g->unhashed_pid = n ? g->a->ps.procs.v[procs[0]].pid : -1;
	g->unhashed_inode = inode;
	g->unhashed_fd = n ? fds[0] : 0;
	assert_int_equal(proto, PROTO_TCP);
}

static bool every_namespace_read(void *ctx, const struct proc_info *pi, uint8_t proto)
{
	(void)ctx, (void)pi, (void)proto;
	return true;
}

static bool nothing_read(void *ctx, const struct proc_info *pi, uint8_t proto)
{
	(void)ctx, (void)pi, (void)proto;
	return false;
}

static struct sl_socket sock(uint64_t cookie, uint64_t inode, uint8_t state)
{
	return (struct sl_socket){.cookie = cookie, .inode = inode, .state = state, .proto = PROTO_TCP};
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(tu_mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(root);
	return 0;
}

/* --- tests ----------------------------------------------------------------- */

static void test_each_socket_once_with_its_holders(void **state)
{
	(void)state;
	add_proc(100, "server");
	add_fd(100, 3, 500);
	add_fd(100, 4, 501);
	add_proc(101, "server"); /* a forked worker: shares 500 */
	add_fd(101, 3, 500);
	struct attrib a;
	struct got g = {.a = &a};
	struct attrib_sink sk = {on_socket, on_unhashed, &g};
	attrib_init(&a, root, 1);
	assert_int_equal(attrib_begin(&a, &sk, NULL), 0);

	struct sl_socket listener = sock(1, 500, ST_LISTEN), conn = sock(2, 501, ST_ESTABLISHED);
	struct sl_socket tw = sock(3, 0, ST_TIME_WAIT);
	assert_int_equal(attrib_socket(&a, &listener, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_socket(&a, &conn, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_socket(&a, &tw, 0, 0, SIDE_NONE), 0);
	/* A dump walks a changing hash: the same sockets again. */
	assert_int_equal(attrib_socket(&a, &listener, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_socket(&a, &tw, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_end(&a, every_namespace_read, NULL), 0);

	assert_int_equal(g.n, 3);
	assert_int_equal(a.stats.duplicates, 2);
	assert_int_equal(g.s[0].kind, OWNED);
	assert_int_equal(g.s[0].npids, 2); /* the server and its worker */
	assert_true((g.s[0].pids[0] == 100 && g.s[0].pids[1] == 101) ||
		    (g.s[0].pids[0] == 101 && g.s[0].pids[1] == 100));
	assert_int_equal(g.s[1].npids, 1);
	assert_int_equal(g.s[1].pids[0], 100);
	assert_int_equal(g.s[2].kind, KERNEL);
	assert_int_equal(g.unhashed, 0);
	attrib_free(&a);
}

static void test_deferred_socket_is_found_by_a_search(void **state)
{
	(void)state;
	for (int pid = 100; pid < 106; pid++) {
		add_proc(pid, "app");
		add_fd(pid, 3, (unsigned)(600 + pid));
	}
	struct attrib a;
	struct got g = {.a = &a};
	struct attrib_sink sk = {on_socket, on_unhashed, &g};
	attrib_init(&a, root, 1000); /* the rotation reads one process a pass */
	assert_int_equal(attrib_begin(&a, &sk, NULL), 0);
	assert_int_equal(attrib_end(&a, nothing_read, NULL), 0);

	/* 104 gets a socket in place of another fd: its count does not change. */
	replace_fd(104, 3, 900);
	assert_int_equal(attrib_begin(&a, &sk, NULL), 0);
	g.n = 0;
	for (int pid = 100; pid < 106; pid++) {
		struct sl_socket old = sock((uint64_t)pid, (uint64_t)(600 + pid), ST_ESTABLISHED);
		if (pid != 104)
			assert_int_equal(attrib_socket(&a, &old, 0, 0, SIDE_NONE), 0);
	}
	size_t before = g.n;
	struct sl_socket fresh = sock(7, 900, ST_CLOSE_WAIT);
	assert_int_equal(attrib_socket(&a, &fresh, 0, 12.5, SIDE_OUTBOUND), 0);
	assert_int_equal(g.n, before); /* deferred: nobody known holds it yet */
	assert_int_equal(attrib_end(&a, every_namespace_read, NULL), 0);
	assert_int_equal(g.n, before + 1);
	assert_int_equal(g.s[before].inode, 900);
	assert_int_equal(g.s[before].kind, OWNED);
	assert_int_equal(g.s[before].pids[0], 104);
	assert_true(a.stats.resolve_reads >= 1);
	/* The socket 104 held before is no longer its: no dump listed it, and
	 * a readlink of the fd says it is gone, so it is not "unhashed". */
	assert_int_equal(g.unhashed, 0);
	attrib_free(&a);
}

static void test_unresolvable_is_not_searched_again(void **state)
{
	(void)state;
	for (int pid = 100; pid < 104; pid++) {
		add_proc(pid, "app");
		add_fd(pid, 3, (unsigned)(600 + pid));
	}
	struct attrib a;
	struct got g = {.a = &a};
	struct attrib_sink sk = {on_socket, on_unhashed, &g};
	attrib_init(&a, root, 1000);
	struct sl_socket ghost = sock(9, 4242, ST_ESTABLISHED);

	assert_int_equal(attrib_begin(&a, &sk, NULL), 0);
	assert_int_equal(attrib_socket(&a, &ghost, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_end(&a, nothing_read, NULL), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.s[0].kind, UNRESOLVED);

	/* Next pass: the first search read everyone and missed it; no search. */
	g.n = 0;
	assert_int_equal(attrib_begin(&a, &sk, NULL), 0);
	assert_int_equal(attrib_socket(&a, &ghost, 0, 0, SIDE_NONE), 0);
	assert_int_equal(g.n, 1); /* at once */
	assert_int_equal(g.s[0].kind, UNRESOLVED);
	assert_int_equal(attrib_end(&a, nothing_read, NULL), 0);
	assert_int_equal(a.stats.resolve_reads, 0);

	/* It gets a holder later: the rotation finds it within verify passes. */
	add_fd(101, 4, 4242);
	g.n = 0;
	assert_int_equal(attrib_begin(&a, &sk, NULL), 0); /* 101's fd count changed: read */
	assert_int_equal(attrib_socket(&a, &ghost, 0, 0, SIDE_NONE), 0);
	assert_int_equal(g.s[0].kind, OWNED);
	assert_int_equal(g.s[0].pids[0], 101);
	assert_int_equal(attrib_end(&a, nothing_read, NULL), 0);
	attrib_free(&a);
}

static void test_socket_fds_no_dump_listed(void **state)
{
	(void)state;
	add_proc(100, "leaky");
	add_fd(100, 3, 700); /* listed */
	add_fd(100, 4, 701); /* reset in CLOSE_WAIT: in no dump */
	add_fd(100, 5, 701); /* dup'ed: one socket, counted once */
	struct attrib a;
	struct got g = {.a = &a};
	struct attrib_sink sk = {on_socket, on_unhashed, &g};
	attrib_init(&a, root, 1);
	struct sl_socket listed = sock(1, 700, ST_ESTABLISHED);

	assert_int_equal(attrib_begin(&a, &sk, NULL), 0);
	assert_int_equal(attrib_socket(&a, &listed, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_end(&a, every_namespace_read, NULL), 0);
	assert_int_equal(g.unhashed, 1);
	assert_int_equal(g.unhashed_pid, 100);
	assert_int_equal(g.unhashed_inode, 701);
	assert_true(g.unhashed_fd == 4 || g.unhashed_fd == 5);

	/* Its namespace was not read this pass: no dump could have listed it. */
	g.unhashed = 0;
	assert_int_equal(attrib_begin(&a, &sk, NULL), 0);
	assert_int_equal(attrib_socket(&a, &listed, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_end(&a, nothing_read, NULL), 0);
	assert_int_equal(g.unhashed, 0);
	attrib_free(&a);
}

/* With a census (the bpf walk) a walked socket carries its number and
 * its holders are found by it; a dumped one is found by its inode; a
 * socket whose only holder left /proc since the walk is unresolved. */
static void test_holders_from_a_census(void **state)
{
	(void)state;
	add_proc(100, "server");
	add_fd(100, 6, 505); /* still held: its "unhashed" is confirmed by readlink */
	add_proc(101, "worker");
	struct census c;
	census_init(&c);
	census_begin(&c, 0);
	assert_int_equal(census_socket(&c, 100, 3, 500, PROTO_TCP), 0);
	assert_int_equal(census_socket(&c, 100, 4, 501, PROTO_TCP), 1);
	assert_int_equal(census_socket(&c, 100, 6, 505, PROTO_TCP), 2);
	assert_int_equal(census_socket(&c, 100, 7, 506, PROTO_COUNT), CENSUS_UNCOUNTED);
	assert_int_equal(census_table(&c, 100, 100, 8, 1024, 1), 0);
	assert_int_equal(census_socket(&c, 101, 3, 500, PROTO_TCP), 3); /* a repeat */
	assert_int_equal(census_table(&c, 101, 101, 4, 1024, 1), 0);
	assert_int_equal(census_socket(&c, 999, 3, 503, PROTO_TCP), 4); /* exits */
	assert_int_equal(census_table(&c, 999, 999, 4, 1024, 1), 0);
	assert_int_equal(census_end(&c), 0);

	struct attrib a;
	struct got g = {.a = &a};
	struct attrib_sink sk = {on_socket, on_unhashed, &g};
	attrib_init(&a, root, 1);
	assert_int_equal(attrib_begin(&a, &sk, &c), 0);
	struct sl_socket listener = sock(1, 500, ST_LISTEN), conn = sock(2, 501, ST_ESTABLISHED);
	struct sl_socket orphan = sock(3, 503, ST_ESTABLISHED), stranger = sock(4, 504, ST_CLOSE_WAIT);
	listener.walked = 0 + 1;
	orphan.walked = 4 + 1;
	struct sl_socket conn_again = conn;
	conn_again.walked = 1 + 1;
	assert_int_equal(attrib_socket(&a, &listener, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_socket(&a, &conn, 0, 0, SIDE_NONE), 0); /* dumped: by inode */
	assert_int_equal(attrib_socket(&a, &conn_again, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_socket(&a, &orphan, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_socket(&a, &stranger, 0, 0, SIDE_NONE), 0);
	assert_int_equal(attrib_end(&a, every_namespace_read, NULL), 0);

	assert_int_equal(a.stats.duplicates, 1);
	assert_int_equal(a.stats.resolve_reads, 0); /* every table was walked */
	assert_int_equal(g.n, 4);
	assert_int_equal(g.s[0].inode, 500);
	assert_int_equal(g.s[0].kind, OWNED);
	assert_int_equal(g.s[0].npids, 2);
	assert_int_equal(g.s[1].inode, 501);
	assert_int_equal(g.s[1].kind, OWNED);
	assert_int_equal(g.s[1].pids[0], 100);
	assert_int_equal(g.s[2].inode, 503);
	assert_int_equal(g.s[2].kind, UNRESOLVED);
	assert_int_equal(g.s[3].inode, 504);
	assert_int_equal(g.s[3].kind, UNRESOLVED);
	/* 505 was walked, held, and listed by no dump; 506 is not counted. */
	assert_int_equal(g.unhashed, 1);
	assert_int_equal(g.unhashed_inode, 505);
	assert_int_equal(g.unhashed_pid, 100);
	assert_int_equal(g.unhashed_fd, 6);
	attrib_free(&a);
	census_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_holders_from_a_census, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_socket_once_with_its_holders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_socket_is_found_by_a_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unresolvable_is_not_searched_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_fds_no_dump_listed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
