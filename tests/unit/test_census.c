/* test_census.c - a walk's fd tables become each process's socket fds. */
#include <socklife/census.h>

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
	assert_int_equal(census_socket(&c, 100, 4, 1001, 1), 0);
	assert_int_equal(census_table(&c, 100, 100, 7, 1024, 55), 0);
	assert_int_equal(census_socket(&c, 200, 5, 2000, 2), 0);
	assert_int_equal(census_table(&c, 200, 200, 9, 0, 66), 0);
	/* Thread 150 of 100 unshared its table: its sockets are 100's too, its
	 * count is not what /proc/100/fd shows. */
	assert_int_equal(census_socket(&c, 100, 3, 1500, 0), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gathers_tables_per_process),
		cmocka_unit_test(test_without_a_leader_the_lowest_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
