/* test_tally.c - grouping and counting, on hand-built process tables. */
#include <socklife/tally.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static struct proc_info procs[4];
static struct sock_holder holders[8];
static struct procscan ps;
static struct owners own;

static void proc(int i, int pid, const char *comm, uint32_t nfds, uint64_t limit)
{
	memset(&procs[i], 0, sizeof(procs[i]));
	procs[i].pid = pid;
	snprintf(procs[i].comm, sizeof(procs[i].comm), "%s", comm);
	procs[i].nfds = nfds;
	procs[i].fd_limit = limit;
}

/* web(1) and web(2) are one group by comm; db(3) another; 4 is "evil".
 * Socket 100 is shared by web 1 and web 2 (fork), socket 101 by web 1 and
 * db 3 (passed over a UNIX socket), 102 by db only. */
static int setup(void **state)
{
	(void)state;
	proc(0, 1, "web", 10, 100);
	proc(1, 2, "web", 30, 50);
	proc(2, 3, "db", 5, 0);
	proc(3, 4, "evil\"", 1, 10);
	holders[0] = (struct sock_holder){100, 0, 3};
	holders[1] = (struct sock_holder){101, 0, 4};
	holders[2] = (struct sock_holder){100, 1, 3};
	holders[3] = (struct sock_holder){101, 2, 7};
	holders[4] = (struct sock_holder){102, 2, 8};
	memset(&ps, 0, sizeof(ps));
	ps.procs = procs;
	ps.nprocs = 4;
	ps.holders = holders;
	ps.nholders = 5;
	memset(&own, 0, sizeof(own));
	return owners_build(&own, holders, 5);
}

static int teardown(void **state)
{
	(void)state;
	owners_free(&own);
	return 0;
}

static const struct group *group(const struct tally *t, const char *name, int pid)
{
	for (size_t i = 0; i < t->ngroups; i++)
		if (strcmp(t->groups[i].name, name) == 0 && t->groups[i].pid == pid)
			return &t->groups[i];
	return NULL;
}

static struct sl_socket sock(uint64_t inode, uint8_t state)
{
	return (struct sl_socket){.inode = inode, .state = state, .proto = PROTO_TCP};
}

static void feed(struct tally *t)
{
	struct netns_id id = {1, 2};
	assert_int_equal(tally_add_netns(t, &id, "host"), 0);
	struct sl_socket s[] = {
		sock(100, ST_LISTEN),     sock(101, ST_ESTABLISHED), sock(102, ST_CLOSE_WAIT),
		sock(0, ST_TIME_WAIT),    sock(0, ST_TIME_WAIT),     sock(0, ST_SYN_RECV),
		sock(999, ST_ESTABLISHED), /* no fd holds it */
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (tally_socket(t, 0, &s[i], 0) == TALLY_UNOWNED)
			tally_unresolved(t, 0, &s[i]);
}

static void test_duplicates_and_unowned(void **state)
{
	(void)state;
	struct tally t = {0};
	assert_int_equal(tally_begin(&t, &ps, &own, GROUP_BY_COMM), 0);
	struct netns_id id = {1, 2};
	tally_add_netns(&t, &id, "host");
	struct sl_socket shared = sock(100, ST_LISTEN), nobody = sock(999, ST_ESTABLISHED);
	assert_int_equal(tally_socket(&t, 0, &shared, 0), TALLY_COUNTED);
	/* The dump showed it again: its holder's mark says so. */
	assert_int_equal(tally_socket(&t, 0, &shared, 0), TALLY_DUPLICATE);
	assert_int_equal(t.ns[0].count[PROTO_TCP][ST_LISTEN], 1);
	assert_int_equal(group(&t, "web", -1)->h.count[PROTO_TCP][ST_LISTEN], 1);
	/* Nobody holds it: nothing counted until the caller decides. */
	assert_int_equal(tally_socket(&t, 0, &nobody, 0), TALLY_UNOWNED);
	assert_int_equal(t.ns[0].count[PROTO_TCP][ST_ESTABLISHED], 0);
	tally_unresolved(&t, 0, &nobody);
	assert_int_equal(t.ns[0].count[PROTO_TCP][ST_ESTABLISHED], 1);
	assert_int_equal(t.ns[0].unresolved[PROTO_TCP], 1);
	tally_free(&t);
}

static void test_group_by_comm(void **state)
{
	(void)state;
	struct tally t = {0};
	assert_int_equal(tally_begin(&t, &ps, &own, GROUP_BY_COMM), 0);
	assert_int_equal(t.ngroups, 3);
	/* Sorted by container then name: db, evil", web. */
	assert_string_equal(t.groups[0].name, "db");
	assert_string_equal(t.groups[2].name, "web");
	feed(&t);

	const struct group *web = group(&t, "web", -1), *db = group(&t, "db", -1);
	assert_non_null(web);
	assert_non_null(db);
	/* 100 is held twice within web: counted once. */
	assert_int_equal(web->h.count[PROTO_TCP][ST_LISTEN], 1);
	/* 101 is held by web and db: once in each. */
	assert_int_equal(web->h.count[PROTO_TCP][ST_ESTABLISHED], 1);
	assert_int_equal(db->h.count[PROTO_TCP][ST_ESTABLISHED], 1);
	assert_int_equal(db->h.count[PROTO_TCP][ST_CLOSE_WAIT], 1);
	assert_int_equal(web->h.count[PROTO_TCP][ST_CLOSE_WAIT], 0);
	assert_true(web->h.has[PROTO_TCP]);
	assert_false(group(&t, "evil\"", -1)->h.has[PROTO_TCP]);

	assert_int_equal(web->nprocs, 2);
	assert_int_equal(web->open_fds, 40);
	assert_float_equal(web->fd_usage_ratio, 0.6, 1e-9); /* max(10/100, 30/50) */
	assert_float_equal(db->fd_usage_ratio, 0.0, 1e-9);  /* unlimited */

	/* The namespace counts every socket once, kernel-owned ones included. */
	const struct ns_tally *ns = &t.ns[0];
	assert_int_equal(ns->count[PROTO_TCP][ST_TIME_WAIT], 2);
	assert_int_equal(ns->count[PROTO_TCP][ST_SYN_RECV], 1);
	assert_int_equal(ns->count[PROTO_TCP][ST_ESTABLISHED], 2);
	assert_int_equal(ns->count[PROTO_TCP][ST_LISTEN], 1);
	assert_int_equal(ns->unresolved[PROTO_TCP], 1);
	tally_free(&t);
}

static void test_group_by_pid(void **state)
{
	(void)state;
	struct tally t = {0};
	assert_int_equal(tally_begin(&t, &ps, &own, GROUP_BY_PID), 0);
	assert_int_equal(t.ngroups, 4);
	feed(&t);
	/* Each holder of the shared socket now counts it. */
	assert_int_equal(group(&t, "web", 1)->h.count[PROTO_TCP][ST_LISTEN], 1);
	assert_int_equal(group(&t, "web", 2)->h.count[PROTO_TCP][ST_LISTEN], 1);
	assert_int_equal(group(&t, "web", 2)->h.count[PROTO_TCP][ST_ESTABLISHED], 0);
	assert_int_equal(group(&t, "web", 1)->open_fds, 10);
	tally_free(&t);
}

static void test_reuse_resets_counts(void **state)
{
	(void)state;
	struct tally t = {0};
	assert_int_equal(tally_begin(&t, &ps, &own, GROUP_BY_COMM), 0);
	feed(&t);
	assert_int_equal(tally_begin(&t, &ps, &own, GROUP_BY_COMM), 0);
	assert_int_equal(t.nns, 0);
	feed(&t);
	assert_int_equal(group(&t, "web", -1)->h.count[PROTO_TCP][ST_LISTEN], 1);
	assert_int_equal(t.ns[0].count[PROTO_TCP][ST_TIME_WAIT], 2);
	tally_free(&t);
}

static void test_scope_keeps_other_namespaces_out(void **state)
{
	(void)state;
	struct netns_id host = {9, 100};
	procs[0].netns_dev = procs[1].netns_dev = 9;
	procs[0].netns_ino = 100; /* web 1: in scope */
	procs[1].netns_ino = 200; /* web 2: another namespace */
	procs[2].netns_ino = 0;   /* db: unreadable, kept in */
	struct tally t = {.scope = &host};
	assert_int_equal(tally_begin(&t, &ps, &own, GROUP_BY_COMM), 0);
	const struct group *in = NULL, *out = NULL;
	for (size_t i = 0; i < t.ngroups; i++) {
		if (strcmp(t.groups[i].name, "web") == 0 && !t.groups[i].outside)
			in = &t.groups[i];
		if (strcmp(t.groups[i].name, "web") == 0 && t.groups[i].outside)
			out = &t.groups[i];
	}
	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(in->open_fds, 10);
	assert_int_equal(out->open_fds, 30);
	assert_false(group(&t, "db", -1)->outside);
	tally_free(&t);
}

static void test_grow_inherits_marks(void **state)
{
	(void)state;
	struct tally t = {0};
	assert_int_equal(tally_begin(&t, &ps, &own, GROUP_BY_COMM), 0);
	struct netns_id id = {1, 2};
	tally_add_netns(&t, &id, "host");
	struct sl_socket s102 = sock(102, ST_CLOSE_WAIT);
	assert_int_equal(tally_socket(&t, 0, &s102, 0), TALLY_COUNTED); /* via holder 4 */
	/* db is read again: its holders 3 and 4 are superseded by 5 and 6. */
	holders[3].proc = holders[4].proc = PROCSCAN_DEAD;
	holders[5] = (struct sock_holder){101, 2, 7};
	holders[6] = (struct sock_holder){102, 2, 8};
	ps.nholders = 7;
	assert_int_equal(owners_build(&own, holders, 7), 0);
	assert_int_equal(tally_grow(&t, 5), 0);
	/* 102 was counted through the superseded holder: its fresh one is
	 * marked, so it is not taken for a socket no dump showed. */
	assert_int_equal(t.seen[6], 1);
	assert_int_equal(t.seen[5], 0);
	assert_int_equal(tally_socket(&t, 0, &s102, 0), TALLY_DUPLICATE);
	tally_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_group_by_comm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_by_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse_resets_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_and_unowned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_keeps_other_namespaces_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grow_inherits_marks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
