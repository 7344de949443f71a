/* test_sockproto.c - protocol names, from a table and from real sockets. */
#include <socklife/proto.h>
#include <socklife/sockproto.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static void test_names(void **state)
{
	(void)state;
	const struct {
		const char *name;
		uint8_t want;
	} cases[] = {
		{"TCP", PROTO_TCP},     {"TCPv6", PROTO_TCP},         {"UDP", PROTO_UDP},
		{"UDPv6", PROTO_UDP},   {"UNIX-STREAM", PROTO_UNIX},  {"UNIX", PROTO_UNIX},
		{"UNIX-DGRAM", PROTO_UNIX}, {"NETLINK", SOCKPROTO_OTHER}, {"UDPLITE", SOCKPROTO_OTHER},
		{"TCPX", SOCKPROTO_OTHER}, {"", SOCKPROTO_OTHER},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(sockproto_parse(cases[i].name, strlen(cases[i].name)), cases[i].want);
}

static void test_real_fds_and_cache(void **state)
{
	(void)state;
	int tcp = socket(AF_INET6, SOCK_STREAM, 0), udp = socket(AF_INET, SOCK_DGRAM, 0);
	int nl = socket(AF_NETLINK, SOCK_RAW, 0);
	struct stat st;
	struct sockproto_cache c = SOCKPROTO_INIT;
	sockproto_begin(&c);
	fstat(tcp, &st);
	assert_int_equal(sockproto_of(&c, "/proc", getpid(), (uint32_t)tcp, st.st_ino), PROTO_TCP);
	uint64_t tcp_ino = st.st_ino;
	fstat(udp, &st);
	assert_int_equal(sockproto_of(&c, "/proc", getpid(), (uint32_t)udp, st.st_ino), PROTO_UDP);
	fstat(nl, &st);
	assert_int_equal(sockproto_of(&c, "/proc", getpid(), (uint32_t)nl, st.st_ino),
			 SOCKPROTO_OTHER);
	/* Cached by inode: the fd is gone, the answer stays for this pass. */
	close(tcp);
	assert_int_equal(sockproto_of(&c, "/proc", getpid(), 9999, tcp_ino), PROTO_TCP);
	/* Unused for a pass: forgotten, and an unreadable fd is "other". */
	sockproto_begin(&c);
	sockproto_begin(&c);
	assert_int_equal(c.map.count, 0);
	assert_int_equal(sockproto_of(&c, "/proc", getpid(), 9999, tcp_ino), SOCKPROTO_OTHER);
	close(udp);
	close(nl);
	sockproto_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_real_fds_and_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
