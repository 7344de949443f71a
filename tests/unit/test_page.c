/* test_page.c - the landing page escapes what processes name themselves. */
#include <socklife/page.h>

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
	page_escape(&sb, "<script>&\"'\xff", 13);
	assert_string_equal(sb.buf, "&lt;script&gt;&amp;&quot;&#39;\xef\xbf\xbd");
	sb_free(&sb);
}

static void test_page_lists_close_wait_holder(void **state)
{
	(void)state;
	struct proc_info procs[1] = {{.pid = 5, .nfds = 2}};
	strcpy(procs[0].comm, "<b>leaky");
	struct sock_holder h[] = {{77, 0, 3}};
	struct procscan ps = {.procs = procs, .nprocs = 1, .holders = h, .nholders = 1};
	struct owners own = {0};
	struct tally t = {0};
	assert_int_equal(owners_build(&own, h, 1), 0);
	assert_int_equal(tally_begin(&t, &ps, &own, GROUP_BY_COMM), 0);
	struct netns_id id = {1, 1};
	tally_add_netns(&t, &id, "host");
	struct sl_socket s = {.inode = 77, .state = ST_CLOSE_WAIT, .proto = PROTO_TCP};
	tally_socket(&t, 0, &s);

	struct scan_stats st = {.last_success = 1700000000, .procs = 1};
	struct strbuf out = STRBUF_INIT;
	page_render(&out, &t, &st);
	assert_non_null(strstr(out.buf, "&lt;b&gt;leaky"));
	assert_null(strstr(out.buf, "<b>leaky"));
	assert_non_null(strstr(out.buf, "href=\"/metrics\""));
	assert_non_null(strstr(out.buf, "2023-11-14 22:13:20 UTC"));

	sb_reset(&out);
	page_render(&out, NULL, &st);
	assert_non_null(strstr(out.buf, "No successful scan yet"));
	sb_free(&out);
	tally_free(&t);
	owners_free(&own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_page_lists_close_wait_holder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
