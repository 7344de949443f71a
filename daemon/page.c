/* page.c - the landing page: namespaces, then the process groups that hold
 * the most CLOSE_WAIT sockets. */
#include <socklife/page.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOP_GROUPS 20

static const char *const html_escapes[128] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
	['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
};

void page_escape(struct strbuf *out, const char *s, size_t n)
{
	sb_append_escaped(out, s, n, html_escapes);
}

static const uint8_t key_states[] = {ST_ESTABLISHED, ST_CLOSE_WAIT, ST_FIN_WAIT2, ST_LISTEN};

static uint32_t close_wait_of(const struct group *g) { return g->count[PROTO_TCP][ST_CLOSE_WAIT]; }

static int by_close_wait(const void *a, const void *b)
{
	const struct group *x = *(const struct group *const *)a, *y = *(const struct group *const *)b;
	uint32_t cx = close_wait_of(x), cy = close_wait_of(y);
	if (cx != cy)
		return cx < cy ? 1 : -1;
	return (x->open_fds < y->open_fds) - (x->open_fds > y->open_fds);
}

static void render_ns_table(struct strbuf *out, const struct tally *t)
{
	sb_puts(out, "<h2>Network namespaces (TCP)</h2>\n<table><tr><th>netns</th>");
	for (const uint8_t *st = proto_states(PROTO_TCP); *st; st++)
		sb_printf(out, "<th>%s</th>", state_name(*st));
	sb_puts(out, "</tr>\n");
	for (size_t i = 0; i < t->nns; i++) {
		const struct ns_tally *ns = &t->ns[i];
		sb_puts(out, "<tr><td>");
		page_escape(out, ns->label, strlen(ns->label));
		sb_puts(out, "</td>");
		for (const uint8_t *st = proto_states(PROTO_TCP); *st; st++)
			sb_printf(out, "<td>%" PRIu32 "</td>", ns->count[PROTO_TCP][*st]);
		sb_puts(out, "</tr>\n");
	}
	sb_puts(out, "</table>\n");
}

static void render_group_table(struct strbuf *out, const struct tally *t)
{
	const struct group *top[TOP_GROUPS];
	const struct group **all = malloc(t->ngroups * sizeof(*all));
	size_t n = 0;

	if (!all) {
		out->failed = true;
		return;
	}
	for (size_t i = 0; i < t->ngroups; i++)
		if (t->groups[i].has[PROTO_TCP])
			all[n++] = &t->groups[i];
	qsort(all, n, sizeof(*all), by_close_wait);
	if (n > TOP_GROUPS)
		n = TOP_GROUPS;
	memcpy(top, all, n * sizeof(*top));
	free(all);

	sb_puts(out, "<h2>Process groups by CLOSE_WAIT</h2>\n<table><tr><th>process</th>"
		     "<th>container</th>");
	for (size_t i = 0; i < sizeof(key_states); i++)
		sb_printf(out, "<th>%s</th>", state_name(key_states[i]));
	sb_puts(out, "<th>open fds</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		sb_puts(out, "<tr><td>");
		page_escape(out, top[i]->name, strlen(top[i]->name));
		if (top[i]->pid >= 0)
			sb_printf(out, " (%" PRId32 ")", top[i]->pid);
		sb_puts(out, "</td><td>");
		page_escape(out, top[i]->container, strlen(top[i]->container));
		sb_puts(out, "</td>");
		for (size_t k = 0; k < sizeof(key_states); k++)
			sb_printf(out, "<td>%" PRIu32 "</td>", top[i]->count[PROTO_TCP][key_states[k]]);
		sb_printf(out, "<td>%" PRIu64 "</td></tr>\n", top[i]->open_fds);
	}
	sb_puts(out, "</table>\n");
}

void page_render(struct strbuf *out, const struct tally *t, const struct scan_stats *stats)
{
	sb_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		     "<title>socklife</title>\n<style>body{font-family:sans-serif;margin:2em}"
		     "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;"
		     "text-align:right}td:first-child{text-align:left}</style></head>\n<body>\n"
		     "<h1>socklife</h1>\n<p>Sockets by state per process and network namespace. "
		     "<a href=\"/metrics\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p>\n");
	if (!t) {
		sb_puts(out, "<p>No successful scan yet.</p>\n</body></html>\n");
		return;
	}
	char when[64] = "never";
	time_t ts = (time_t)stats->last_success;
	struct tm tm;
	if (ts && gmtime_r(&ts, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	sb_printf(out, "<p>Last scan: %s, %" PRIu32 " processes.</p>\n", when, stats->procs);
	render_ns_table(out, t);
	render_group_table(out, t);
	sb_puts(out, "</body></html>\n");
}
