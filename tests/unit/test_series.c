/* test_series.c - the series budget: what shows, from when, until when. */
#include <socklife/series.h>

#include "testworld.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define CW SERIES_STATE(PROTO_TCP, ST_CLOSE_WAIT)
#define ESTAB SERIES_STATE(PROTO_TCP, ST_ESTABLISHED)
#define TW SERIES_STATE(PROTO_TCP, ST_TIME_WAIT)

/* One pass of a small world: "api" (pid 10) holds `cw` CLOSE_WAIT
 * sockets and one established one; "cron" (pid 11) holds none; the
 * namespace has `tw` TIME_WAIT sockets and `unresolved` unattributed
 * ones; api's listener on port 8080 has `queued` connections waiting. */
struct pass_shape {
	int cw, tw, unresolved, queued;
};

static void run_pass(struct series *s, struct test_world *w, struct listeners *l,
		     struct pass_shape p, double now)
{
	memset(w, 0, sizeof(*w));
	tw_proc(w, 10, "api", 10, 1024);
	tw_proc(w, 11, "cron", 3, 1024);
	tw_begin(w, GROUP_BY_COMM);
	tw_socket(w, ST_ESTABLISHED, 0, 0);
	for (int i = 0; i < p.cw; i++)
		tw_socket(w, ST_CLOSE_WAIT, 0, 0);
	struct sl_socket k = {.proto = PROTO_TCP, .state = ST_TIME_WAIT};
	struct attributed ka = {.s = &k, .kind = KERNEL};
	for (int i = 0; i < p.tw; i++)
		tally_socket(&w->t, &ka);
	struct sl_socket u = {.proto = PROTO_TCP, .state = ST_ESTABLISHED, .inode = 99};
	struct attributed ua = {.s = &u, .kind = UNRESOLVED};
	for (int i = 0; i < p.unresolved; i++)
		tally_socket(&w->t, &ua);
	listeners_begin(l);
	struct sl_socket ls = {.proto = PROTO_TCP, .state = ST_LISTEN, .sport = 8080,
			       .rqueue = (uint32_t)p.queued, .wqueue = 128, .inode = 7};
	uint32_t proc = 0, fd = 3;
	struct attributed la = {&ls, 0, 0, SIDE_NONE, OWNED, &proc, &fd, 1};
	tally_socket(&w->t, &la);
	assert_int_equal(listeners_socket(l, &w->t, &la), 0);
	listeners_end(l);
	assert_int_equal(series_update(s, &w->t, l, now), 0);
}

/* Groups sort by name: api is 0, cron is 1. */
static uint64_t api(const struct series *s, const struct test_world *w)
{
	assert_string_equal(w->t.groups.v[0].name, "api");
	return series_group(s, &w->t, 0);
}

static void test_shown_from_first_non_zero_until_an_hour_of_zeros(void **state)
{
	(void)state;
	struct series s = {0};
	struct test_world w;
	struct listeners l = {0};

	run_pass(&s, &w, &l, (struct pass_shape){0}, 1000);
	uint64_t m = api(&s, &w);
	assert_true(series_has(m, ESTAB));
	assert_false(series_has(m, CW)); /* never held: no standing zero */
	assert_false(series_has(m, SERIES_CW_UNREAD) || series_has(m, SERIES_CW_READ));
	assert_true(series_has(m, SERIES_HOLDS));
	assert_false(series_has(series_group(&s, &w.t, 1), SERIES_HOLDS)); /* cron holds none */
	assert_false(series_listener(&s, 0)); /* nothing ever waited */
	uint64_t ns = series_ns(&s, &w.t, 0);
	assert_false(series_has(ns, TW));
	assert_true(series_has(ns, SERIES_UNRESOLVED + PROTO_TCP)); /* beside the TCP states */
	assert_false(series_has(ns, SERIES_UNRESOLVED + PROTO_UDP));
	tw_free(&w);

	/* Something happens: it shows. */
	run_pass(&s, &w, &l, (struct pass_shape){.cw = 2, .tw = 5, .queued = 3}, 1015);
	m = api(&s, &w);
	assert_true(series_has(m, CW) && series_has(m, SERIES_CW_READ));
	assert_false(series_has(m, SERIES_CW_UNREAD));
	assert_true(series_has(series_ns(&s, &w.t, 0), TW));
	assert_true(series_listener(&s, 0));
	tw_free(&w);

	/* It stops: its series stay, as zeros, for the hold. */
	run_pass(&s, &w, &l, (struct pass_shape){0}, 1015 + SERIES_HOLD - 15);
	m = api(&s, &w);
	assert_true(series_has(m, CW) && series_has(m, SERIES_CW_READ));
	assert_true(series_has(series_ns(&s, &w.t, 0), TW));
	assert_true(series_listener(&s, 0));
	tw_free(&w);

	/* An hour of zeros: gone, until it is not zero again. */
	run_pass(&s, &w, &l, (struct pass_shape){0}, 1015 + SERIES_HOLD + 15);
	m = api(&s, &w);
	assert_false(series_has(m, CW));
	assert_false(series_has(series_ns(&s, &w.t, 0), TW));
	assert_false(series_listener(&s, 0));
	assert_true(series_has(m, ESTAB)); /* still held */
	tw_free(&w);
	run_pass(&s, &w, &l, (struct pass_shape){.cw = 1}, 1015 + SERIES_HOLD + 30);
	assert_true(series_has(api(&s, &w), CW));
	tw_free(&w);

	listeners_free(&l);
	series_free(&s);
}

/* --metrics.all-states: every state of every protocol held or read, but
 * never what is zero by construction. */
static void test_all_states(void **state)
{
	(void)state;
	struct series s = {.all_states = true};
	struct test_world w;
	struct listeners l = {0};
	run_pass(&s, &w, &l, (struct pass_shape){0}, 5);
	uint64_t m = api(&s, &w);
	for (const uint8_t *st = proto_states(PROTO_TCP); *st; st++) {
		bool construction = *st == ST_TIME_WAIT || *st == ST_SYN_RECV || *st == ST_CLOSE;
		assert_int_equal(series_has(m, SERIES_STATE(PROTO_TCP, *st)), !construction);
	}
	assert_false(series_has(m, SERIES_STATE(PROTO_UDP, ST_CLOSE))); /* holds no UDP */
	assert_true(series_has(m, SERIES_CW_UNREAD) && series_has(m, SERIES_MEM_SEND));
	uint64_t ns = series_ns(&s, &w.t, 0);
	assert_true(series_has(ns, TW) && series_has(ns, SERIES_STATE(PROTO_TCP, ST_SYN_RECV)));
	assert_false(series_has(ns, SERIES_STATE(PROTO_TCP, ST_CLOSE)));
	assert_true(series_listener(&s, 0));
	/* No series at all (a tool): the same. */
	assert_true(series_group(NULL, &w.t, 0) == m);
	tw_free(&w);
	listeners_free(&l);
	series_free(&s);
}

/* A group that goes away is forgotten: back later, it starts afresh. */
static void test_gone_owners_are_forgotten(void **state)
{
	(void)state;
	struct series s = {0};
	struct test_world w;
	struct listeners l = {0};
	run_pass(&s, &w, &l, (struct pass_shape){.cw = 1}, 10);
	assert_true(series_has(api(&s, &w), CW));
	tw_free(&w);
	/* A pass without api. */
	memset(&w, 0, sizeof(w));
	tw_proc(&w, 11, "cron", 3, 1024);
	tw_begin(&w, GROUP_BY_COMM);
	listeners_begin(&l);
	listeners_end(&l);
	assert_int_equal(series_update(&s, &w.t, &l, 20), 0);
	tw_free(&w);
	run_pass(&s, &w, &l, (struct pass_shape){0}, 30);
	assert_false(series_has(api(&s, &w), CW));
	tw_free(&w);
	listeners_free(&l);
	series_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shown_from_first_non_zero_until_an_hour_of_zeros),
		cmocka_unit_test(test_all_states),
		cmocka_unit_test(test_gone_owners_are_forgotten),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
