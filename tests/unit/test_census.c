/* test_census.c - a walk's fd tables become each process's socket fds. */
#include <socklife/census.h>
#include <socklife/proto.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Tables in walk order (tid order): a process's threads with tables of
 * their own come later, after other processes. */
static void test_gathers_tables_per_process(void **state)
{
	(void)state;
	struct census c;
	census_init(&c);
	census_begin(&c, 4);
	assert_int_equal(census_socket(&c, 100, 3, 1000, 0), 0);
	assert_int_equal(census_socket(&c, 100, 4, 1001, 1), 1);
	assert_int_equal(census_table(&c, 100, 100, 7, 1024, 55), 0);
	assert_int_equal(census_socket(&c, 200, 5, 2000, 2), 2);
	assert_int_equal(census_table(&c, 200, 200, 9, 0, 66), 0);
	/* Thread 150 of 100 unshared its table: its sockets are 100's too, its
	 * count is not what /proc/100/fd shows. */
	assert_int_equal(census_socket(&c, 100, 3, 1500, 0), 3);
	assert_int_equal(census_table(&c, 100, 150, 2, 1024, 55), 0);
	assert_int_equal(census_table(&c, 300, 300, 3, 1024, 55), 0); /* no socket */
	assert_int_equal(census_end(&c), 0);

	const struct census_proc *p = census_find(&c, 100);
	assert_non_null(p);
	assert_int_equal(p->nfds, 7);
	assert_int_equal(p->fd_limit, 1024);
	assert_int_equal(p->netns_ino, 55);
	assert_int_equal(p->n, 3);
	uint64_t inodes = 0;
	for (uint32_t i = 0; i < p->n; i++)
		inodes += c.fds.v[p->first + i].inode;
	assert_int_equal(inodes, 1000 + 1001 + 1500);
	/* Regrouped, every fd keeps its socket's number. */
	for (uint32_t i = 0; i < p->n; i++) {
		const struct sock_fd *f = &c.fds.v[p->first + i];
		assert_int_equal(census_number_of(&c, f), f->inode == 1000   ? 0
							  : f->inode == 1001 ? 1
									     : 3);
	}
	p = census_find(&c, 200);
	assert_int_equal(p->n, 1);
	assert_int_equal(c.fds.v[p->first].inode, 2000);
	assert_int_equal(c.fds.v[p->first].proto, 2);
	assert_int_equal(census_find(&c, 300)->n, 0);
	assert_null(census_find(&c, 400));
	assert_int_equal(c.netns_dev, 4);

	/* The next walk starts afresh. */
	census_begin(&c, 4);
	assert_int_equal(census_end(&c), 0);
	assert_null(census_find(&c, 100));
	census_free(&c);
}

/* A leader that exited leaves its threads: the lowest one's table speaks
 * for the process, whichever order they come in. */
static void test_without_a_leader_the_lowest_thread(void **state)
{
	(void)state;
	struct census c;
	census_init(&c);
	census_begin(&c, 0);
	assert_int_equal(census_table(&c, 100, 130, 5, 64, 1), 0);
	assert_int_equal(census_table(&c, 100, 120, 4, 64, 1), 0);
	assert_int_equal(census_table(&c, 100, 140, 6, 64, 1), 0);
	assert_int_equal(census_end(&c), 0);
	assert_int_equal(census_find(&c, 100)->nfds, 4);
	census_free(&c);
}

/* A socket's number is the place of its first fd, whoever holds it
 * after; uncounted ones (netlink, packet) get no place. */
static void test_numbers_each_socket_once(void **state)
{
	(void)state;
	struct census c;
	census_init(&c);
	census_begin(&c, 0);
	assert_int_equal(census_socket(&c, 100, 3, 70000, PROTO_TCP), 0);
	assert_int_equal(census_socket(&c, 100, 4, 701, PROTO_COUNT), CENSUS_UNCOUNTED);
	assert_int_equal(census_socket(&c, 100, 5, 702, PROTO_UNIX), 1);
	/* Forked: the child holds both again, in another order. */
	assert_int_equal(census_socket(&c, 101, 3, 702, PROTO_UNIX), 2);
	assert_int_equal(census_socket(&c, 101, 5, 70000, PROTO_TCP), 3);
	assert_int_equal(census_socket(&c, 101, 6, 5, PROTO_TCP), 4);
	assert_int_equal(census_end(&c), 0);
	assert_int_equal(c.places, 5);
	assert_int_equal(c.fds.n, 6);
	assert_false(census_is_repeat(&c, 0));
	assert_false(census_is_repeat(&c, 1));
	assert_true(census_is_repeat(&c, 2));
	assert_true(census_is_repeat(&c, 3));
	assert_false(census_is_repeat(&c, 4));
	const uint32_t numbers[] = {0, CENSUS_UNCOUNTED, 1, 1, 0, 4};
	for (size_t i = 0; i < c.fds.n; i++)
		assert_int_equal(census_number_of(&c, &c.fds.v[i]), numbers[i]);
	assert_int_equal(census_find_socket(&c, 70000), 0);
	assert_int_equal(census_find_socket(&c, 702), 1);
	assert_int_equal(census_find_socket(&c, 5), 4);
	assert_int_equal(census_find_socket(&c, 701), -1);
	assert_int_equal(census_find_socket(&c, 6), -1);
	assert_int_equal(census_find_socket(&c, 0), -1);
	assert_int_equal(census_find_socket(&c, (uint64_t)70000 << 32), -1);

	census_begin(&c, 0); /* places start again */
	assert_int_equal(census_socket(&c, 100, 3, 702, PROTO_TCP), 0);
	assert_int_equal(census_end(&c), 0);
	assert_int_equal(c.places, 1);
	assert_false(census_is_repeat(&c, 0));
	census_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gathers_tables_per_process),
		cmocka_unit_test(test_numbers_each_socket_once),
		cmocka_unit_test(test_without_a_leader_the_lowest_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
