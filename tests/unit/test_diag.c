/* test_diag.c - the diagnosis rows: who is shown, in which order, with
 * which sentences. */
#include <socklife/diag.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define NPROC 4

static struct proc_info procs[NPROC];
static struct tally t;
static struct leak_tracker lt;
static struct diag d;

static int setup(void **state)
{
	(void)state;
	static const struct container_ref none[1];
	memset(procs, 0, sizeof(procs));
	for (int i = 0; i < NPROC; i++) {
		procs[i] = (struct proc_info){.pid = 100 + i, .start_time = 7, .nfds = 10,
					      .fd_limit = 1024};
		snprintf(procs[i].comm, sizeof(procs[i].comm), "p%d", i);
	}
	memset(&t, 0, sizeof(t));
	memset(&d, 0, sizeof(d));
	assert_int_equal(tally_begin(&t, procs, NPROC, none, 1, GROUP_BY_COMM), 0);
	lt = (struct leak_tracker){.params = {.close_wait_age = 300, .fin_wait2_age = 300,
					      .unhashed_age = 60, .growth_window = 60,
					      .close_wait_growth = 5, .socket_growth = 10,
					      .fd_ratio = 0.8, .unix_peer_gone_age = 60}};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	leak_free(&lt);
	tally_free(&t);
	diag_free(&d);
	return 0;
}

static void test_order_and_sentences(void **state)
{
	(void)state;
	struct holdings *h = t.held.v;
	h[2].count[PROTO_TCP][ST_CLOSE_WAIT] = h[2].cw_stale = 5;
	h[2].cw_oldest = 1000;       /* suspect */
	procs[2].nfds = 1000;        /* and near its limit: two reasons */
	h[3].count[PROTO_TCP][ST_CLOSE_WAIT] = 9; /* more CLOSE_WAIT, young */
	h[3].cw_oldest = 1;
	h[2].has[PROTO_TCP] = h[3].has[PROTO_TCP] = true;
	assert_int_equal(leak_update(&lt, &t, 1), 0);
	assert_int_equal(diag_build(&d, &t, &lt), 0);

	/* Only processes worth showing: 0 and 1 hold nothing. */
	assert_int_equal(d.rows.n, 2);
	assert_int_equal(d.suspects, 1);
	const struct diag_row *first = &d.rows.v[d.order.v[0]], *second = &d.rows.v[d.order.v[1]];
	assert_int_equal(first->pid, 102);
	assert_int_equal(second->pid, 103);
	assert_string_equal(first->name, "p2");
	assert_int_equal(first->tcp[DIAG_CLOSE_WAIT], 5);
	assert_int_equal(first->nfds, 1000);
	assert_int_equal(first->reasons, (1u << LEAK_CLOSE_WAIT_STALE) | (1u << LEAK_FD_LIMIT));
	assert_non_null(strstr(diag_sentence(&d, first, LEAK_CLOSE_WAIT_STALE),
			       "5 connections silent in CLOSE_WAIT (the oldest for 16m)"));
	assert_non_null(strstr(diag_sentence(&d, first, LEAK_FD_LIMIT), "1000 of its 1024"));
	assert_int_equal(second->reasons, 0);

	/* Rebuilt each pass: a healthy pass shows no suspect. */
	h[2].cw_oldest = 2;
	h[2].cw_stale = 0;
	procs[2].nfds = 10;
	assert_int_equal(leak_update(&lt, &t, 2), 0);
	assert_int_equal(diag_build(&d, &t, &lt), 0);
	assert_int_equal(d.suspects, 0);
	assert_int_equal(d.rows.n, 2);
	assert_int_equal(d.rows.v[d.order.v[0]].pid, 103); /* most CLOSE_WAIT first */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_sentences, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
