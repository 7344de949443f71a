/* test_listeners.c - the fullest listener per group, namespace and port. */
#include <socklife/listeners.h>

#include "testworld.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static int listen_on(struct listeners *l, const struct tally *t, uint16_t port, uint32_t queue,
		     uint32_t backlog, const uint32_t *procs, size_t nprocs, enum owner_kind kind)
{
	static const uint32_t fds[4] = {3, 4, 5, 6};
	struct sl_socket s = {.proto = PROTO_TCP, .state = ST_LISTEN, .sport = port,
			      .rqueue = queue, .wqueue = backlog, .inode = 1};
	struct attributed a = {&s, 0, 0, SIDE_NONE, kind, procs, fds, nprocs};
	return listeners_socket(l, t, &a);
}

static void test_fullest_per_group_and_port(void **state)
{
	(void)state;
	struct test_world w;
	memset(&w, 0, sizeof(w));
	tw_proc(&w, 10, "web", 5, 1024);
	tw_proc(&w, 11, "web", 5, 1024); /* a forked worker: the same group */
	tw_proc(&w, 12, "db", 5, 1024);
	tw_begin(&w, GROUP_BY_COMM);
	struct listeners l = {0};
	listeners_begin(&l);
	const uint32_t both[] = {0, 1}, db[] = {2};
	/* web: IPv4 and IPv6 on port 80, and SO_REUSEPORT workers on 443. */
	assert_int_equal(listen_on(&l, &w.t, 80, 1, 128, both, 2, OWNED), 0);
	assert_int_equal(listen_on(&l, &w.t, 80, 0, 4096, both, 2, OWNED), 0);
	assert_int_equal(listen_on(&l, &w.t, 443, 3, 4, &both[0], 1, OWNED), 0);
	assert_int_equal(listen_on(&l, &w.t, 443, 100, 4096, &both[1], 1, OWNED), 0);
	assert_int_equal(listen_on(&l, &w.t, 5432, 0, 200, db, 1, OWNED), 0);
	/* Not a process's: left out. */
	assert_int_equal(listen_on(&l, &w.t, 9000, 9, 9, NULL, 0, UNRESOLVED), 0);
	struct sl_socket est = {.proto = PROTO_TCP, .state = ST_ESTABLISHED, .sport = 80};
	struct attributed e = {&est, 0, 0, SIDE_INBOUND, OWNED, db, db, 1};
	assert_int_equal(listeners_socket(&l, &w.t, &e), 0);
	listeners_end(&l);

	/* db sorts before web; web's rows by port. */
	assert_int_equal(l.rows.n, 3);
	assert_string_equal(w.t.groups.v[l.rows.v[0].group].name, "db");
	assert_int_equal(l.rows.v[0].port, 5432);
	assert_int_equal(l.rows.v[1].port, 80);
	assert_int_equal(l.rows.v[1].queue, 1); /* 1 of 128 beats 0 of 4096 */
	assert_int_equal(l.rows.v[1].backlog, 128);
	assert_int_equal(l.rows.v[2].port, 443);
	assert_int_equal(l.rows.v[2].queue, 3); /* 3 of 4 is fuller than 100 of 4096 */
	assert_int_equal(l.rows.v[2].backlog, 4);

	/* The next pass starts empty. */
	listeners_begin(&l);
	listeners_end(&l);
	assert_int_equal(l.rows.n, 0);
	listeners_free(&l);
	tw_free(&w);
}

/* Groups folded into one (tally_fold): their rows on one place become
 * one, the fullest. */
static void test_regroup(void **state)
{
	(void)state;
	struct listeners l = {0};
	listeners_begin(&l);
	struct listener rows[] = {
		{0, 0, 80, 1, 128}, {1, 0, 80, 9, 10}, {2, 0, 80, 0, 5}, {2, 0, 22, 0, 5},
	};
	for (size_t i = 0; i < 4; i++)
		*vec_push(&l.rows) = rows[i];
	listeners_end(&l);
	const uint32_t to[] = {0, 1, 1}; /* groups 1 and 2 folded into 1 */
	listeners_regroup(&l, to);
	assert_int_equal(l.rows.n, 3);
	assert_int_equal(l.rows.v[0].group, 0);
	assert_int_equal(l.rows.v[1].group, 1);
	assert_int_equal(l.rows.v[1].port, 22);
	assert_int_equal(l.rows.v[2].port, 80);
	assert_int_equal(l.rows.v[2].queue, 9); /* the fuller of the two */
	listeners_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fullest_per_group_and_port),
		cmocka_unit_test(test_regroup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
