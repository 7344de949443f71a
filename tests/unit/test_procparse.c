/* test_procparse.c - the /proc file parsers on edge cases. */
#include <socklife/procparse.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_parse_stat(void **state)
{
	(void)state;
	struct proc_stat st;
	const char ok[] = "7 (a (b) c) R 1 2 3 4 5 4194560 8 9 10 11 12 13 14 15 16 17 18 19 123456 9";
	assert_int_equal(procparse_stat(ok, strlen(ok), &st), 0);
	assert_string_equal(st.comm, "a (b) c");
	assert_int_equal(st.start_time, 123456);
	assert_false(st.kernel_thread);
	const char kthread[] = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0";
	assert_int_equal(procparse_stat(kthread, strlen(kthread), &st), 0);
	assert_true(st.kernel_thread);

	const char short_[] = "7 (x) R 1 2 3";
	assert_int_equal(procparse_stat(short_, strlen(short_), &st), -EINVAL);
	const char noparen[] = "7 x R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19";
	assert_int_equal(procparse_stat(noparen, strlen(noparen), &st), -EINVAL);
	const char reversed[] = "7 )x( R";
	assert_int_equal(procparse_stat(reversed, strlen(reversed), &st), -EINVAL);
	const char huge[] = "1 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99999999999999999999999";
	assert_int_equal(procparse_stat(huge, strlen(huge), &st), -EINVAL);

	/* A comm with newlines, a ')' and bytes that are not UTF-8, and the
	 * kernel's final newline right after field 22. */
	const char odd[] = "9 (a\n) b\xff\xfe) S 1 2 3 4 5 4194560 8 9 10 11 12 13 14 15 16 17 18 19 77\n";
	assert_int_equal(procparse_stat(odd, sizeof(odd) - 1, &st), 0);
	assert_string_equal(st.comm, "a\n) b\xff\xfe");
	assert_int_equal(st.start_time, 77);
	const char max[] = "1 (x) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 18446744073709551615";
	assert_int_equal(procparse_stat(max, sizeof(max) - 1, &st), 0);
	assert_true(st.start_time == UINT64_MAX);
	const char signed_[] = "1 (x) R 1 2 3 4 5 -6 7 8 9 10 11 12 13 14 15 16 17 18 5";
	assert_int_equal(procparse_stat(signed_, sizeof(signed_) - 1, &st), -EINVAL);
	const char none[] = "1 (x)";
	assert_int_equal(procparse_stat(none, sizeof(none) - 1, &st), -EINVAL);
	assert_int_equal(procparse_stat("", 0, &st), -EINVAL);

	char longer[300];
	memset(longer, 0, sizeof(longer));
	strcpy(longer, "1 (");
	memset(longer + 3, 'z', 100);
	strcat(longer, ") S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 5");
	assert_int_equal(procparse_stat(longer, strlen(longer), &st), 0);
	assert_int_equal(strlen(st.comm), PROC_COMM_MAX - 1);
}

static void test_parse_limits_and_links(void **state)
{
	(void)state;
	uint64_t v = 7;
	const char lim[] = "Max processes 1 1 processes\nMax open files            4096   8192  files\n";
	assert_int_equal(procparse_limits(lim, strlen(lim), &v), 0);
	assert_int_equal(v, 4096);
	const char unl[] = "Max open files            unlimited   unlimited  files\n";
	assert_int_equal(procparse_limits(unl, strlen(unl), &v), 0);
	assert_int_equal(v, 0);
	const char none[] = "Max cpu time unlimited unlimited seconds\n";
	assert_int_equal(procparse_limits(none, strlen(none), &v), -EINVAL);
	const char junk[] = "Max open files            lots";
	assert_int_equal(procparse_limits(junk, strlen(junk), &v), -EINVAL);
	const char last[] = "Max cpu time unlimited unlimited seconds\nMax open files 1024 4096 files";
	assert_int_equal(procparse_limits(last, strlen(last), &v), 0); /* no final newline */
	assert_int_equal(v, 1024);
	const char bare[] = "Max open files\n";
	assert_int_equal(procparse_limits(bare, strlen(bare), &v), -EINVAL);
	assert_int_equal(procparse_limits("", 0, &v), -EINVAL);

	uint64_t ino = 0;
	assert_int_equal(procparse_fd_link("socket:[123]", 12, &ino), 1);
	assert_int_equal(ino, 123);
	assert_int_equal(procparse_fd_link("socket:[]", 9, &ino), 0);
	assert_int_equal(procparse_fd_link("socket:[12a]", 12, &ino), 0);
	assert_int_equal(procparse_fd_link("socket:[12", 10, &ino), 0);
	assert_int_equal(procparse_fd_link("pipe:[5]", 8, &ino), 0);
	assert_int_equal(procparse_fd_link("anon_inode:[eventfd]", 20, &ino), 0);
	assert_int_equal(procparse_fd_link("socket:[99999999999999999999999]", 32, &ino), 0);
	assert_int_equal(procparse_fd_link("socket:[18446744073709551616]", 29, &ino), 0);
	assert_int_equal(procparse_fd_link("socket:[-1]", 11, &ino), 0);
	assert_int_equal(procparse_fd_link("socket:[ 1]", 11, &ino), 0);
	assert_int_equal(procparse_fd_link("socket:[18446744073709551615]", 29, &ino), 1);
	assert_true(ino == UINT64_MAX);
	assert_int_equal(procparse_fd_link("", 0, &ino), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_limits_and_links),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
