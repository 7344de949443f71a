/* test_kstat.c - sockstat and sysctl parsing. */
#include <socklife/kstat.h>

#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_sockstat(void **state)
{
	(void)state;
	const char text[] = "sockets: used 160\n"
			    "TCP: inuse 3 orphan 7 tw 4 alloc 8 mem 1\n"
			    "UDP: inuse 2 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\n";
	struct sockstat st;
	assert_int_equal(kstat_parse_sockstat(text, sizeof(text) - 1, &st), 0);
	assert_int_equal(st.tcp_inuse, 3);
	assert_int_equal(st.tcp_orphan, 7);
	assert_int_equal(st.tcp_tw, 4);
	assert_int_equal(st.udp_inuse, 2);
	assert_int_equal(st.tcp_mem, 1);
	const char bad[] = "sockets: used 1\nRAW: inuse 0\n";
	assert_int_equal(kstat_parse_sockstat(bad, sizeof(bad) - 1, &st), -EINVAL);
	const char junk[] = "TCP: inuse x orphan";
	assert_int_equal(kstat_parse_sockstat(junk, sizeof(junk) - 1, &st), -EINVAL);
	const char last[] = "TCP: inuse 5 orphan 1 tw 2"; /* no final newline */
	assert_int_equal(kstat_parse_sockstat(last, sizeof(last) - 1, &st), 0);
	assert_int_equal(st.tcp_inuse, 5);
	assert_int_equal(st.tcp_tw, 2);
	const char huge[] = "TCP: inuse 18446744073709551616 orphan 1\n";
	assert_int_equal(kstat_parse_sockstat(huge, sizeof(huge) - 1, &st), -EINVAL);
	/* The real one parses. */
	assert_int_equal(kstat_read_sockstat("/proc/net/sockstat", &st), 0);
}

static void test_numbers_and_ranges(void **state)
{
	(void)state;
	char dir[64], path[128];
	uint64_t v;
	uint16_t lo, hi;
	assert_non_null(tu_mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/n", dir);
	tu_write("262144\n", 7, "%s", path);
	assert_int_equal(kstat_read_u64(path, &v), 0);
	assert_int_equal(v, 262144);
	tu_write("x\n", 2, "%s", path);
	assert_int_equal(kstat_read_u64(path, &v), -EINVAL);
	tu_write("32768\t60999\n", 12, "%s", path);
	assert_int_equal(kstat_read_port_range(path, &lo, &hi), 0);
	assert_int_equal(lo, 32768);
	assert_int_equal(hi, 60999);
	tu_write("70000 80000\n", 12, "%s", path);
	assert_int_equal(kstat_read_port_range(path, &lo, &hi), -EINVAL);
	tu_write("600 500\n", 8, "%s", path);
	assert_int_equal(kstat_read_port_range(path, &lo, &hi), -EINVAL);
	tu_write("18446744073709551615", 20, "%s", path); /* no newline, the largest */
	assert_int_equal(kstat_read_u64(path, &v), 0);
	assert_true(v == UINT64_MAX);
	tu_write("18446744073709551616\n", 21, "%s", path);
	assert_int_equal(kstat_read_u64(path, &v), -EINVAL);
	tu_write("-1\n", 3, "%s", path); /* tcp_ehash_entries sharing the host's table */
	assert_int_equal(kstat_read_u64(path, &v), -EINVAL);
	tu_write("", 0, "%s", path);
	assert_int_equal(kstat_read_u64(path, &v), -EINVAL);
	tu_write("1024 65535", 10, "%s", path);
	assert_int_equal(kstat_read_port_range(path, &lo, &hi), 0);
	assert_int_equal(hi, 65535);
	tu_write("1024 65536\n", 11, "%s", path);
	assert_int_equal(kstat_read_port_range(path, &lo, &hi), -EINVAL);
	tu_write("1024\n", 5, "%s", path);
	assert_int_equal(kstat_read_port_range(path, &lo, &hi), -EINVAL);
	assert_int_equal(kstat_read_u64("/nonexistent", &v), -ENOENT);
	tu_rmtree(dir);
}

static void test_protocols(void **state)
{
	(void)state;
	const char text[] =
		"protocol  size sockets  memory press maxhdr  slab module     cl co di\n"
		"UDPv6     1472      4       0   NI       0   yes  kernel      y  y  y\n"
		"TCPv6     2432      7     176   no     192   yes  kernel      y  y  y\n"
		"UNIX-STREAM 1152   12      -1   NI       0   yes  kernel      y  n  n\n"
		"UNIX      1152      3      -1   NI       0   yes  kernel      y  n  n\n"
		"UDP-Lite  1344     99       0   NI       0   yes  kernel      y  y  y\n"
		"UDP       1344      1       0   NI       0   yes  kernel      y  y  y\n"
		"TCP       2304      2     176   no     192   yes  kernel      y  y  y\n";
	struct protocols pr;
	assert_int_equal(kstat_parse_protocols(text, sizeof(text) - 1, &pr), 0);
	assert_int_equal(pr.tcp, 9);
	assert_int_equal(pr.udp, 5);
	assert_int_equal(pr.unix_, 15);
	assert_int_equal(kstat_parse_protocols("junk", 4, &pr), -EINVAL);
	/* A line without its count, or with one that is not a number, makes
	 * the whole file unusable: never "0 in use", which would skip a dump. */
	const char bare[] = "protocol  size sockets\nUDP 1344\n";
	assert_int_equal(kstat_parse_protocols(bare, sizeof(bare) - 1, &pr), -EINVAL);
	const char word[] = "protocol  size sockets\nTCP 2304 many\n";
	assert_int_equal(kstat_parse_protocols(word, sizeof(word) - 1, &pr), -EINVAL);
	/* Nor may a count too big for 64 bits, alone or summed over IPv4
	 * and IPv6: it used to read as UINT64_MAX, and a sum wrapped to 0. */
	const char *huge[] = {
		"protocol  size sockets\nTCP 2304 18446744073709551616\n",
		"protocol  size sockets\nTCP 2304 18446744073709551615\nTCPv6 2432 1\n",
		"protocol  size sockets\nTCP 2304 1234567890123456789012345678901x\n", /* cut at 31 */
	};
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++)
		assert_int_equal(kstat_parse_protocols(huge[i], strlen(huge[i]), &pr), -EINVAL);
	const char last[] = "protocol  size sockets\nUDP 1344 6"; /* no final newline */
	assert_int_equal(kstat_parse_protocols(last, sizeof(last) - 1, &pr), 0);
	assert_int_equal(pr.udp, 6);
	assert_int_equal(kstat_read_protocols("/proc/net/protocols", &pr), 0);
}

/* net.ipv4.tcp_mem: three rising page counts, nothing else. */
static void test_tcp_mem(void **state)
{
	(void)state;
	uint64_t m[TCP_MEM_LEVELS] = {7, 7, 7};
	const char good[] = "287901\t383868\t575802\n";
	assert_int_equal(kstat_parse_tcp_mem(good, sizeof(good) - 1, m), 0);
	assert_int_equal(m[TCP_MEM_MIN], 287901);
	assert_int_equal(m[TCP_MEM_PRESSURE], 383868);
	assert_int_equal(m[TCP_MEM_MAX], 575802);
	static const char *const bad[] = {"", "1 2\n", "3 2 1\n", "1 x 3\n", "-1 2 3\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t b[TCP_MEM_LEVELS] = {7, 7, 7};
		assert_int_equal(kstat_parse_tcp_mem(bad[i], strlen(bad[i]), b), -EINVAL);
		assert_int_equal(b[0], 7); /* untouched */
	}
	/* The figures, read for real: the page count is always there, the
	 * limit only in the host's namespace. */
	struct kernel_figures k;
	kstat_read_figures("/proc", &k);
	assert_true(k.tcp_mem_known);
	if (k.tcp_mem_limit_known)
		assert_true(k.tcp_mem_limit[TCP_MEM_MIN] <= k.tcp_mem_limit[TCP_MEM_MAX]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_mem),
		cmocka_unit_test(test_sockstat),
		cmocka_unit_test(test_numbers_and_ranges),
		cmocka_unit_test(test_protocols),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
