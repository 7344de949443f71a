/* test_tally.c - grouping and counting, on hand-built process tables and
 * sockets attributed by hand. */
#include <socklife/tally.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static struct proc_info procs[4];
static const struct container_ref none[1];

static void proc(int i, int pid, const char *comm, uint32_t nfds, uint64_t limit)
{
	memset(&procs[i], 0, sizeof(procs[i]));
	procs[i].pid = pid;
	snprintf(procs[i].comm, sizeof(procs[i].comm), "%s", comm);
	procs[i].nfds = nfds;
	procs[i].fd_limit = limit;
}

/* web(1) and web(2) are one group by comm; db(3) another; 4 is "evil". */
static int setup(void **state)
{
	(void)state;
	proc(0, 1, "web", 10, 100);
	proc(1, 2, "web", 30, 50);
	proc(2, 3, "db", 5, 0);
	proc(3, 4, "evil\"", 1, 10);
	return 0;
}

static const struct group *group(const struct tally *t, const char *name, int pid)
{
	for (size_t i = 0; i < t->groups.n; i++)
		if (strcmp(t->groups.v[i].name, name) == 0 && t->groups.v[i].pid == pid)
			return &t->groups.v[i];
	return NULL;
}

static void count(struct tally *t, uint64_t inode, uint8_t state, enum owner_kind kind,
		  const uint32_t *holders, size_t n)
{
	struct sl_socket s = {.inode = inode, .state = state, .proto = PROTO_TCP};
	static const uint32_t fds[4] = {3, 4, 5, 6};
	struct attributed a = {&s, 0, 0, SIDE_NONE, kind, holders, fds, n};
	tally_socket(t, &a);
}

/* Socket 100 is shared by web 1 and web 2 (fork), 101 by web 1 and db 3
 * (passed over a UNIX socket), 102 held twice by db (dup). */
static void feed(struct tally *t)
{
	static const uint32_t web_both[] = {0, 1}, web_db[] = {0, 2}, db_twice[] = {2, 2};
	struct netns_id id = {1, 2};
	assert_int_equal(tally_add_netns(t, &id, "host"), 0);
	count(t, 100, ST_LISTEN, OWNED, web_both, 2);
	count(t, 101, ST_ESTABLISHED, OWNED, web_db, 2);
	count(t, 102, ST_CLOSE_WAIT, OWNED, db_twice, 2);
	count(t, 0, ST_TIME_WAIT, KERNEL, NULL, 0);
	count(t, 0, ST_TIME_WAIT, KERNEL, NULL, 0);
	count(t, 0, ST_SYN_RECV, KERNEL, NULL, 0);
	count(t, 999, ST_ESTABLISHED, UNRESOLVED, NULL, 0);
}

static void test_group_by_comm(void **state)
{
	(void)state;
	struct tally t = {0};
	assert_int_equal(tally_begin(&t, procs, 4, none, 1, GROUP_BY_COMM), 0);
	assert_int_equal(t.groups.n, 3);
	/* Sorted by container then name: db, evil", web. */
	assert_string_equal(t.groups.v[0].name, "db");
	assert_string_equal(t.groups.v[2].name, "web");
	assert_string_equal(tally_group_of(&t, 1)->name, "web");
	feed(&t);

	const struct group *web = group(&t, "web", -1), *db = group(&t, "db", -1);
	assert_non_null(web);
	assert_non_null(db);
	/* 100 is held twice within web: counted once. */
	assert_int_equal(web->h.count[PROTO_TCP][ST_LISTEN], 1);
	/* 101 is held by web and db: once in each. */
	assert_int_equal(web->h.count[PROTO_TCP][ST_ESTABLISHED], 1);
	assert_int_equal(db->h.count[PROTO_TCP][ST_ESTABLISHED], 1);
	/* 102 is held by two fds of one process: once. */
	assert_int_equal(db->h.count[PROTO_TCP][ST_CLOSE_WAIT], 1);
	assert_int_equal(t.held.v[2].count[PROTO_TCP][ST_CLOSE_WAIT], 1);
	assert_int_equal(web->h.count[PROTO_TCP][ST_CLOSE_WAIT], 0);
	assert_true(web->h.has[PROTO_TCP]);
	assert_false(group(&t, "evil\"", -1)->h.has[PROTO_TCP]);

	assert_int_equal(web->nprocs, 2);
	assert_int_equal(web->open_fds, 40);
	assert_float_equal(web->fd_usage_ratio, 0.6, 1e-9); /* max(10/100, 30/50) */
	assert_float_equal(db->fd_usage_ratio, 0.0, 1e-9);  /* unlimited */

	/* The namespace counts every socket once, kernel-owned ones included. */
	const struct ns_tally *ns = &t.ns.v[0];
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
	assert_int_equal(tally_begin(&t, procs, 4, none, 1, GROUP_BY_PID), 0);
	assert_int_equal(t.groups.n, 4);
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
	assert_int_equal(tally_begin(&t, procs, 4, none, 1, GROUP_BY_COMM), 0);
	feed(&t);
	assert_int_equal(tally_begin(&t, procs, 4, none, 1, GROUP_BY_COMM), 0);
	assert_int_equal(t.ns.n, 0);
	feed(&t);
	assert_int_equal(group(&t, "web", -1)->h.count[PROTO_TCP][ST_LISTEN], 1);
	assert_int_equal(t.ns.v[0].count[PROTO_TCP][ST_TIME_WAIT], 2);
	tally_free(&t);
}

static void test_unhashed_counts_once_per_group(void **state)
{
	(void)state;
	struct tally t = {0};
	static const uint32_t web_both[] = {0, 1, 1};
	assert_int_equal(tally_begin(&t, procs, 4, none, 1, GROUP_BY_COMM), 0);
	tally_unhashed(&t, web_both, 3);
	assert_int_equal(group(&t, "web", -1)->h.unhashed, 1);
	assert_int_equal(t.held.v[0].unhashed, 1);
	assert_int_equal(t.held.v[1].unhashed, 1);
	assert_int_equal(t.held.v[2].unhashed, 0);
	tally_free(&t);
}

static void test_containers_and_names_that_look_alike(void **state)
{
	(void)state;
	static const struct container_ref cs[] = {{.id = ""}, {.id = "abc"}};
	proc(2, 3, "web", 5, 0);
	procs[2].container = 1; /* the same name in a container: another group */
	struct tally t = {0};
	assert_int_equal(tally_begin(&t, procs, 4, cs, 2, GROUP_BY_COMM), 0);
	assert_int_equal(t.groups.n, 3);
	assert_string_equal(tally_group_of(&t, 2)->container, "abc");
	assert_string_equal(tally_group_of(&t, 0)->container, "");
	assert_ptr_equal(tally_group_of(&t, 0), tally_group_of(&t, 1));
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
	assert_int_equal(tally_begin(&t, procs, 4, none, 1, GROUP_BY_COMM), 0);
	const struct group *in = NULL, *out = NULL;
	for (size_t i = 0; i < t.groups.n; i++) {
		if (strcmp(t.groups.v[i].name, "web") == 0 && !t.groups.v[i].outside)
			in = &t.groups.v[i];
		if (strcmp(t.groups.v[i].name, "web") == 0 && t.groups.v[i].outside)
			out = &t.groups.v[i];
	}
	assert_non_null(in);
	assert_non_null(out);
	assert_int_equal(in->open_fds, 10);
	assert_int_equal(out->open_fds, 30);
	assert_false(group(&t, "db", -1)->outside);
	tally_free(&t);
}

static bool suspect_pid4(void *ctx, size_t proc)
{
	const struct tally *t = ctx;
	return t->procs[proc].pid == 4;
}

static bool nobody(void *ctx, size_t proc)
{
	(void)ctx, (void)proc;
	return false;
}

/* Past --max-groups, the largest groups stay apart and the rest are summed
 * into process="other",container="other"; a suspect's group always stays. */
static void test_fold(void **state)
{
	(void)state;
	struct tally t = {0};
	assert_int_equal(tally_begin(&t, procs, 4, none, 1, GROUP_BY_COMM), 0);
	feed(&t);
	assert_int_equal(tally_fold(&t, 3, nobody, NULL), 0); /* three fit */
	assert_int_equal(t.groups.n, 3);
	assert_int_equal(t.folded, 0);

	/* web and db hold 2 sockets each, evil none: db stays (first in
	 * order among equals), web and evil are folded. */
	assert_int_equal(tally_fold(&t, 1, nobody, NULL), 2);
	assert_int_equal(t.folded, 2);
	assert_int_equal(t.groups.n, 2);
	assert_string_equal(t.groups.v[0].name, "db");
	const struct group *other = &t.groups.v[1];
	assert_string_equal(other->name, TALLY_FOLDED_NAME);
	assert_string_equal(other->container, TALLY_FOLDED_CONTAINER);
	assert_int_equal(other->pid, -1);
	assert_ptr_equal(tally_group_of(&t, 0), other);
	assert_ptr_equal(tally_group_of(&t, 3), other);
	assert_ptr_equal(tally_group_of(&t, 2), &t.groups.v[0]);
	assert_int_equal(other->h.count[PROTO_TCP][ST_LISTEN], 1);
	assert_int_equal(other->h.count[PROTO_TCP][ST_ESTABLISHED], 1);
	assert_true(other->h.has[PROTO_TCP]);
	assert_int_equal(other->nprocs, 3);
	assert_int_equal(other->open_fds, 41);
	assert_float_equal(other->fd_usage_ratio, 0.6, 1e-9);
	/* The namespace counts are not touched. */
	assert_int_equal(t.ns.v[0].count[PROTO_TCP][ST_ESTABLISHED], 2);

	/* A suspect (pid 4, evil, holding nothing) is never folded away: it
	 * takes the one place, and the larger groups are folded. */
	assert_int_equal(tally_begin(&t, procs, 4, none, 1, GROUP_BY_COMM), 0);
	feed(&t);
	assert_int_equal(tally_fold(&t, 1, suspect_pid4, &t), 2);
	assert_int_equal(t.groups.n, 2);
	assert_string_equal(tally_group_of(&t, 3)->name, "evil\"");
	assert_string_equal(tally_group_of(&t, 0)->name, TALLY_FOLDED_NAME);
	assert_int_equal(tally_group_of(&t, 0)->h.count[PROTO_TCP][ST_ESTABLISHED], 2);

	/* By pid: every process is a group, folded the same way. */
	assert_int_equal(tally_begin(&t, procs, 4, none, 1, GROUP_BY_PID), 0);
	feed(&t);
	assert_int_equal(tally_fold(&t, 2, nobody, NULL), 2);
	assert_int_equal(t.groups.n, 3);
	assert_int_equal(t.groups.v[2].pid, -1);
	/* A new pass starts unfolded. */
	assert_int_equal(tally_begin(&t, procs, 4, none, 1, GROUP_BY_COMM), 0);
	assert_int_equal(t.folded, 0);
	assert_int_equal(t.groups.n, 3);
	tally_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_group_by_comm, setup),
		cmocka_unit_test_setup(test_group_by_pid, setup),
		cmocka_unit_test_setup(test_reuse_resets_counts, setup),
		cmocka_unit_test_setup(test_unhashed_counts_once_per_group, setup),
		cmocka_unit_test_setup(test_containers_and_names_that_look_alike, setup),
		cmocka_unit_test_setup(test_scope_keeps_other_namespaces_out, setup),
		cmocka_unit_test_setup(test_fold, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
