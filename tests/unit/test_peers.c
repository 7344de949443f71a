/* test_peers.c - records grouped by process, and a suspect's busiest
 * peers counted over its group. */
#include <socklife/peers.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

static struct peer_rec rec(uint32_t proc, uint8_t last_octet, uint16_t port)
{
	struct peer_rec r = {.proc = proc, .state = ST_CLOSE_WAIT};
	r.peer = (struct peer){.side = SIDE_OUTBOUND, .family = AF_INET, .port = port};
	r.peer.addr[0] = 10;
	r.peer.addr[3] = last_octet;
	return r;
}

/* Grouped by process, every record kept: the sum of (proc, port) pairs
 * tells a lost or duplicated one. */
static void test_sort_groups_by_process(void **state)
{
	(void)state;
	enum { N = 4000 };
	static struct peer_rec recs[N];
	uint64_t before = 0, after = 0;
	srand(3);
	for (size_t i = 0; i < N; i++) {
		recs[i] = rec((uint32_t)rand() % 97, (uint8_t)(i % 7), (uint16_t)i);
		before += recs[i].proc * 100003ull + recs[i].peer.port;
	}
	peers_sort(recs, N);
	for (size_t i = 0; i < N; i++) {
		after += recs[i].proc * 100003ull + recs[i].peer.port;
		if (i)
			assert_true(recs[i - 1].proc <= recs[i].proc);
	}
	assert_int_equal(after, before);
	peers_sort(recs, 0);
	peers_sort(recs, 1);
}

static void test_top_peers_of_a_group(void **state)
{
	(void)state;
	struct peer_rec recs[] = {
		rec(5, 1, 80), rec(2, 9, 5432), rec(5, 1, 80),  rec(5, 2, 80),
		rec(7, 1, 80), rec(5, 1, 80),   rec(2, 9, 5432), rec(5, 3, 443),
	};
	size_t n = sizeof(recs) / sizeof(recs[0]);
	peers_sort(recs, n);
	struct peer_count top[2];
	uint32_t other;
	const uint32_t group[] = {2, 5};
	size_t k = peers_top(recs, n, group, 2, (struct peer_filter){0, SIDE_NONE}, top, 2, &other);
	assert_int_equal(k, 2);
	assert_int_equal(top[0].count, 3); /* 10.0.0.1:80, three times by 5 */
	assert_int_equal(top[0].peer.addr[3], 1);
	assert_int_equal(top[1].count, 2); /* 10.0.0.9:5432, twice by 2 */
	assert_int_equal(top[1].peer.port, 5432);
	assert_int_equal(other, 2); /* 10.0.0.2:80 and 10.0.0.3:443 */
	/* Process 7 alone. */
	const uint32_t seven[] = {7};
	k = peers_top(recs, n, seven, 1, (struct peer_filter){0, SIDE_NONE}, top, 2, &other);
	assert_int_equal(k, 1);
	assert_int_equal(top[0].count, 1);
	assert_int_equal(other, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sort_groups_by_process),
		cmocka_unit_test(test_top_peers_of_a_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
