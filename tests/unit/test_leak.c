/* test_leak.c - the leak rules on hand-made passes: what must be flagged is,
 * what is healthy is not, and history follows (pid, start time). */
#include <socklife/leak.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define NPROC 4

static struct proc_info procs[NPROC];
static struct holdings hold[NPROC];
static struct group groups[1];
static uint32_t proc_group[NPROC]; /* everyone in group 0 */
static struct tally t;
static struct leak_tracker lt;

static const struct leak_params params = {
	.close_wait_age = 300, .fin_wait2_age = 300, .unhashed_age = 60, .growth_window = 60,
	.close_wait_growth = 5, .socket_growth = 10, .fd_ratio = 0.8, .unix_peer_gone_age = 60,
};

static int setup(void **state)
{
	(void)state;
	memset(procs, 0, sizeof(procs));
	memset(hold, 0, sizeof(hold));
	for (int i = 0; i < NPROC; i++) {
		procs[i].pid = 100 + i;
		procs[i].start_time = 1000;
		procs[i].nfds = 10;
		procs[i].fd_limit = 1024;
		snprintf(procs[i].comm, sizeof(procs[i].comm), "p%d", i);
	}
	t = (struct tally){.procs = procs, .nprocs = NPROC};
	t.held.v = hold;
	t.held.n = NPROC;
	t.groups.v = groups;
	t.groups.n = 1;
	t.proc_group.v = proc_group;
	t.proc_group.n = NPROC;
	memset(groups, 0, sizeof(groups));
	lt = (struct leak_tracker){.params = params};
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	leak_free(&lt);
	return 0;
}

static uint32_t reasons_of(int proc) { return lt.procs.v[proc].reasons; }

#define FLAG(r) (1u << (r))

static void test_close_wait_and_fin_wait2_age(void **state)
{
	(void)state;
	hold[0].count[PROTO_TCP][ST_CLOSE_WAIT] = 3;
	hold[0].cw_oldest = 301;
	hold[1].count[PROTO_TCP][ST_CLOSE_WAIT] = 50; /* many, but all young: a busy server */
	hold[1].cw_oldest = 2;
	hold[2].count[PROTO_TCP][ST_FIN_WAIT2] = 1;
	hold[2].fw2_oldest = 1000;
	hold[3].count[PROTO_TCP][ST_FIN_WAIT2] = 1;
	hold[3].fw2_oldest = 0.3; /* a legitimate half-close in flight */
	assert_int_equal(leak_update(&lt, &t, 10), 0);
	assert_int_equal(reasons_of(0), FLAG(LEAK_CLOSE_WAIT_STALE));
	assert_int_equal(reasons_of(1), 0);
	assert_int_equal(reasons_of(2), FLAG(LEAK_FIN_WAIT2_STALE));
	assert_int_equal(reasons_of(3), 0);
}

static double clock_now;

/* Feed `values` of CLOSE_WAIT for process 0, one pass every 10 s. */
static void feed_close_wait(const uint32_t *values, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		hold[0].count[PROTO_TCP][ST_CLOSE_WAIT] = values[i];
		hold[0].cw_oldest = 1;
		assert_int_equal(leak_update(&lt, &t, clock_now), 0);
		clock_now += 10;
	}
}

static void test_close_wait_growth(void **state)
{
	(void)state;
	const uint32_t rising[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	clock_now = 0;
	feed_close_wait(rising, 6); /* 50 s of history: less than the window */
	assert_false(reasons_of(0) & FLAG(LEAK_CLOSE_WAIT_GROWTH));
	feed_close_wait(rising + 6, 3);
	assert_true(reasons_of(0) & FLAG(LEAK_CLOSE_WAIT_GROWTH));
	assert_int_equal(lt.procs.v[0].cw_to, 8);

	struct strbuf sb = STRBUF_INIT;
	leak_explain(&sb, &lt.procs.v[0], &procs[0], LEAK_CLOSE_WAIT_GROWTH);
	assert_non_null(strstr(sb.buf, "to 8 over 1m"));
	sb_free(&sb);
}

static void test_churn_is_not_growth(void **state)
{
	(void)state;
	/* A busy server: CLOSE_WAIT comes and goes, with an upward drift. */
	const uint32_t churn[] = {3, 9, 2, 11, 4, 15, 6, 20, 12, 25};
	clock_now = 0;
	feed_close_wait(churn, 10);
	assert_false(reasons_of(0) & FLAG(LEAK_CLOSE_WAIT_GROWTH));
	/* A one-off ramp (a pool connecting at start-up), then flat. */
	leak_free(&lt);
	lt = (struct leak_tracker){.params = params};
	const uint32_t ramp[] = {0, 0, 0, 10, 10, 10, 10, 10, 10, 10};
	clock_now = 0;
	feed_close_wait(ramp, 10);
	assert_int_equal(reasons_of(0), 0);
	/* Flat, and rising less than the minimum. */
	leak_free(&lt);
	lt = (struct leak_tracker){.params = params};
	const uint32_t flat[] = {7, 7, 7, 7, 7, 8, 8, 9, 9, 10};
	clock_now = 0;
	feed_close_wait(flat, 10);
	assert_int_equal(reasons_of(0), 0);
}

static void test_unhashed_must_persist(void **state)
{
	(void)state;
	hold[0].unhashed = 2;
	for (int s = 0; s <= 50; s += 10)
		assert_int_equal(leak_update(&lt, &t, s), 0);
	assert_int_equal(reasons_of(0), 0);
	assert_int_equal(leak_update(&lt, &t, 61), 0);
	assert_int_equal(reasons_of(0), FLAG(LEAK_UNHASHED));
	struct strbuf sb = STRBUF_INIT;
	leak_explain(&sb, &lt.procs.v[0], &procs[0], LEAK_UNHASHED);
	assert_non_null(strstr(sb.buf, "2 socket fds for 1m"));
	assert_non_null(strstr(sb.buf, "/proc/100/fd"));
	sb_free(&sb);
	/* Gone for one pass: the clock starts again. */
	hold[0].unhashed = 0;
	assert_int_equal(leak_update(&lt, &t, 70), 0);
	hold[0].unhashed = 2;
	assert_int_equal(leak_update(&lt, &t, 80), 0);
	assert_int_equal(reasons_of(0), 0);
}

static void test_fd_limit(void **state)
{
	(void)state;
	procs[0].nfds = 820;
	procs[1].nfds = 818;
	procs[2].nfds = 900000;
	procs[2].fd_limit = 0; /* unlimited */
	assert_int_equal(leak_update(&lt, &t, 1), 0);
	assert_int_equal(reasons_of(0), FLAG(LEAK_FD_LIMIT));
	assert_int_equal(reasons_of(1), 0);
	assert_int_equal(reasons_of(2), 0);
}

static void test_socket_growth_and_pid_reuse(void **state)
{
	(void)state;
	for (int i = 0; i <= 7; i++) {
		procs[1].nsockets = (uint32_t)(5 * i);
		assert_int_equal(leak_update(&lt, &t, 10.0 * i), 0);
	}
	assert_true(reasons_of(1) & FLAG(LEAK_SOCKET_GROWTH));

	/* The process exits and its pid is reused by a new one with as many
	 * sockets: the newcomer has no history, so no trend. */
	procs[1].start_time = 99999;
	assert_int_equal(leak_update(&lt, &t, 80), 0);
	assert_int_equal(reasons_of(1), 0);
	procs[1].nsockets = 40;
	assert_int_equal(leak_update(&lt, &t, 90), 0);
	assert_int_equal(reasons_of(1), 0);
}

static void test_history_is_bounded(void **state)
{
	(void)state;
	/* Thousands of short-lived processes pass through; the pool only ever
	 * holds the live ones plus those of the pass before. */
	for (int pass = 0; pass < 200; pass++) {
		for (int i = 0; i < NPROC; i++)
			procs[i].start_time = (uint64_t)(pass * NPROC + i + 1);
		assert_int_equal(leak_update(&lt, &t, pass), 0);
	}
	assert_true(lt.hist != NULL);
}

static void test_explain_close_wait_causes(void **state)
{
	(void)state;
	hold[0].count[PROTO_TCP][ST_CLOSE_WAIT] = 37;
	hold[0].cw_unread = 7;
	hold[0].cw_oldest = 720;
	assert_int_equal(leak_update(&lt, &t, 1), 0);
	struct strbuf sb = STRBUF_INIT;
	leak_explain(&sb, &lt.procs.v[0], &procs[0], LEAK_CLOSE_WAIT_STALE);
	assert_non_null(strstr(sb.buf, "closed 37 connections (the oldest 12m ago)"));
	assert_non_null(strstr(sb.buf, "read the EOF on 30 and never read 7"));
	assert_non_null(strstr(sb.buf, "close()"));
	sb_free(&sb);

	char age[24];
	leak_format_age(45, age);
	assert_string_equal(age, "45s");
	leak_format_age(3 * 3600 + 5 * 60, age);
	assert_string_equal(age, "3h05m");
	leak_format_age(2 * 86400 + 4 * 3600, age);
	assert_string_equal(age, "2d04h");
	assert_string_equal(leak_reason_name(LEAK_UNHASHED), "unhashed_socket_fds");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_close_wait_and_fin_wait2_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_wait_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_churn_is_not_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unhashed_must_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_growth_and_pid_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_close_wait_causes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
