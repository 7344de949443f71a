/* test_procnet.c - /proc/net socket tables, the fallback without setns. */
#include <socklife/procnet.h>

#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

struct got {
	struct sl_socket s[16];
	size_t n;
};

static int collect(const struct sl_socket *s, void *ctx)
{
	struct got *g = ctx;
	if (g->n < 16)
		g->s[g->n++] = *s;
	return 0;
}

static const char tcp[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 26232 1 0000000000000000 100 0 0 10 0\n"
	"   1: 0100007F:1F90 0100007F:C350 08 00000000:00000001 00:00000000 00000000  1000        0 26240 1 0000000000000000 20 4 30 10 -1\n"
	"   2: 0100007F:C351 0100007F:1F90 06 00000000:00000000 03:00000F9F 00000000     0        0 0 3 0000000000000000\n"
	"   3: garbage line\n"
	"   4: 0100007F:1F90 0100007F:C352 63 00000000:00000000 00:00000000 00000000     0        0 26241 1\n";

static void test_tcp(void **state)
{
	(void)state;
	struct got g = {0};
	struct sockdiag_parser p = {.proto = PROTO_TCP, .cb = collect, .ctx = &g};
	procnet_parse_inet(&p, tcp, sizeof(tcp) - 1, AF_INET);
	assert_int_equal(g.n, 3);
	assert_int_equal(p.stats.unknown_states, 2); /* the garbage line and state 0x63 */
	assert_int_equal(g.s[0].state, ST_LISTEN);
	assert_int_equal(g.s[0].sport, 0x277);
	assert_int_equal(g.s[0].inode, 26232);
	assert_int_equal(g.s[1].state, ST_CLOSE_WAIT);
	assert_int_equal(g.s[1].rqueue, 1); /* the unread EOF */
	assert_int_equal(g.s[1].uid, 1000);
	assert_int_equal(g.s[1].dport, 0xC350);
	static const uint8_t loopback[4] = {127, 0, 0, 1};
	assert_memory_equal(g.s[1].saddr, loopback, 4);
	assert_memory_equal(g.s[1].daddr, loopback, 4);
	assert_int_equal(g.s[2].state, ST_TIME_WAIT);
	assert_int_equal(g.s[2].inode, 0);
	assert_int_equal(g.s[2].cookie, 0);
	assert_true(g.s[0].cookie != 0 && g.s[0].cookie != g.s[0].inode); /* keyed, top bit set */

	/* The same table again: the same keys (attribution de-duplicates). */
	procnet_parse_inet(&p, tcp, sizeof(tcp) - 1, AF_INET);
	assert_int_equal(g.n, 6);
	assert_true(g.s[3].cookie == g.s[0].cookie);
}

/* A listener's queues are its accept queue (and 0 for the backlog, which
 * the table does not show), never memory; a connection's are its queued
 * payload, a lower bound of its memory. */
static void test_tcp_queues_and_memory(void **state)
{
	(void)state;
	static const char t[] =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 0100007F:0277 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 26232 1\n"
		"   1: 0100007F:1F90 0100007F:C350 01 00000200:00010000 00:00000000 00000000     0        0 26240 1\n";
	struct got g = {0};
	struct sockdiag_parser p = {.proto = PROTO_TCP, .cb = collect, .ctx = &g};
	procnet_parse_inet(&p, t, sizeof(t) - 1, AF_INET);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.s[0].rqueue, 5);
	assert_int_equal(g.s[0].rmem_bytes, 0);
	assert_int_equal(g.s[0].wmem_bytes, 0);
	assert_int_equal(g.s[1].rmem_bytes, 65536);
	assert_int_equal(g.s[1].wmem_bytes, 512);
}

/* IPv6: four words, each printed as a host-order number. */
static void test_tcp6_addresses(void **state)
{
	(void)state;
	static const char tcp6[] =
		"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 000080FE00000000FF005452120000FE:1F90 B80D0120000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 777 1 0\n";
	struct got g = {0};
	struct sockdiag_parser p = {.proto = PROTO_TCP, .cb = collect, .ctx = &g};
	procnet_parse_inet(&p, tcp6, sizeof(tcp6) - 1, AF_INET6);
	assert_int_equal(g.n, 1);
	/* fe80::5254:ff:fe00:12 and 2001:db8::1 */
	static const uint8_t local[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x52, 0x54, 0, 0xff, 0xfe, 0, 0, 0x12};
	static const uint8_t remote[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	assert_memory_equal(g.s[0].saddr, local, 16);
	assert_memory_equal(g.s[0].daddr, remote, 16);
	assert_int_equal(g.s[0].sport, 8080);
}

static void test_unix(void **state)
{
	(void)state;
	const char text[] = "Num       RefCount Protocol Flags    Type St Inode Path\n"
			    "0000000025485e6b: 00000002 00000000 00010000 0001 01 1220 /run/a.sock\n"
			    "000000002624a537: 00000003 00000000 00000000 0001 03 1221\n"
			    "000000002624a538: 00000002 00000000 00000000 0002 01 1222 @abstract name\n"
			    "000000002624a539: 00000002 00000000 00000000 0005 03 1223";
	struct got g = {0};
	struct sockdiag_parser p = {.proto = PROTO_UNIX, .cb = collect, .ctx = &g};
	procnet_parse_unix(&p, text, sizeof(text) - 1);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.s[0].state, ST_LISTEN);
	assert_int_equal(g.s[1].state, ST_ESTABLISHED);
	assert_int_equal(g.s[2].state, ST_CLOSE);
	assert_int_equal(g.s[2].type, SOCK_DGRAM);
	assert_int_equal(g.s[3].inode, 1223); /* last line without a newline */
}

static void test_read_streams_big_files(void **state)
{
	(void)state;
	char dir[64], path[128];
	assert_non_null(tu_mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/udp", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n");
	for (int i = 0; i < 20000; i++)
		fprintf(f, "%5d: 0100007F:%04X 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 %d 2 0000000000000000 0\n",
			i, i % 65536, 100000 + i);
	fclose(f);
	struct got g = {0};
	struct sockdiag_parser p = {.proto = PROTO_UDP, .cb = collect, .ctx = &g};
	assert_int_equal(procnet_read(&p, path, AF_INET), 0);
	assert_int_equal(p.stats.sockets, 20000);
	assert_int_equal(p.stats.unknown_states, 0);
	assert_int_equal(g.s[0].state, ST_CLOSE);
	assert_int_equal(procnet_read(&p, "/nonexistent/udp", AF_INET), -2 /* ENOENT */);
	tu_rmtree(dir);
}

/* A number too wide for its field is a malformed line, not a truncated
 * value: state 0x10000000A used to read as 0x0A (LISTEN), uid 2^32 as 0,
 * UNIX type 0x101 as 1 (SOCK_STREAM). */
static void test_wide_numbers(void **state)
{
	(void)state;
	const char inet[] =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 0100007F:0277 00000000:0000 10000000A 00000000:00000000 00:00000000 00000000     0        0 26232 1\n"
		"   1: 0100007F:0278 00000000:0000 0A 00000000:00000000 00:00000000 00000000     4294967296        0 26233 1\n"
		"   2: 0100007F:10000 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 26234 1\n"
		"   3: 0100007F:0279 00000000:0000 0A 00000000:00000000 00:00000000 00000000     4294967295        0 18446744073709551616 1\n"
		"   4: 0100007F:027A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     4294967295        0 18446744073709551615";
	struct got g = {0};
	struct sockdiag_parser p = {.proto = PROTO_TCP, .cb = collect, .ctx = &g};
	procnet_parse_inet(&p, inet, sizeof(inet) - 1, AF_INET);
	assert_int_equal(p.stats.unknown_states, 4);
	assert_int_equal(g.n, 1); /* the largest uid and inode, on a last line without '\n' */
	assert_int_equal(g.s[0].uid, UINT32_MAX);
	assert_true(g.s[0].inode == UINT64_MAX);

	const char unix_[] = "Num       RefCount Protocol Flags    Type St Inode Path\n"
			     "0000000025485e6b: 00000002 00000000 00000000 0101 01 1220\n";
	struct got u = {0};
	struct sockdiag_parser q = {.proto = PROTO_UNIX, .cb = collect, .ctx = &u};
	procnet_parse_unix(&q, unix_, sizeof(unix_) - 1);
	assert_int_equal(u.n, 0);
	assert_int_equal(q.stats.unknown_states, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_queues_and_memory),
		cmocka_unit_test(test_tcp6_addresses),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_read_streams_big_files),
		cmocka_unit_test(test_wide_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
