/* test_log.c - log lines are logfmt, one per event, and cannot be forged. */
#include <socklife/log.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char captured[4096];

static void capture_start(int *saved, int pipefd[2])
{
	fflush(stderr);
	assert_int_equal(pipe(pipefd), 0);
	*saved = dup(2);
	dup2(pipefd[1], 2);
}

static void capture_end(int saved, int pipefd[2])
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(pipefd[1]);
	ssize_t n = read(pipefd[0], captured, sizeof(captured) - 1);
	captured[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
}

static void test_format_and_escaping(void **state)
{
	(void)state;
	int saved, p[2];
	capture_start(&saved, p);
	log_warn("process %s left", "evil\"\nlevel=error msg=\"forged");
	log_debug("hidden at the default level");
	capture_end(saved, p);

	assert_non_null(strstr(captured, "level=warn msg=\"process evil\\\"\\x0alevel=error"));
	assert_int_equal(strncmp(captured, "ts=", 3), 0);
	assert_null(strstr(captured, "hidden"));
	/* One event, one line. */
	assert_int_equal(strchr(captured, '\n')[1], '\0');

	log_set_level(LOG_LEVEL_DEBUG);
	capture_start(&saved, p);
	log_debug("now %d", 5);
	capture_end(saved, p);
	assert_non_null(strstr(captured, "level=debug msg=\"now 5\""));
	log_set_level(LOG_LEVEL_INFO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_escaping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
