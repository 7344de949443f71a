/* test_selfstat.c - the daemon's own figures track reality. */
#include <socklife/selfstat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

static void test_fds_follow_opens(void **state)
{
	(void)state;
	struct selfstat a, b;
	selfstat_read(&a, 1234.5);
	int fd1 = open("/dev/null", O_RDONLY), fd2 = open("/dev/null", O_RDONLY);
	selfstat_read(&b, 1234.5);
	assert_int_equal(b.open_fds, a.open_fds + 2);
	close(fd1);
	close(fd2);
	assert_true(b.start_time == 1234.5);

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	assert_int_equal(b.max_fds, rl.rlim_cur);
}

static void test_memory_and_cpu(void **state)
{
	(void)state;
	struct selfstat a, b;
	selfstat_read(&a, 0);
	assert_true(a.resident_bytes > 0);
	assert_true(a.virtual_bytes >= a.resident_bytes);
	/* Touch 32 MiB: resident memory must grow by most of it. */
	size_t n = 32u << 20;
	char *p = malloc(n);
	memset(p, 1, n);
	__asm__ volatile("" : : "r"(p) : "memory"); /* keep the compiler from eliding it */
	volatile unsigned long spin = 0;
	for (unsigned long i = 0; i < 50000000UL; i++)
		spin += i;
	selfstat_read(&b, 0);
	assert_true(b.resident_bytes >= a.resident_bytes + (n / 2));
	assert_true(b.cpu_seconds > a.cpu_seconds);
	free(p);
}

/* Out of fds: what cannot be opened is unknown, not 0. */
static void test_out_of_fds(void **state)
{
	(void)state;
	struct rlimit saved, low;
	getrlimit(RLIMIT_NOFILE, &saved);
	int fds[64], n = 0;
	low = saved;
	low.rlim_cur = 32;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	for (int fd; n < 64 && (fd = open("/dev/null", O_RDONLY)) >= 0;)
		fds[n++] = fd;
	assert_int_equal(errno, EMFILE);

	struct selfstat s;
	selfstat_read(&s, 0);
	assert_false(s.known[SELF_FDS]);
	assert_false(s.known[SELF_MEMORY]);
	assert_true(s.known[SELF_CPU]);
	assert_true(s.known[SELF_MAX_FDS]);
	assert_int_equal(s.max_fds, 32);

	while (n > 0)
		close(fds[--n]);
	setrlimit(RLIMIT_NOFILE, &saved);
	selfstat_read(&s, 0);
	assert_true(s.known[SELF_FDS] && s.known[SELF_MEMORY]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fds_follow_opens),
		cmocka_unit_test(test_memory_and_cpu),
		cmocka_unit_test(test_out_of_fds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
