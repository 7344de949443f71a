/* test_netstat.c - a namespace's TCP counters from snmp and netstat. */
#include <socklife/netstat.h>

#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* As Linux 6.x writes them, shortened; the fields wanted are not where
 * an older kernel put them. */
static const char snmp[] =
	"Ip: Forwarding DefaultTTL InReceives\n"
	"Ip: 1 64 12345\n"
	"Icmp: InMsgs InErrors\n"
	"Icmp: 3 0\n"
	"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails "
	"EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
	"Tcp: 1 200 120000 -1 3340 3297 23 3119 0 45003 43905 18 0 2092 0\n"
	"Udp: InDatagrams NoPorts\n"
	"Udp: 10 2\n";

static const char netstat[] =
	"TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops TCPHPHits\n"
	"TcpExt: 0 0 12 14 99\n"
	"IpExt: InNoRoutes InTruncatedPkts\n"
	"IpExt: 0 0\n";

static void test_both_files(void **state)
{
	(void)state;
	struct netstat n = {0};
	assert_int_equal(netstat_parse(snmp, sizeof(snmp) - 1, &n), 2);
	assert_int_equal(n.value[NETSTAT_RETRANS_SEGS], 18);
	assert_int_equal(n.value[NETSTAT_OUT_RSTS], 2092);
	assert_int_equal(n.known, (1u << NETSTAT_RETRANS_SEGS) | (1u << NETSTAT_OUT_RSTS));
	assert_int_equal(netstat_parse(netstat, sizeof(netstat) - 1, &n), 2);
	assert_int_equal(n.value[NETSTAT_LISTEN_OVERFLOWS], 12);
	assert_int_equal(n.value[NETSTAT_LISTEN_DROPS], 14);
	assert_int_equal(n.known, (1u << NETSTAT_COUNT) - 1);
}

/* Names count, not places; a field of another section with the same name
 * is not ours; a value that is no number is unknown. */
static void test_by_name_and_section(void **state)
{
	(void)state;
	const char t[] = "Udp: RetransSegs OutRsts\n"
			 "Udp: 7 7\n"
			 "Tcp: OutRsts RetransSegs\n"
			 "Tcp: 5 x\n";
	struct netstat n = {0};
	assert_int_equal(netstat_parse(t, sizeof(t) - 1, &n), 1);
	assert_int_equal(n.value[NETSTAT_OUT_RSTS], 5);
	assert_int_equal(n.known, 1u << NETSTAT_OUT_RSTS);
}

/* Broken pairing: a header without its values, values of another section,
 * a value line cut short by the reader's buffer. */
static void test_broken_pairs(void **state)
{
	(void)state;
	const char t[] = "TcpExt: ListenOverflows ListenDrops\n"
			 "Tcp: RetransSegs\n"
			 "Tcp: 4\n"
			 "TcpExt: ListenOverflows ListenDrops\n"
			 "TcpExt: 3\n"
			 "Tcp: OutRsts\n"
			 "Tcp: 12345"; /* no '\n': it may have been 123456 */
	struct netstat n = {0};
	assert_int_equal(netstat_parse(t, sizeof(t) - 1, &n), 2);
	assert_int_equal(n.value[NETSTAT_RETRANS_SEGS], 4);
	assert_int_equal(n.value[NETSTAT_LISTEN_OVERFLOWS], 3);
	assert_false(n.known & (1u << NETSTAT_LISTEN_DROPS));
	assert_false(n.known & (1u << NETSTAT_OUT_RSTS));
	/* Nothing at all. */
	struct netstat e = {0};
	assert_int_equal(netstat_parse("", 0, &e), 0);
	assert_int_equal(netstat_parse("Tcp:\n", 5, &e), 0);
	const char huge[] = "Tcp: OutRsts\nTcp: 18446744073709551616\n";
	assert_int_equal(netstat_parse(huge, sizeof(huge) - 1, &e), 0);
	assert_int_equal(e.known, 0);
}

/* Through a process of the namespace, checked to still live in it. */
static void test_read_through_a_pid(void **state)
{
	(void)state;
	char root[64];
	assert_non_null(tu_mkdtemp(root));
	tu_mkdirs("%s/42/net", root);
	tu_mkdirs("%s/42/ns", root);
	tu_write(snmp, sizeof(snmp) - 1, "%s/42/net/snmp", root);
	tu_write(netstat, sizeof(netstat) - 1, "%s/42/net/netstat", root);
	tu_write("", 0, "%s/42/ns/net", root);
	char path[128];
	snprintf(path, sizeof(path), "%s/42/ns/net", root);
	struct netns_id id, other = {1, 1};
	assert_int_equal(netns_id_of(path, &id), 0);

	struct netstat n;
	assert_int_equal(netstat_read(root, 42, false, &id, &n), 0);
	assert_int_equal(n.known, (1u << NETSTAT_COUNT) - 1);
	assert_int_equal(n.value[NETSTAT_LISTEN_DROPS], 14);
	/* The pid now lives elsewhere: nothing. */
	assert_int_equal(netstat_read(root, 42, false, &other, &n), -ESRCH);
	assert_int_equal(n.known, 0);
	/* Gone, or no process at all. */
	assert_int_equal(netstat_read(root, 43, false, &id, &n), -ENOENT);
	assert_int_equal(netstat_read(root, 0, false, &id, &n), -ENOENT);
	assert_int_equal(n.known, 0);
	tu_rmtree(root);

	/* Our own namespace, through the real procfs. */
	struct netns_id self;
	assert_int_equal(netns_id_of("/proc/thread-self/ns/net", &self), 0);
	assert_int_equal(netstat_read("/proc", 0, true, &self, &n), 0);
	assert_int_equal(n.known, (1u << NETSTAT_COUNT) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_files),
		cmocka_unit_test(test_by_name_and_section),
		cmocka_unit_test(test_broken_pairs),
		cmocka_unit_test(test_read_through_a_pid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
