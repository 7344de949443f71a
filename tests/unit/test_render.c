/* test_render.c - the exposition: families, zeros, labels, escaping. */
#include <socklife/render.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void build(struct tally *t, struct procscan *ps, struct proc_info *procs,
		  struct owners *own, enum group_by by)
{
	memset(procs, 0, 2 * sizeof(*procs));
	procs[0] = (struct proc_info){.pid = 10, .nfds = 3, .fd_limit = 4};
	strcpy(procs[0].comm, "we\"ird\\\n\xff");
	procs[1] = (struct proc_info){.pid = 11, .nfds = 1};
	strcpy(procs[1].comm, "idle");
	static struct sock_holder h[] = {{500, 0, 3}};
	memset(ps, 0, sizeof(*ps));
	ps->procs = procs;
	ps->nprocs = 2;
	ps->holders = h;
	ps->nholders = 1;
	memset(own, 0, sizeof(*own));
	assert_int_equal(owners_build(own, h, 1), 0);
	memset(t, 0, sizeof(*t));
	assert_int_equal(tally_begin(t, ps, own, by), 0);
	struct netns_id id = {1, 1};
	assert_int_equal(tally_add_netns(t, &id, "host"), 0);
	t->ns[0].dumped[PROTO_TCP] = true;
	struct sl_socket s = {.inode = 500, .state = ST_CLOSE_WAIT, .proto = PROTO_TCP};
	tally_socket(t, 0, &s, 0);
}

static void test_sockets_and_groups(void **state)
{
	(void)state;
	struct tally t;
	struct procscan ps;
	struct proc_info procs[2];
	struct owners own;
	struct strbuf out = STRBUF_INIT;

	build(&t, &ps, procs, &own, GROUP_BY_COMM);
	render_sockets(&out, &t);
	const char *s = out.buf;

	assert_non_null(strstr(s, "# TYPE socklife_sockets gauge\n"));
	assert_non_null(strstr(s, "socklife_sockets{netns=\"host\",proto=\"tcp\",state=\"close_wait\"} 1\n"));
	/* Every TCP state, zeros included; no UDP since it was not dumped. */
	assert_int_equal(count(s, "socklife_sockets{"), 11);
	assert_null(strstr(s, "proto=\"udp\""));
	/* The hostile comm is escaped and made valid UTF-8. */
	assert_non_null(strstr(s, "socklife_process_sockets{process=\"we\\\"ird\\\\\\n\xef\xbf\xbd\","
				  "container=\"\",proto=\"tcp\",state=\"close_wait\"} 1\n"));
	/* The idle group holds no TCP socket: no socket series, but its fds. */
	assert_null(strstr(s, "socklife_process_sockets{process=\"idle\""));
	assert_non_null(strstr(s, "socklife_process_open_fds{process=\"idle\",container=\"\"} 1\n"));
	assert_non_null(strstr(s, "socklife_process_fd_usage_ratio{process=\"we"));
	assert_non_null(strstr(s, "} 0.75\n"));
	assert_non_null(strstr(s, "socklife_unresolved_sockets{netns=\"host\",proto=\"tcp\"} 0\n"));
	/* No raw newline inside any sample line: each line starts a name or '#'. */
	for (const char *line = s; *line; line = strchr(line, '\n') + 1)
		assert_true(*line == '#' || strncmp(line, "socklife_", 9) == 0);

	assert_null(strstr(s, "pid=\""));

	tally_free(&t);
	owners_free(&own);
	build(&t, &ps, procs, &own, GROUP_BY_PID);
	sb_reset(&out);
	render_sockets(&out, &t);
	assert_non_null(strstr(out.buf, "process=\"idle\",container=\"\",pid=\"11\"} 1\n"));

	sb_free(&out);
	tally_free(&t);
	owners_free(&own);
}

static void test_status(void **state)
{
	(void)state;
	struct scan_stats st = {.scans = 7, .last_success = 1700000000.5};
	st.errors[STAGE_DUMP] = 2;
	st.duration[PHASE_TOTAL] = 0.125;
	struct selfstat self = {.cpu_seconds = 1.5, .resident_bytes = 4096, .open_fds = 9,
				.max_fds = 1024, .start_time = 1690000000};
	struct strbuf out = STRBUF_INIT;
	struct caps_state caps = {.held = {true, false, true}};
	render_status(&out, &st, &self, &caps);
	const char *s = out.buf;
	assert_non_null(strstr(s, "# TYPE socklife_scans_total counter\nsocklife_scans_total 7\n"));
	assert_non_null(strstr(s, "socklife_scan_errors_total{stage=\"dump\"} 2\n"));
	assert_non_null(strstr(s, "socklife_scan_errors_total{stage=\"proc\"} 0\n"));
	assert_non_null(strstr(s, "socklife_scan_duration_seconds{phase=\"total\"} 0.125000\n"));
	assert_non_null(strstr(s, "socklife_last_scan_timestamp_seconds 1700000000.500\n"));
	assert_non_null(strstr(s, "socklife_build_info{version=\"" SOCKLIFE_VERSION "\""));
	assert_non_null(strstr(s, "process_open_fds 9\n"));
	assert_non_null(strstr(s, "process_resident_memory_bytes 4096\n"));
	assert_non_null(strstr(s, "# TYPE process_cpu_seconds_total counter\n"));
	assert_non_null(strstr(s, "socklife_capability{capability=\"cap_sys_ptrace\"} 0\n"));
	assert_non_null(strstr(s, "socklife_capability{capability=\"cap_sys_admin\"} 1\n"));
	/* Every family has HELP before TYPE, once. */
	assert_int_equal(count(s, "# HELP "), count(s, "# TYPE "));
	sb_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sockets_and_groups),
		cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
