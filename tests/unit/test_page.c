/* test_page.c - the landing page escapes what processes name themselves. */
#include <socklife/page.h>

#include "testworld.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_escape(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	page_escape(&sb, "<script>&\"'\xff", 12);
	assert_string_equal(sb.buf, "&lt;script&gt;&amp;&quot;&#39;\xef\xbf\xbd");
	/* Control characters never reach the page: ESC, DEL, C1 show as U+FFFD;
	 * line breaks and tabs as visible escapes. */
	sb_reset(&sb);
	page_escape(&sb, "\x1b[31mx\x7f\xc2\x9b\n\t", 11);
	assert_string_equal(sb.buf, "\xef\xbf\xbd[31mx\xef\xbf\xbd\xef\xbf\xbd\\n\\t");
	sb_free(&sb);
}

static void test_page_lists_suspect_with_diagnosis(void **state)
{
	(void)state;
	struct test_world w = {0};
	tw_proc(&w, 5, "<b>leaky", 2, 0);
	tw_proc(&w, 6, "calm", 1, 0);
	tw_begin(&w, GROUP_BY_COMM);
	tw_socket(&w, ST_CLOSE_WAIT, 400, 0);
	tw_socket(&w, ST_ESTABLISHED, 0, 1);
	struct page_input in = tw_judge(&w, 1000);

	struct strbuf out = STRBUF_INIT;
	page_render(&out, &in);
	assert_non_null(strstr(out.buf, "Suspected socket leaks: 1"));
	assert_non_null(strstr(out.buf, "&lt;b&gt;leaky"));
	assert_null(strstr(out.buf, "<b>leaky"));
	assert_non_null(strstr(out.buf, "<b>close_wait_stale</b>"));
	assert_non_null(strstr(out.buf, "never called close()"));
	/* The suspect comes before the calm process. */
	assert_true(strstr(out.buf, "leaky") < strstr(out.buf, "calm"));
	assert_non_null(strstr(out.buf, "href=\"/metrics\""));
	assert_non_null(strstr(out.buf, "2023-11-14 22:13:20 UTC"));

	sb_reset(&out);
	struct page_input none = {.stats = &w.st};
	page_render(&out, &none);
	assert_non_null(strstr(out.buf, "No successful scan yet"));
	sb_free(&out);
	tw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_page_lists_suspect_with_diagnosis),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
