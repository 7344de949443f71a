/* test_top.c - the terminal frame: columns, order, sentences, no escapes. */
#include <socklife/leak.h>
#include <socklife/top.h>

#include "testworld.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_frame(void **state)
{
	(void)state;
	struct test_world w = {0};
	tw_proc(&w, 4242, "leaky\x1b[2J", 40, 1024);
	tw_proc(&w, 7, "fine", 3, 0);
	tw_begin(&w, GROUP_BY_COMM);
	tw_socket(&w, ST_CLOSE_WAIT, 900, 0);
	tw_socket(&w, ST_CLOSE_WAIT, 30, 0);
	tw_socket(&w, ST_ESTABLISHED, 0, 1);
	struct page_input in = tw_judge(&w, 1);

	struct strbuf out = STRBUF_INIT;
	top_render(&out, &in, false, 40);
	const char *f = out.buf;
	assert_non_null(strstr(f, "1 process is suspected of leaking sockets"));
	assert_non_null(strstr(f, "close_wait_stale: 1 connection silent in CLOSE_WAIT"));
	assert_non_null(strstr(f, "40/1024"));
	assert_non_null(strstr(f, "15m")); /* the oldest CLOSE_WAIT */
	assert_true(strstr(f, "leaky") < strstr(f, "fine"));
	/* Nothing a process names itself reaches the terminal raw. */
	assert_null(strchr(f, '\x1b'));
	assert_non_null(strstr(f, "leaky?[2J"));
	for (const char *line = f; *line;) {
		const char *nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(nl - line <= TOP_WIDTH);
		line = nl + 1;
	}

	sb_reset(&out);
	top_render(&out, &in, true, 40);
	assert_non_null(strstr(out.buf, "\033[1;31m")); /* colour only when asked */
	sb_free(&out);
	tw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
