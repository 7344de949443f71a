/* test_listen.c - listen address parsing and a real bind. */
#include <socklife/listen.h>

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

static void test_parse(void **state)
{
	(void)state;
	char host[LISTEN_HOST_MAX], port[LISTEN_PORT_MAX];
	assert_int_equal(listen_parse(":9917", host, port), 0);
	assert_string_equal(host, "");
	assert_string_equal(port, "9917");
	assert_int_equal(listen_parse("127.0.0.1:80", host, port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(listen_parse("[::1]:9000", host, port), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "9000");
	assert_int_equal(listen_parse("localhost:0", host, port), 0);

	const char *bad[] = {"9917", "::1:80", "[::1]80", "[::1", "host:", "host:99999",
			     "host:12a", ":-1", "", NULL};
	for (const char **b = bad; *b; b++)
		assert_int_equal(listen_parse(*b, host, port), -EINVAL);
}

static int port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					: ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void test_open_and_port_in_use(void **state)
{
	(void)state;
	char addr[64];
	int fd = listen_open("127.0.0.1:0");
	assert_true(fd >= 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port_of(fd));
	assert_int_equal(listen_open(addr), -EADDRINUSE);
	close(fd);

	int any = listen_open(":0"); /* every address, dual-stack where possible */
	assert_true(any >= 0);
	close(any);
	assert_true(listen_open("not-a-host.invalid:1") < 0);
	assert_int_equal(listen_open("garbage"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_open_and_port_in_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
