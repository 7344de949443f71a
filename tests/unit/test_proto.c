/* test_proto.c - state and protocol name tables. */
#include <socklife/proto.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_tcp_states_are_node_exporters(void **state)
{
	(void)state;
	const char *want[] = {"established", "syn_sent", "syn_recv", "fin_wait1",
			      "fin_wait2",   "time_wait", "close",   "close_wait",
			      "last_ack",    "listen",   "closing", NULL};
	const uint8_t *st = proto_states(PROTO_TCP);
	for (size_t i = 0; want[i]; i++, st++) {
		assert_true(*st != 0);
		assert_string_equal(state_name(*st), want[i]);
	}
	assert_int_equal(*st, 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(proto_name(PROTO_TCP), "tcp");
	assert_string_equal(proto_name(PROTO_UDP), "udp");
	assert_string_equal(proto_name(PROTO_UNIX), "unix");
	assert_null(state_name(0));
	assert_null(state_name(ST_NEW_SYN_RECV));
	assert_null(state_name(200));
	assert_string_equal(state_name(ST_CLOSE_WAIT), "close_wait");
	for (int p = 0; p < PROTO_COUNT; p++)
		for (const uint8_t *st = proto_states(p); *st; st++)
			assert_non_null(state_name(*st));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_states_are_node_exporters),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
