/* test_top.c - the terminal frame: columns, order, sentences, no escapes. */
#include <socklife/leak.h>
#include <socklife/top.h>

#include "testworld.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

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
	struct top_view v = {TOP_WIDTH, 40, true, false, &w.lt.params};
	top_render(&out, &in, &v);
	const char *f = out.buf;
	assert_non_null(strstr(f, "1 process is suspected of leaking sockets\n"));
	assert_non_null(strstr(f, "close_wait_stale: 1 connection silent in CLOSE_WAIT"));
	assert_non_null(strstr(f, "40/1024"));
	assert_non_null(strstr(f, "15m")); /* the oldest CLOSE_WAIT */
	assert_true(strstr(f, "leaky") < strstr(f, "fine"));
	/* Nothing a process names itself reaches the terminal raw. */
	assert_null(strchr(f, '\x1b'));
	assert_non_null(strstr(f, "leaky?[2J"));
	/* The suspect's line is marked for emphasis, the calm one's not. */
	assert_non_null(strstr(f, "\n\x01   4242 leaky"));
	assert_non_null(strstr(f, "\n      7 fine"));
	for (const char *line = f; *line;) {
		const char *nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_true(nl - line - (*line == TOP_EMPHASIS) <= TOP_WIDTH);
		line = nl + 1;
	}
	sb_free(&out);
	tw_free(&w);
}

/* Wider terminals get the namespace, program and peers as columns; fewer
 * rows than processes say how many more there are. */
static void test_wide_and_cut(void **state)
{
	(void)state;
	struct test_world w = {0};
	tw_proc(&w, 10, "python3", 4, 1024);
	snprintf(w.procs[0].program, sizeof(w.procs[0].program), "worker.py");
	for (int i = 1; i < 5; i++)
		tw_proc(&w, 10 + i, "calm", 1, 0);
	tw_begin(&w, GROUP_BY_COMM);
	tw_socket(&w, ST_CLOSE_WAIT, 900, 0);
	for (uint32_t i = 1; i < 5; i++)
		tw_socket(&w, ST_ESTABLISHED, 0, i);
	struct page_input in = tw_judge(&w, 1);
	struct strbuf out = STRBUF_INIT;
	struct top_view v = {160, 2, true, false, &w.lt.params};
	top_render(&out, &in, &v);
	assert_non_null(strstr(out.buf, "NETNS"));
	assert_non_null(strstr(out.buf, "python3 worker.py"));
	assert_non_null(strstr(out.buf, "... and 3 more processes"));
	for (const char *line = out.buf; *line;) {
		const char *nl = strchr(line, '\n');
		assert_true(nl - line - (*line == TOP_EMPHASIS) <= 160);
		line = nl + 1;
	}
	sb_free(&out);
	tw_free(&w);
}

/* A run that cannot read fds says so and never reads as an all-clear; a
 * single look says which rules need history. */
static void test_blind_and_one_shot(void **state)
{
	(void)state;
	struct test_world w = {0};
	tw_proc(&w, 10, "calm", 1, 0);
	tw_begin(&w, GROUP_BY_COMM);
	struct page_input in = tw_judge(&w, 1);
	w.st.denied_procs = 37;
	w.st.procs = 40;
	struct strbuf out = STRBUF_INIT;
	struct top_view v = {TOP_WIDTH, 40, true, true, &w.lt.params};
	top_render(&out, &in, &v);
	assert_non_null(strstr(out.buf, "BLIND to 37 of 40 processes"));
	assert_non_null(strstr(out.buf, "CAP_SYS_PTRACE"));
	assert_non_null(strstr(out.buf, "no process is suspected of leaking sockets among those it can see"));
	assert_non_null(strstr(out.buf, "need a window of history"));
	assert_non_null(strstr(out.buf, "--watch"));
	sb_free(&out);
	tw_free(&w);
}

/* `top --pid`: every socket of one process, with what flags it, and a
 * confirm command that works from any namespace. */
static void test_focus(void **state)
{
	(void)state;
	struct test_world w = {0};
	tw_proc(&w, 4242, "leaky", 4, 1024);
	tw_begin(&w, GROUP_BY_COMM);
	struct page_input in = tw_judge(&w, 1);
	struct focus f = {.pid = 4242};
	struct sl_socket cw = {.proto = PROTO_TCP, .state = ST_CLOSE_WAIT, .family = AF_INET,
			       .sport = 40200, .dport = 5432, .rqueue = 1,
			       .saddr = {10, 0, 0, 1}, .daddr = {10, 1, 0, 9}};
	struct sl_socket gone = {.proto = PROTO_UNIX, .state = ST_ESTABLISHED, .type = SOCK_STREAM,
				 .shutdown = 3, .has_peer = true};
	struct focus_sock socks[] = {
		{7, cw, SIDE_OUTBOUND, 901, false},
		{3, gone, SIDE_NONE, 0, false},
		{9, {.inode = 55, .proto = PROTO_TCP}, SIDE_NONE, 0, true},
	};
	f.socks.v = socks;
	f.socks.n = 3;
	focus_end(&f);
	assert_int_equal(f.socks.v[0].fd, 3); /* by fd */
	struct strbuf out = STRBUF_INIT;
	struct top_view v = {200, 40, true, false, &w.lt.params};
	top_render_focus(&out, &in, &f, &v);
	assert_non_null(strstr(out.buf, "socklife top --pid 4242"));
	assert_non_null(strstr(out.buf, "close_wait  out  10.0.0.1:40200"));
	assert_non_null(strstr(out.buf, "10.1.0.9:5432"));
	assert_non_null(strstr(out.buf, "15m stale"));
	assert_non_null(strstr(out.buf, "peer gone"));
	assert_non_null(strstr(out.buf, "unhashed: in no dump"));
	assert_non_null(strstr(out.buf, "nsenter -t 4242 -n ss"));
	sb_free(&out);
	tw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_wide_and_cut),
		cmocka_unit_test(test_blind_and_one_shot),
		cmocka_unit_test(test_focus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
