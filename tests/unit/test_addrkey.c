/* test_addrkey.c - limit keys: IPv4 by /32, IPv6 by /64, v4-mapped IPv6 as
 * the IPv4 address it is, and other prefixes when asked. */
#include <socklife/addrkey.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

static struct addrkey key(const char *addr, unsigned v4, unsigned v6)
{
	struct addrkey k;
	if (strchr(addr, ':')) {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(1234)};
		assert_int_equal(inet_pton(AF_INET6, addr, &sa.sin6_addr), 1);
		assert_int_equal(addrkey_of((struct sockaddr *)&sa, sizeof(sa), v4, v6, &k), 0);
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(1234)};
		assert_int_equal(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
		assert_int_equal(addrkey_of((struct sockaddr *)&sa, sizeof(sa), v4, v6, &k), 0);
	}
	return k;
}

static bool same(const char *a, const char *b, unsigned v4, unsigned v6)
{
	struct addrkey ka = key(a, v4, v6), kb = key(b, v4, v6);
	return addrkey_equal(&ka, &kb);
}

static void test_ipv4_by_address(void **state)
{
	(void)state;
	assert_true(same("10.0.0.5", "10.0.0.5", 0, 0));
	assert_false(same("10.0.0.5", "10.0.0.6", 0, 0));
	assert_false(same("127.0.0.1", "127.0.0.2", 0, 0));
	/* By /24 when asked. */
	assert_true(same("10.0.0.5", "10.0.0.200", 24, 0));
	assert_false(same("10.0.0.5", "10.0.1.5", 24, 0));
	/* A prefix out of range is the default. */
	assert_false(same("10.0.0.5", "10.0.0.6", 40, 0));
}

static void test_ipv6_by_64(void **state)
{
	(void)state;
	/* Every address of a /64 is one client (SLAAC, privacy addresses). */
	assert_true(same("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", 0, 0));
	assert_true(same("2001:db8:1:2:aaaa::1", "2001:db8:1:2:bbbb::2", 0, 0));
	assert_false(same("2001:db8:1:2::1", "2001:db8:1:3::1", 0, 0));
	assert_true(same("::1", "::2", 0, 0));
	/* /48 and /128 when asked; a prefix that is not a multiple of 8. */
	assert_true(same("2001:db8:1:2::1", "2001:db8:1:ffff::1", 0, 48));
	assert_false(same("2001:db8:1:2::1", "2001:db8:1:2::2", 0, 128));
	assert_true(same("2001:db8:1:2::1", "2001:db8:1:3::1", 0, 63));
	assert_false(same("2001:db8:1:2::1", "2001:db8:1:4::1", 0, 63));
}

static void test_v4_mapped_is_ipv4(void **state)
{
	(void)state;
	/* On a dual-stack socket IPv4 clients arrive as ::ffff:a.b.c.d. */
	assert_true(same("::ffff:10.0.0.5", "10.0.0.5", 0, 0));
	/* ... and count by /32, not /64, which would lump all IPv4 together. */
	assert_false(same("::ffff:10.0.0.5", "::ffff:10.0.0.6", 0, 0));
	assert_false(same("::ffff:10.0.0.5", "10.0.0.6", 0, 0));
	assert_true(same("::ffff:10.0.0.5", "10.0.0.9", 24, 0));
	/* No IPv6 /64 is the key of an IPv4 address. */
	assert_false(same("::", "0.0.0.0", 0, 0));
	assert_true(same("::ffff:0.0.0.0", "0.0.0.0", 0, 0));
	assert_false(same("0:0:0:0:0:fffe::", "0.0.0.0", 0, 0));
}

static void test_other_families(void **state)
{
	(void)state;
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct addrkey k;
	assert_int_equal(addrkey_of((struct sockaddr *)&un, sizeof(un), 0, 0, &k), -EAFNOSUPPORT);
	struct addrkey zero = {{0}};
	assert_true(addrkey_equal(&k, &zero));
	/* A truncated address is not read past its length. */
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	assert_int_equal(addrkey_of((struct sockaddr *)&sa, 8, 0, 0, &k), -EAFNOSUPPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_by_address),
		cmocka_unit_test(test_ipv6_by_64),
		cmocka_unit_test(test_v4_mapped_is_ipv4),
		cmocka_unit_test(test_other_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
