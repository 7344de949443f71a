/* test_render.c - the exposition: families, zeros, labels, escaping. */
#include <socklife/render.h>

#include "testworld.h"

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

/* Two processes: one with a hostile name holding a CLOSE_WAIT socket, one
 * idle; grouped as asked. */
static void build(struct test_world *w, enum group_by by)
{
	memset(w, 0, sizeof(*w));
	tw_proc(w, 10, "we\"ird\\\n\xff", 3, 4);
	tw_proc(w, 11, "idle", 1, 0);
	tw_begin(w, by);
	tw_socket(w, ST_CLOSE_WAIT, 0, 0);
	tw_judge(w, 1);
}

static struct strbuf render_world(struct test_world *w)
{
	struct strbuf out = STRBUF_INIT;
	struct kernel_figures k = {0};
	struct render_input in = {.tally = &w->t, .diag = &w->d, .kernel = &k, .stats = &w->st};
	render_pass(&out, &in);
	return out;
}

static void test_sockets_and_groups(void **state)
{
	(void)state;
	struct test_world w;
	build(&w, GROUP_BY_COMM);
	struct strbuf out = render_world(&w);
	const char *s = out.buf;

	assert_non_null(strstr(s, "# TYPE socklife_sockets gauge\n"));
	assert_non_null(strstr(s, "socklife_sockets{netns=\"host\",proto=\"tcp\",state=\"close_wait\"} 1\n"));
	/* Without a series budget: every TCP state, zeros included, but the
	 * one no table lists (close); no UDP since it was not dumped. */
	assert_int_equal(count(s, "socklife_sockets{"), 10);
	assert_null(strstr(s, "state=\"close\""));
	assert_null(strstr(s, "proto=\"udp\""));
	/* No group holds TIME_WAIT or a request socket: not even as zeros. */
	assert_int_equal(count(s, "socklife_process_sockets{process=\"we"), 8);
	assert_null(strstr(s, "socklife_process_sockets{process=\"we\\\"ird\\\\\xef\xbf\xbd\xef\xbf\xbd\","
			      "container=\"\",proto=\"tcp\",state=\"time_wait\""));
	/* The hostile comm is escaped and made valid UTF-8, without the newline. */
	assert_non_null(strstr(s, "socklife_process_sockets{process=\"we\\\"ird\\\\\xef\xbf\xbd\xef\xbf\xbd\","
				  "container=\"\",proto=\"tcp\",state=\"close_wait\"} 1\n"));
	/* The idle group holds no TCP socket: no socket series, but its fds. */
	assert_null(strstr(s, "socklife_process_sockets{process=\"idle\""));
	assert_non_null(strstr(s, "socklife_process_open_fds{process=\"idle\",container=\"\"} 1\n"));
	assert_non_null(strstr(s, "socklife_process_fd_usage_ratio{process=\"we"));
	assert_non_null(strstr(s, "} 0.75\n"));
	assert_non_null(strstr(s, "socklife_unresolved_sockets{netns=\"host\",proto=\"tcp\"} 0\n"));
	/* Kernel figures that could not be read are left out, not 0. */
	assert_null(strstr(s, "socklife_tcp_orphans"));
	/* No raw newline inside any sample line: each line starts a name or '#'. */
	for (const char *line = s; *line; line = strchr(line, '\n') + 1)
		assert_true(*line == '#' || strncmp(line, "socklife_", 9) == 0);

	assert_null(strstr(s, "pid=\""));
	sb_free(&out);
	tw_free(&w);

	build(&w, GROUP_BY_PID);
	out = render_world(&w);
	assert_non_null(strstr(out.buf, "process=\"idle\",container=\"\",pid=\"11\"} 1\n"));
	sb_free(&out);
	tw_free(&w);
}

/* Names that differ only in bytes that are not UTF-8, or in control
 * characters, show alike: they are one group, so one series per state,
 * never several with the same labels (Prometheus would keep one).  No
 * control character reaches a label value. */
static void test_names_that_show_alike(void **state)
{
	(void)state;
	struct test_world w;
	memset(&w, 0, sizeof(w));
	tw_proc(&w, 10, "a\xff", 1, 0);
	tw_proc(&w, 11, "a\xfe", 1, 0);
	tw_proc(&w, 12, "a\x1b", 1, 0);
	tw_proc(&w, 13, "a\xc2\x9b", 1, 0); /* C1 CSI, valid UTF-8 */
	tw_proc(&w, 14, "b\x7f\t\r", 1, 0);
	tw_begin(&w, GROUP_BY_COMM);
	for (uint32_t p = 0; p < 5; p++)
		tw_socket(&w, ST_ESTABLISHED, 0, p);
	tw_judge(&w, 1);
	assert_int_equal(w.t.groups.n, 2);
	struct strbuf out = render_world(&w);
	const char *s = out.buf;
	assert_int_equal(count(s, "socklife_process_sockets{process=\"a\xef\xbf\xbd\",container=\"\","
				  "proto=\"tcp\",state=\"established\"} 4\n"), 1);
	assert_int_equal(count(s, "socklife_process_open_fds{process=\"a\xef\xbf\xbd\","), 1);
	assert_int_equal(count(s, "socklife_process_open_fds{process=\"b\xef\xbf\xbd\xef\xbf\xbd"
				  "\xef\xbf\xbd\",container=\"\"} 1\n"), 1);
	for (size_t i = 0; i < out.len; i++)
		assert_true((unsigned char)s[i] >= 0x20 || s[i] == '\n');
	assert_null(strstr(s, "\x7f"));
	assert_null(strstr(s, "\xc2\x9b"));
	sb_free(&out);
	tw_free(&w);
}

static void test_status(void **state)
{
	(void)state;
	struct scan_stats st = {.scans = 7, .last_success = 1700000000.5};
	st.errors[STAGE_DUMP] = 2;
	st.duration[PHASE_TOTAL] = 0.125;
	struct selfstat self = {.cpu_seconds = 1.5, .resident_bytes = 4096, .open_fds = 9,
				.max_fds = 1024, .start_time = 1690000000,
				.known = {true, true, true, true}};
	struct strbuf out = STRBUF_INIT;
	struct caps_state caps = {.held = {true, false, true}, .needed = {true, true, true}};
	struct http_stats http = {.conns = {.accepted = 12, .connections = 3, .strangers = 1}};
	http.conns.refused[SLOT_REFUSED_PER_ADDRESS] = 4;
	struct render_input in = {.stats = &st, .self = &self, .caps = &caps, .http = &http};
	render_status(&out, &in);
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
	assert_non_null(strstr(s, "socklife_http_connections_accepted_total 12\n"));
	assert_non_null(strstr(s, "socklife_http_connections_refused_total{reason=\"per_address\"} 4\n"));
	assert_non_null(strstr(s, "socklife_http_connections{client=\"known\"} 2\n"));
	assert_non_null(strstr(s, "socklife_http_connections{client=\"stranger\"} 1\n"));
	/* Every family has HELP before TYPE, once. */
	assert_int_equal(count(s, "# HELP "), count(s, "# TYPE "));
	sb_free(&out);
}

/* Out of fds, the daemon cannot open /proc/self/fd or statm: those figures
 * are left out (a 0 would read as "fine"), as are the server's families
 * when nothing is served (--once). */
static void test_unknown_left_out(void **state)
{
	(void)state;
	struct scan_stats st = {.scans = 1};
	struct selfstat self = {.cpu_seconds = 1.5, .max_fds = 1024,
				.known = {[SELF_CPU] = true, [SELF_MAX_FDS] = true}};
	struct caps_state caps = {0};
	struct strbuf out = STRBUF_INIT;
	struct render_input in = {.stats = &st, .self = &self, .caps = &caps};
	render_status(&out, &in);
	const char *s = out.buf;
	assert_null(strstr(s, "process_open_fds"));
	assert_null(strstr(s, "process_resident_memory_bytes"));
	assert_null(strstr(s, "process_virtual_memory_bytes"));
	assert_non_null(strstr(s, "process_max_fds 1024\n"));
	assert_null(strstr(s, "socklife_http_"));
	assert_int_equal(count(s, "# HELP "), count(s, "# TYPE "));
	sb_free(&out);
}

/* Listeners, socket memory, a namespace's counters and its pod, the
 * kernel's TCP memory: a pod's processes in a container of their own, a
 * listener with connections waiting, unread data. */
static void test_listeners_memory_counters(void **state)
{
	(void)state;
	struct test_world w;
	memset(&w, 0, sizeof(w));
	tw_proc(&w, 10, "api", 10, 1024);
	tw_proc(&w, 11, "sidecar", 4, 1024);
	snprintf(w.containers[1].id, sizeof(w.containers[1].id), "c0ffee0c0ffee");
	snprintf(w.containers[1].pod_uid, sizeof(w.containers[1].pod_uid),
		 "6f1c2d3e-0000-4000-8000-00000000abcd");
	for (int i = 0; i < 2; i++) {
		w.procs[i].container = 1;
		w.procs[i].netns_dev = w.procs[i].netns_ino = 1; /* the namespace tw_begin opens */
	}
	tw_begin(&w, GROUP_BY_COMM);
	struct ns_tally *ns = &w.t.ns.v[0];
	ns->read.mode = NS_MODE_SOCK_DIAG;
	ns->kernel = (struct netstat){.value = {[NETSTAT_LISTEN_OVERFLOWS] = 7,
						[NETSTAT_OUT_RSTS] = 40},
				      .known = 1u << NETSTAT_LISTEN_OVERFLOWS | 1u << NETSTAT_OUT_RSTS};
	struct sl_socket l = {.proto = PROTO_TCP, .state = ST_LISTEN, .sport = 8080, .inode = 1,
			      .rqueue = 5, .wqueue = 4};
	struct sl_socket c = {.proto = PROTO_TCP, .state = ST_ESTABLISHED, .inode = 2,
			      .rmem_bytes = 70000, .wmem_bytes = 1000};
	uint32_t proc = 0, fd = 3;
	struct attributed la = {&l, 0, 0, SIDE_NONE, OWNED, &proc, &fd, 1};
	struct attributed ca = {&c, 0, 0, SIDE_INBOUND, OWNED, &proc, &fd, 1};
	tally_socket(&w.t, &la);
	tally_socket(&w.t, &ca);
	struct listeners ls = {0};
	listeners_begin(&ls);
	assert_int_equal(listeners_socket(&ls, &w.t, &la), 0);
	listeners_end(&ls);
	tw_judge(&w, 1);
	struct kernel_figures k = {.tcp_mem_pages = 900, .tcp_mem_known = true,
				   .tcp_mem_limit = {100, 200, 300}, .tcp_mem_limit_known = true};
	struct series budget = {0};
	assert_int_equal(series_update(&budget, &w.t, &ls, 100), 0);
	struct strbuf out = STRBUF_INIT;
	struct render_input in = {.tally = &w.t, .diag = &w.d, .kernel = &k, .stats = &w.st,
				  .series = &budget, .listeners = &ls};
	render_pass(&out, &in);
	const char *s = out.buf;
	assert_non_null(strstr(s, "socklife_listen_queue_length{process=\"api\",container=\"c0ffee0c0ffee\","
				  "netns=\"host\",port=\"8080\"} 5\n"));
	assert_non_null(strstr(s, "socklife_listen_backlog{process=\"api\",container=\"c0ffee0c0ffee\","
				  "netns=\"host\",port=\"8080\"} 4\n"));
	assert_non_null(strstr(s, "socklife_process_socket_memory_bytes{process=\"api\","
				  "container=\"c0ffee0c0ffee\",direction=\"receive\"} 70000\n"));
	assert_non_null(strstr(s, "direction=\"send\"} 1000\n"));
	/* sidecar holds no socket: no memory, no fd counts, but its fd usage. */
	assert_null(strstr(s, "socklife_process_socket_memory_bytes{process=\"sidecar\""));
	assert_null(strstr(s, "socklife_process_open_fds{process=\"sidecar\""));
	assert_non_null(strstr(s, "socklife_process_fd_usage_ratio{process=\"sidecar\""));
	assert_non_null(strstr(s, "socklife_netns_tcp_listen_overflows_total{netns=\"host\"} 7\n"));
	assert_non_null(strstr(s, "socklife_netns_tcp_resets_sent_total{netns=\"host\"} 40\n"));
	/* A counter that could not be read is left out, not 0. */
	assert_null(strstr(s, "socklife_netns_tcp_listen_drops_total{"));
	assert_non_null(strstr(s, "socklife_netns_pod_info{netns=\"host\","
				  "pod_uid=\"6f1c2d3e-0000-4000-8000-00000000abcd\"} 1\n"));
	assert_non_null(strstr(s, "socklife_tcp_memory_pages 900\n"));
	assert_non_null(strstr(s, "socklife_tcp_memory_limit_pages{level=\"pressure\"} 200\n"));
	/* Read from /proc/PID/net: no backlog is shown, rather than a 0. */
	sb_free(&out);
	ns->read.mode = NS_MODE_PROCFS;
	render_pass(&out, &in);
	assert_non_null(strstr(out.buf, "socklife_listen_queue_length{process=\"api\""));
	assert_null(strstr(out.buf, "socklife_listen_backlog{"));
	/* ... and the mode is said, being the exception. */
	assert_non_null(strstr(out.buf, "socklife_netns_scan_mode{netns=\"host\",mode=\"procfs\"} 1\n"));
	/* A host process in the namespace: no longer one pod's. */
	sb_free(&out);
	w.procs[1].container = 0;
	render_pass(&out, &in);
	assert_null(strstr(out.buf, "socklife_netns_pod_info{"));
	sb_free(&out);
	series_free(&budget);
	listeners_free(&ls);
	tw_free(&w);
}

/* The names of dashboards/metrics.txt, one a line, comments left out. */
static size_t contract(char names[][64], size_t max)
{
	FILE *f = fopen(SOURCE_DIR "/dashboards/metrics.txt", "r");
	assert_non_null(f);
	char line[256];
	size_t n = 0;
	while (fgets(line, sizeof(line), f) && n < max) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] && line[0] != '#' && strlen(line) < 64)
			memcpy(names[n++], line, strlen(line) + 1);
	}
	fclose(f);
	return n;
}

/* The family table, dashboards/metrics.txt and the README's metric table
 * name the same metrics: the three halves of the contract. */
static void test_family_table_is_the_contract(void **state)
{
	(void)state;
	static char names[128][64];
	size_t n = contract(names, 128);
	assert_int_equal(n, render_family_count());
	for (size_t i = 0; i < render_family_count(); i++) {
		const char *name = render_family_name(i), *type = render_family_type(i);
		bool listed = false;
		for (size_t j = 0; j < n && !listed; j++)
			listed = strcmp(names[j], name) == 0;
		if (!listed)
			fail_msg("%s is served but not in dashboards/metrics.txt", name);
		assert_true(strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0);
		/* Counters end in _total, gauges do not (Prometheus naming). */
		size_t len = strlen(name);
		bool total = len > 6 && strcmp(name + len - 6, "_total") == 0;
		assert_int_equal(total, strcmp(type, "counter") == 0);
	}
	static char readme[1 << 17];
	FILE *f = fopen(SOURCE_DIR "/README.md", "r");
	assert_non_null(f);
	readme[fread(readme, 1, sizeof(readme) - 1, f)] = '\0';
	fclose(f);
	for (size_t j = 0; j < n; j++) {
		char quoted[80] = "`";
		strcat(quoted, names[j]);
		strcat(quoted, "`");
		if (!strstr(readme, quoted))
			fail_msg("%s is not in the README's metric table", names[j]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sockets_and_groups),
		cmocka_unit_test(test_names_that_show_alike),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_listeners_memory_counters),
		cmocka_unit_test(test_unknown_left_out),
		cmocka_unit_test(test_family_table_is_the_contract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
