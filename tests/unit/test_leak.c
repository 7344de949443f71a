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
	.close_wait_age = 300, .close_wait_idle = 3, .fin_wait2_age = 300, .unhashed_age = 60,
	.growth_window = 60, .close_wait_growth = 5, .socket_growth = 10, .fd_ratio = 0.8,
	.unix_peer_gone_age = 60,
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

/* Stale means silent past the age (tally counts those), and more of them
 * than an idle pool keeps. */
static void test_stale_close_wait_beyond_an_idle_pool(void **state)
{
	(void)state;
	hold[0].count[PROTO_TCP][ST_CLOSE_WAIT] = 5;
	hold[0].cw_stale = 4; /* more than the 3 a pool may keep */
	hold[0].cw_oldest = 901;
	hold[1].count[PROTO_TCP][ST_CLOSE_WAIT] = 1;
	hold[1].cw_stale = 1; /* an idle pool's one connection the server closed */
	hold[1].cw_oldest = 4000;
	hold[2].count[PROTO_TCP][ST_CLOSE_WAIT] = 50; /* many, none silent: a busy server */
	hold[2].cw_oldest = 2;
	hold[3].count[PROTO_TCP][ST_FIN_WAIT2] = 1;
	hold[3].fw2_stale = 1;
	hold[3].fw2_oldest = 1000;
	assert_int_equal(leak_update(&lt, &t, 10), 0);
	assert_int_equal(reasons_of(0), FLAG(LEAK_CLOSE_WAIT_STALE));
	assert_int_equal(reasons_of(1), 0);
	assert_int_equal(reasons_of(2), 0);
	assert_int_equal(reasons_of(3), FLAG(LEAK_FIN_WAIT2_STALE));
}

static double clock_now;

/* Feed `values` of CLOSE_WAIT for process 0, one pass every `step` s. */
static void feed_close_wait(const uint32_t *values, size_t n, double step)
{
	for (size_t i = 0; i < n; i++) {
		hold[0].count[PROTO_TCP][ST_CLOSE_WAIT] = values[i];
		assert_int_equal(leak_update(&lt, &t, clock_now), 0);
		clock_now += step;
	}
}

static void test_close_wait_growth(void **state)
{
	(void)state;
	const uint32_t rising[] = {0, 2, 4, 6, 8, 10, 12, 14, 16};
	clock_now = 0;
	feed_close_wait(rising, 6, 10); /* 50 s of history: less than the window */
	assert_false(reasons_of(0) & FLAG(LEAK_CLOSE_WAIT_GROWTH));
	feed_close_wait(rising + 6, 3, 10);
	assert_true(reasons_of(0) & FLAG(LEAK_CLOSE_WAIT_GROWTH));
	assert_int_equal(lt.procs.v[0].cw_to, 16);

	struct strbuf sb = STRBUF_INIT;
	leak_explain(&sb, &lt.procs.v[0], &procs[0], LEAK_CLOSE_WAIT_GROWTH);
	assert_non_null(strstr(sb.buf, "to 16 over 1m"));
	sb_free(&sb);
}

/* What a leak amid healthy churn looks like: `leaked` per hour that never
 * go away, under up to 8 healthy connections that come and go (a dip to
 * none now and then), sampled every `step` seconds. */
static uint32_t leak_amid_churn(double when, double per_hour)
{
	uint32_t leaked = (uint32_t)(when * per_hour / 3600);
	uint32_t healthy = (uint32_t)((uint64_t)(when * 7919) % 9); /* 0..8, scattered */
	return leaked + healthy;
}

static void reset(void)
{
	leak_free(&lt);
	lt = (struct leak_tracker){.params = params};
	lt.params.growth_window = 600;
	clock_now = 0;
}

/* Flagged within a window and a third, at any interval from 1 s to 60 s;
 * never while the history is shorter than the window. */
static void test_growth_survives_dips_at_any_interval(void **state)
{
	(void)state;
	static const double steps[] = {1, 5, 15, 30, 60};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		reset();
		double flagged_at = -1;
		for (; clock_now <= 1800; clock_now += steps[i]) {
			hold[0].count[PROTO_TCP][ST_CLOSE_WAIT] = leak_amid_churn(clock_now, 360);
			assert_int_equal(leak_update(&lt, &t, clock_now), 0);
			if ((reasons_of(0) & FLAG(LEAK_CLOSE_WAIT_GROWTH)) && flagged_at < 0)
				flagged_at = clock_now;
		}
		if (flagged_at < 600 || flagged_at > 800)
			fail_msg("every %.0f s: flagged at %.0f s (want 600..800)", steps[i], flagged_at);
	}
}

/* Healthy churn around a constant level is no growth, however it dips. */
static void test_churn_is_not_growth(void **state)
{
	(void)state;
	static const double steps[] = {1, 15, 60};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		reset();
		for (; clock_now <= 1800; clock_now += steps[i]) {
			hold[0].count[PROTO_TCP][ST_CLOSE_WAIT] = leak_amid_churn(clock_now, 0) + 20;
			assert_int_equal(leak_update(&lt, &t, clock_now), 0);
			assert_false(reasons_of(0) & FLAG(LEAK_CLOSE_WAIT_GROWTH));
		}
	}
	/* Flat, and rising less than the minimum. */
	reset();
	lt.params.growth_window = 60;
	const uint32_t flat[] = {7, 7, 7, 7, 7, 8, 8, 9, 9, 10};
	feed_close_wait(flat, 10, 10);
	assert_int_equal(reasons_of(0), 0);
}

/* A pool that warms up within the first third of a window and then stays
 * flat is never flagged, at any interval.  One that warms up for longer
 * looks like a leak until it has been flat for two thirds of the window
 * (no rule can tell a ramp that just stopped from a leak that slowed
 * down): flagged no longer than that, which the alert's `for:` outlasts. */
static void test_warm_up_then_flat_is_not_growth(void **state)
{
	(void)state;
	static const double steps[] = {1, 15, 60};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		for (int slow = 0; slow <= 1; slow++) {
			double ramp = slow ? 540 : 180, last_flag = -1; /* 9 or 3 minutes */
			reset();
			for (; clock_now <= 2400; clock_now += steps[i]) {
				double warm = clock_now < ramp ? clock_now / ramp : 1;
				procs[0].nsockets = (uint32_t)(200 * warm) + leak_amid_churn(clock_now, 0);
				assert_int_equal(leak_update(&lt, &t, clock_now), 0);
				if (reasons_of(0) & FLAG(LEAK_SOCKET_GROWTH))
					last_flag = clock_now;
			}
			if (!slow && last_flag >= 0)
				fail_msg("every %.0f s: a 3-minute warm-up flagged at %.0f s", steps[i],
					 last_flag);
			if (slow && last_flag > ramp + 400 + 40)
				fail_msg("every %.0f s: a 9-minute warm-up still flagged at %.0f s", steps[i],
					 last_flag);
		}
	}
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

	/* A server whose accepted connections grow: its clients' doing. */
	for (int i = 0; i <= 7; i++) {
		procs[2].nsockets = (uint32_t)(1 + 5 * i);
		hold[2].inbound[ST_ESTABLISHED] = (uint32_t)(5 * i);
		assert_int_equal(leak_update(&lt, &t, 10.0 * i), 0);
	}
	assert_false(reasons_of(2) & FLAG(LEAK_SOCKET_GROWTH));

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
	hold[0].cw_stale = 30;
	hold[0].cw_unread = 7;
	hold[0].cw_oldest = 720;
	hold[1].count[PROTO_TCP][ST_CLOSE_WAIT] = 9;
	hold[1].cw_stale = hold[1].cw_stale_inbound = 9; /* a server */
	assert_int_equal(leak_update(&lt, &t, 1), 0);
	struct strbuf sb = STRBUF_INIT;
	leak_explain(&sb, &lt.procs.v[0], &procs[0], LEAK_CLOSE_WAIT_STALE);
	assert_non_null(strstr(sb.buf, "30 connections silent in CLOSE_WAIT (the oldest for 12m)"));
	assert_non_null(strstr(sb.buf, "the servers it connected to closed them"));
	assert_non_null(strstr(sb.buf, "7 with the EOF never read"));
	sb_reset(&sb);
	leak_explain(&sb, &lt.procs.v[1], &procs[1], LEAK_CLOSE_WAIT_STALE);
	assert_non_null(strstr(sb.buf, "its clients closed them"));
	assert_non_null(strstr(sb.buf, "it read each EOF"));
	assert_null(strstr(sb.buf, "Python:")); /* runtime not known */
	/* In the runtime's own terms when known, and for its side. */
	lt.procs.v[0].runtime = RUNTIME_PYTHON;
	lt.procs.v[1].runtime = RUNTIME_GO;
	sb_reset(&sb);
	leak_explain(&sb, &lt.procs.v[0], &procs[0], LEAK_CLOSE_WAIT_STALE);
	assert_non_null(strstr(sb.buf, "Python: close what you open on every path"));
	sb_reset(&sb);
	leak_explain(&sb, &lt.procs.v[1], &procs[1], LEAK_CLOSE_WAIT_STALE);
	assert_non_null(strstr(sb.buf, "Go: defer conn.Close() at the top of the handler"));
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
		cmocka_unit_test_setup_teardown(test_stale_close_wait_beyond_an_idle_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_wait_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_growth_survives_dips_at_any_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_churn_is_not_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warm_up_then_flat_is_not_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unhashed_must_persist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_growth_and_pid_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explain_close_wait_causes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
