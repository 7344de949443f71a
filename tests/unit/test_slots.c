/* test_slots.c - admission, the reserved share, eviction of the longest
 * waiting, header deadlines and held connections, with made-up times. */
#include <socklife/slots.h>

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static struct addrkey K(int n)
{
	struct addrkey k = {{0}};
	k.b[10] = k.b[11] = 0xff;
	k.b[15] = (uint8_t)n;
	return k;
}

static struct slots s;
static int next_fd = 100;

static struct slot_admission admit(int key, double now)
{
	struct addrkey k = K(key);
	int fd = next_fd++;
	return slots_admit(&s, &k, fd, (uint64_t)fd * 7, now);
}

static double request_timeout; /* 0 but in test_request_deadline */

static int setup_limits(unsigned max, unsigned per_key, unsigned reserved)
{
	struct slots_limits lim = {.max = max, .per_key = per_key, .reserved = reserved,
				   .header_timeout = 5, .idle_timeout = 10, .known_for = 600,
				   .request_timeout = request_timeout};
	next_fd = 100;
	return slots_init(&s, &lim);
}

static int teardown(void **state)
{
	(void)state;
	slots_free(&s);
	return 0;
}

static void test_per_key_limit(void **state)
{
	(void)state;
	assert_int_equal(setup_limits(8, 2, 2), 0);
	assert_true(admit(1, 0).id >= 0);
	assert_true(admit(1, 0).id >= 0);
	struct slot_admission a = admit(1, 0);
	assert_int_equal(a.id, -1);
	assert_int_equal(a.why, SLOT_REFUSED_PER_ADDRESS);
	assert_int_equal(a.victim, -1);
	assert_true(admit(2, 0).id >= 0);
	assert_int_equal(s.live, 3);
	assert_string_equal(slots_refusal_names[a.why], "per_address");
}

static void test_strangers_share_and_eviction(void **state)
{
	(void)state;
	/* 4 connections, 2 reserved: strangers hold 2. */
	assert_int_equal(setup_limits(4, 0, 2), 0);
	int a = admit(1, 0.0).id, b = admit(2, 1.0).id;
	assert_int_equal(s.strangers, 2);

	/* A third stranger takes the place of the one waiting longest. */
	struct slot_admission c = admit(3, 2.0);
	assert_true(c.id >= 0);
	assert_int_equal(c.victim, a);
	assert_int_equal(s.slot[a].state, SLOT_CUT);
	assert_int_equal(s.strangers, 2);
	assert_int_equal(s.live, 2);

	/* A connection busy with a request is never taken. */
	assert_true(slots_begin_request(&s, b, 0));
	assert_true(slots_begin_request(&s, c.id, 0));
	struct slot_admission d = admit(4, 3.0);
	assert_int_equal(d.id, -1);
	assert_int_equal(d.victim, -1);
	assert_int_equal(d.why, SLOT_REFUSED_STRANGERS);
	assert_string_equal(slots_refusal_names[d.why], "strangers_full");

	/* A cut connection cannot start a request. */
	assert_false(slots_begin_request(&s, a, 0));
	/* The server reports it closed: its slot is free again. */
	slots_release(&s, a);
	assert_int_equal(s.slot[a].state, SLOT_FREE);
	assert_int_equal(s.live, 2);
}

static void test_known_use_the_reserve(void **state)
{
	(void)state;
	assert_int_equal(setup_limits(4, 0, 2), 0);
	struct addrkey prom = K(9);
	assert_false(slots_known(&s, &prom, 0));

	/* Prometheus scrapes once as a stranger and becomes known. */
	int p = admit(9, 0).id;
	assert_true(slots_begin_request(&s, p, 0));
	slots_end_request(&s, p, true, 0.5);
	assert_true(slots_known(&s, &prom, 1));
	assert_true(s.slot[p].known);
	assert_int_equal(s.strangers, 0);

	/* Strangers fill their share and start requests they never finish. */
	int x = admit(1, 1).id, y = admit(2, 1).id;
	assert_true(slots_begin_request(&s, x, 0));
	assert_true(slots_begin_request(&s, y, 0));
	assert_int_equal(admit(3, 2).why, SLOT_REFUSED_STRANGERS);

	/* Prometheus still gets in, by the reserve. */
	struct slot_admission again = admit(9, 3);
	assert_true(again.id >= 0);
	assert_int_equal(again.victim, -1);
	assert_int_equal(s.live, 4);

	/* Full now: a known newcomer takes a waiting connection, even a known one. */
	struct slot_admission third = admit(9, 4);
	assert_true(third.id >= 0);
	assert_int_equal(third.victim, p); /* waiting since 0.5, longer than `again` */
	/* With every connection busy, it is refused. */
	assert_true(slots_begin_request(&s, again.id, 0));
	assert_true(slots_begin_request(&s, third.id, 0));
	struct slot_admission full = admit(9, 5);
	assert_int_equal(full.id, -1);
	assert_int_equal(full.why, SLOT_REFUSED_FULL);

	/* An unauthorised request makes nobody known; knowledge expires. */
	slots_end_request(&s, x, false, 6);
	struct addrkey k1 = K(1);
	assert_false(slots_known(&s, &k1, 7));
	assert_false(slots_known(&s, &prom, 0.5 + 600.1));
}

static void test_known_newcomer_prefers_a_stranger(void **state)
{
	(void)state;
	assert_int_equal(setup_limits(3, 0, 1), 0);
	int p = admit(9, 0).id;
	assert_true(slots_begin_request(&s, p, 0));
	slots_end_request(&s, p, true, 0); /* known, waiting since 0 */
	int x = admit(1, 1).id;            /* strangers waiting since 1 and 2 */
	int y = admit(2, 2).id;
	(void)y;
	struct slot_admission a = admit(9, 3);
	assert_true(a.id >= 0);
	assert_int_equal(a.victim, x); /* a stranger, though the known one waited longer */
}

static void test_header_deadline(void **state)
{
	(void)state;
	assert_int_equal(setup_limits(8, 0, 2), 0);
	struct slot_due due[8];
	int a = admit(1, 100).id;
	assert_true(slots_next_due(&s) == 105);
	assert_int_equal(slots_take_due(&s, 104.9, due, 8), 0);
	/* Silent or trickling, it makes no difference: at the deadline, cut. */
	assert_int_equal(slots_take_due(&s, 105, due, 8), 1);
	assert_int_equal(due[0].id, a);
	assert_int_equal(due[0].action, SLOT_DUE_HEADERS);
	assert_int_equal(due[0].fd, 100);
	assert_int_equal(due[0].ino, 700);
	assert_int_equal(s.live, 0);
	/* Not reported closed 2 s later: due again, to check the socket. */
	assert_true(slots_next_due(&s) == 107);
	assert_int_equal(slots_take_due(&s, 107, due, 8), 1);
	assert_int_equal(due[0].action, SLOT_DUE_RECHECK);
	slots_release(&s, a);
	assert_true(isinf(slots_next_due(&s)));

	/* Headers in time: no deadline while the request is answered; after
	 * it the connection may wait for the next one as long as it may be
	 * idle (10), longer than the header deadline (5). */
	int b = admit(2, 200).id;
	assert_true(slots_begin_request(&s, b, 200));
	assert_true(isinf(slots_next_due(&s)));
	slots_end_request(&s, b, false, 201);
	assert_true(slots_next_due(&s) == 211);
	assert_int_equal(slots_find_fd(&s, 101), b);
	assert_int_equal(slots_find_fd(&s, 999), -1);
}

static void test_request_deadline(void **state)
{
	(void)state;
	request_timeout = 30;
	assert_int_equal(setup_limits(8, 0, 2), 0);
	request_timeout = 0;
	struct slot_due due[8];
	/* Headers at 2: the answer must be sent by 32, however slowly the
	 * client reads it. */
	int a = admit(1, 0).id;
	assert_true(slots_begin_request(&s, a, 2));
	assert_true(slots_next_due(&s) == 32);
	assert_int_equal(slots_take_due(&s, 31.9, due, 8), 0);
	assert_int_equal(slots_take_due(&s, 32, due, 8), 1);
	assert_int_equal(due[0].action, SLOT_DUE_ANSWER);
	assert_int_equal(s.slot[a].state, SLOT_CUT);
	slots_release(&s, a);
	/* Answered in time: the next deadline is the wait for the next request. */
	int b = admit(2, 40).id;
	assert_true(slots_begin_request(&s, b, 40));
	slots_end_request(&s, b, false, 41);
	assert_true(slots_next_due(&s) == 51);
}

static void test_held(void **state)
{
	(void)state;
	assert_int_equal(setup_limits(8, 0, 2), 0);
	struct slot_due due[8];
	int owner, a = admit(1, 0).id;
	assert_true(slots_begin_request(&s, a, 0));
	assert_true(slots_hold(&s, a, INFINITY, &owner)); /* until a check says when */
	assert_true(isinf(slots_next_due(&s)));
	assert_int_equal(slots_take_due(&s, 1000, due, 8), 0);
	assert_true(slots_hold(&s, a, 1001, &owner));
	assert_int_equal(slots_take_due(&s, 1000.5, due, 8), 0);
	assert_int_equal(slots_take_due(&s, 1001, due, 8), 1);
	assert_int_equal(due[0].action, SLOT_DUE_RESUME);
	assert_ptr_equal(due[0].owner, &owner);
	assert_int_equal(s.slot[a].state, SLOT_BUSY);
	/* Held connections are not waiting: never evicted, never cut. */
	assert_true(slots_hold(&s, a, INFINITY, &owner));
	assert_int_equal(s.live, 1);
	/* Stopping: everything is due at INFINITY. */
	assert_int_equal(slots_take_due(&s, INFINITY, due, 8), 1);
	assert_int_equal(due[0].action, SLOT_DUE_RESUME);
	/* A slot with no live connection cannot be held: nothing would
	 * resume it. */
	slots_release(&s, a);
	assert_false(slots_hold(&s, a, 5, &owner));
}

/* A reconnecting flood on a loaded server: every stranger admitted cuts
 * the one waiting longest, and the server closes none of them yet.  The
 * cut ones pile up, but never into the last `reserved` entries: a known
 * scraper still gets in, and a stranger is refused. */
static void test_cut_strangers_leave_entries_for_the_known(void **state)
{
	(void)state;
	assert_int_equal(setup_limits(4, 0, 2), 0); /* strangers hold 2 */
	int p = admit(9, 0).id;
	assert_true(slots_begin_request(&s, p, 0));
	slots_end_request(&s, p, true, 0); /* Prometheus, known */
	slots_release(&s, p);              /* and gone until its next scrape */

	unsigned admitted = 0;
	double t = 1;
	while (admit(1 + (int)admitted % 3, t).id >= 0 && admitted < s.cap)
		admitted++, t++;
	unsigned nfree = 0, cut = 0;
	for (unsigned i = 0; i < s.cap; i++) {
		nfree += s.slot[i].state == SLOT_FREE;
		cut += s.slot[i].state == SLOT_CUT;
	}
	assert_int_equal(nfree, s.lim.reserved);
	assert_int_equal(cut, admitted - 2);
	assert_int_equal(admit(4, t).why, SLOT_REFUSED_STRANGERS);

	struct slot_admission known = admit(9, t);
	assert_true(known.id >= 0);
	assert_int_equal(known.victim, -1); /* a reserved connection: nobody cut for it */
	assert_true(s.slot[known.id].known);
}

static void test_reserve_is_clamped(void **state)
{
	(void)state;
	/* Reserving every connection would leave none for a first scrape. */
	assert_int_equal(setup_limits(2, 0, 5), 0);
	assert_int_equal(s.lim.reserved, 1);
	assert_true(admit(1, 0).id >= 0);
	assert_int_equal(s.cap, 2 * SLOTS_PER_CONNECTION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_per_key_limit, teardown),
		cmocka_unit_test_teardown(test_strangers_share_and_eviction, teardown),
		cmocka_unit_test_teardown(test_known_use_the_reserve, teardown),
		cmocka_unit_test_teardown(test_known_newcomer_prefers_a_stranger, teardown),
		cmocka_unit_test_teardown(test_header_deadline, teardown),
		cmocka_unit_test_teardown(test_request_deadline, teardown),
		cmocka_unit_test_teardown(test_held, teardown),
		cmocka_unit_test_teardown(test_cut_strangers_leave_entries_for_the_known, teardown),
		cmocka_unit_test_teardown(test_reserve_is_clamped, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
