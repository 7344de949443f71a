/* test_addrkey.c - limit keys: IPv4 by /32, IPv6 by /64, v4-mapped IPv6 as
 * the IPv4 address it is, and other prefixes when asked. */
#include <socklife/addrkey.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include <cmocka.h>

static struct addrkey key(const char *addr, unsigned v4, unsigned v6)
{
	struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6, .sin6_port = htons(1234)};
	struct sockaddr_in sa4 = {.sin_family = AF_INET, .sin_port = htons(1234)};
	bool six = strchr(addr, ':') != NULL;
	assert_int_equal(six ? inet_pton(AF_INET6, addr, &sa6.sin6_addr)
			     : inet_pton(AF_INET, addr, &sa4.sin_addr), 1);
	struct addrkey k;
	const struct sockaddr *sa = six ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa4;
	assert_int_equal(addrkey_of(sa, six ? sizeof(sa6) : sizeof(sa4), v4, v6, &k), 0);
	return k;
}

/* Pairs of addresses and whether they are one client, with the prefixes
 * asked for (0: the defaults, /32 and /64). */
static const struct {
	const char *a, *b;
	unsigned v4, v6;
	bool same;
} cases[] = {
	/* IPv4: one address, one client. */
	{"10.0.0.5", "10.0.0.5", 0, 0, true},
	{"10.0.0.5", "10.0.0.6", 0, 0, false},
	{"127.0.0.1", "127.0.0.2", 0, 0, false},
	{"10.0.0.5", "10.0.0.200", 24, 0, true}, /* by /24 when asked */
	{"10.0.0.5", "10.0.1.5", 24, 0, false},
	{"10.0.0.5", "10.0.0.6", 40, 0, false},  /* out of range: the default */
	/* IPv6: every address of a /64 is one client (SLAAC, privacy addresses). */
	{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", 0, 0, true},
	{"2001:db8:1:2:aaaa::1", "2001:db8:1:2:bbbb::2", 0, 0, true},
	{"2001:db8:1:2::1", "2001:db8:1:3::1", 0, 0, false},
	{"::1", "::2", 0, 0, true},
	{"2001:db8:1:2::1", "2001:db8:1:ffff::1", 0, 48, true},
	{"2001:db8:1:2::1", "2001:db8:1:2::2", 0, 128, false},
	{"2001:db8:1:2::1", "2001:db8:1:3::1", 0, 63, true}, /* not a multiple of 8 */
	{"2001:db8:1:2::1", "2001:db8:1:4::1", 0, 63, false},
	/* A dual-stack socket's IPv4 clients (::ffff:a.b.c.d) are IPv4, by /32,
	 * not lumped together in ::/64. */
	{"::ffff:10.0.0.5", "10.0.0.5", 0, 0, true},
	{"::ffff:10.0.0.5", "::ffff:10.0.0.6", 0, 0, false},
	{"::ffff:10.0.0.5", "10.0.0.6", 0, 0, false},
	{"::ffff:10.0.0.5", "10.0.0.9", 24, 0, true},
	{"::ffff:0.0.0.0", "0.0.0.0", 0, 0, true},
	/* No IPv6 /64 is the key of an IPv4 address. */
	{"::", "0.0.0.0", 0, 0, false},
	{"0:0:0:0:0:fffe::", "0.0.0.0", 0, 0, false},
};

static void test_prefixes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct addrkey a = key(cases[i].a, cases[i].v4, cases[i].v6);
		struct addrkey b = key(cases[i].b, cases[i].v4, cases[i].v6);
		if (addrkey_equal(&a, &b) != cases[i].same)
			fail_msg("%s and %s (/%u, /%u): expected %s", cases[i].a, cases[i].b,
				 cases[i].v4, cases[i].v6, cases[i].same ? "one key" : "two");
	}
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
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_other_families),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
