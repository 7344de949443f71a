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

static void test_page_lists_suspect_with_diagnosis(void **state)
{
	(void)state;
	struct proc_info procs[2] = {{.pid = 5, .nfds = 2}, {.pid = 6, .nfds = 1}};
	strcpy(procs[0].comm, "<b>leaky");
	strcpy(procs[1].comm, "calm");
	struct sock_holder h[] = {{77, 0, 3}, {78, 1, 3}};
	struct procscan ps = {.procs = procs, .nprocs = 2, .holders = h, .nholders = 2};
	struct owners own = {0};
	struct tally t = {0};
	assert_int_equal(owners_build(&own, h, 2), 0);
	assert_int_equal(tally_begin(&t, &ps, &own, GROUP_BY_COMM), 0);
	struct netns_id id = {1, 1};
	tally_add_netns(&t, &id, "host");
	struct sl_socket cw = {.inode = 77, .state = ST_CLOSE_WAIT, .proto = PROTO_TCP};
	struct sl_socket est = {.inode = 78, .state = ST_ESTABLISHED, .proto = PROTO_TCP};
	tally_socket(&t, 0, &cw, 400);
	tally_socket(&t, 0, &est, 0);
	struct leak_tracker lt = {.params = {.close_wait_age = 300, .fin_wait2_age = 300,
					     .unhashed_age = 60, .growth_window = 600,
					     .close_wait_growth = 5, .socket_growth = 50,
					     .fd_ratio = 0.8, .unix_peer_gone_age = 60}};
	assert_int_equal(leak_update(&lt, &ps, &t, 1000), 0);

	struct scan_stats st = {.last_success = 1700000000, .procs = 2};
	struct page_input in = {&ps, &t, &lt, &st};
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
	struct page_input none = {.stats = &st};
	page_render(&out, &none);
	assert_non_null(strstr(out.buf, "No successful scan yet"));
	sb_free(&out);
	leak_free(&lt);
	tally_free(&t);
	owners_free(&own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_page_lists_suspect_with_diagnosis),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
