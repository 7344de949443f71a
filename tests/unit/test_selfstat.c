/* test_selfstat.c - the daemon's own figures track reality. */
#include <socklife/selfstat.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fds_follow_opens),
		cmocka_unit_test(test_memory_and_cpu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
