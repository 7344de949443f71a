/* test_top.c - the terminal frame: columns, order, sentences, no escapes. */
#include <socklife/leak.h>
#include <socklife/top.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_frame(void **state)
{
	(void)state;
	struct proc_info procs[2] = {{.pid = 4242, .nfds = 40, .fd_limit = 1024},
				     {.pid = 7, .nfds = 3}};
	strcpy(procs[0].comm, "leaky\x1b[2J");
	strcpy(procs[1].comm, "fine");
	struct sock_holder h[] = {{10, 0, 3}, {11, 0, 4}, {12, 1, 3}};
	struct procscan ps = {.procs = procs, .nprocs = 2, .holders = h, .nholders = 3};
	struct owners own = {0};
	struct tally t = {0};
	assert_int_equal(owners_build(&own, h, 3), 0);
	assert_int_equal(tally_begin(&t, &ps, &own, GROUP_BY_COMM), 0);
	struct netns_id id = {1, 1};
	tally_add_netns(&t, &id, "host");
	struct sl_socket s1 = {.inode = 10, .state = ST_CLOSE_WAIT, .proto = PROTO_TCP, .rqueue = 1};
	struct sl_socket s2 = {.inode = 11, .state = ST_CLOSE_WAIT, .proto = PROTO_TCP};
	struct sl_socket s3 = {.inode = 12, .state = ST_ESTABLISHED, .proto = PROTO_TCP};
	tally_socket(&t, 0, &s1, 900);
	tally_socket(&t, 0, &s2, 30);
	tally_socket(&t, 0, &s3, 0);
	struct leak_tracker lt = {.params = {.close_wait_age = 300, .fin_wait2_age = 300,
					     .unhashed_age = 60, .growth_window = 600,
					     .close_wait_growth = 5, .socket_growth = 50,
					     .fd_ratio = 0.8, .unix_peer_gone_age = 60}};
	assert_int_equal(leak_update(&lt, &ps, &t, 1), 0);
	struct scan_stats st = {.last_success = 1700000000, .procs = 2};
	struct page_input in = {&ps, &t, &lt, &st};

	struct strbuf out = STRBUF_INIT;
	top_render(&out, &in, false, 40);
	const char *f = out.buf;
	assert_non_null(strstr(f, "1 process is suspected of leaking sockets"));
	assert_non_null(strstr(f, "close_wait_stale: The peer closed 2 connections"));
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
	leak_free(&lt);
	tally_free(&t);
	owners_free(&own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
