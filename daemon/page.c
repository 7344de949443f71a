/* page.c - the landing page: suspected leaks first, each with the sentence
 * that says what to fix, then the processes holding the most CLOSE_WAIT,
 * then the namespaces. */
#include <socklife/page.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOP_PROCS 25

static const char *const html_escapes[128] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
	['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
};

void page_escape(struct strbuf *out, const char *s, size_t n)
{
	sb_append_escaped(out, s, n, html_escapes);
}

static void escape_str(struct strbuf *out, const char *s) { page_escape(out, s, strlen(s)); }

static void render_processes(struct strbuf *out, const struct diag *d)
{
	size_t shown = d->order.n < TOP_PROCS ? d->order.n : TOP_PROCS;

	sb_printf(out, "<h2>Suspected socket leaks: %zu</h2>\n", d->suspects);
	sb_puts(out, "<table><tr><th>pid</th><th>process</th><th>container</th>");
	for (size_t k = 0; k < DIAG_STATES; k++)
		sb_printf(out, "<th>%s</th>", state_name(diag_states[k]));
	sb_puts(out, "<th>fds / limit</th><th>oldest CLOSE_WAIT</th></tr>\n");
	struct strbuf text = STRBUF_INIT;

	for (size_t i = 0; i < shown; i++) {
		const struct diag_row *r = &d->rows.v[d->order.v[i]];
		char age[24] = "-";
		if (r->tcp[DIAG_CLOSE_WAIT])
			leak_format_age(r->cw_oldest, age);

		sb_printf(out, "<tr%s><td>%" PRId32 "</td><td>", r->reasons ? " class=\"suspect\"" : "",
			  r->pid);
		escape_str(out, r->name);
		sb_puts(out, "</td><td>");
		escape_str(out, r->container);
		sb_puts(out, "</td>");
		for (size_t k = 0; k < DIAG_STATES; k++)
			sb_printf(out, "<td>%" PRIu32 "</td>", r->tcp[k]);
		if (r->fd_limit)
			sb_printf(out, "<td>%" PRIu32 " / %" PRIu64 "</td>", r->nfds, r->fd_limit);
		else
			sb_printf(out, "<td>%" PRIu32 " / unlimited</td>", r->nfds);
		/* The diagnosis gets a row of its own, the table's whole width:
		 * it is what the page is for, and a column would squeeze it. */
		sb_printf(out, "<td>%s</td></tr>\n<tr class=\"why%s\"><td colspan=\"%zu\">", age,
			  r->reasons ? " suspect" : "", 5 + (size_t)DIAG_STATES);
		sb_reset(&text);
		diag_who(&text, r);
		if (text.len) {
			sb_puts(out, "<p class=\"who\">");
			escape_str(out, text.buf);
			sb_puts(out, "</p>");
		}
		for (int reason = 0; reason < LEAK_REASON_COUNT; reason++) {
			if (!(r->reasons & (1u << reason)))
				continue;
			sb_printf(out, "<p><b>%s</b>: ", leak_reason_name(reason));
			escape_str(out, diag_sentence(d, r, reason));
			sb_puts(out, "</p>");
		}
		sb_reset(&text);
		diag_where(&text, r);
		if (text.len) {
			sb_puts(out, "<p class=\"where\">Where: ");
			escape_str(out, text.buf);
			sb_puts(out, "</p>");
		}
		sb_puts(out, "</td></tr>\n");
	}
	sb_puts(out, "</table>\n");
	if (text.failed)
		out->failed = true;
	sb_free(&text);
}

static void render_ns_table(struct strbuf *out, const struct tally *t)
{
	sb_puts(out, "<h2>Network namespaces (TCP)</h2>\n<table><tr><th>netns</th>");
	for (const uint8_t *st = proto_states(PROTO_TCP); *st; st++)
		sb_printf(out, "<th>%s</th>", state_name(*st));
	sb_puts(out, "</tr>\n");
	for (size_t i = 0; i < t->ns.n; i++) {
		const struct ns_tally *ns = &t->ns.v[i];
		if (ns->gone)
			continue;
		sb_puts(out, "<tr><td>");
		escape_str(out, ns->label);
		sb_puts(out, "</td>");
		for (const uint8_t *st = proto_states(PROTO_TCP); *st; st++)
			sb_printf(out, "<td>%" PRIu32 "</td>", ns->count[PROTO_TCP][*st]);
		sb_puts(out, "</tr>\n");
	}
	sb_puts(out, "</table>\n");
}

void page_render(struct strbuf *out, const struct page_input *in)
{
	sb_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		     "<title>socklife</title>\n<style>body{font-family:sans-serif;margin:2em}"
		     "table{border-collapse:collapse;margin-bottom:1.5em}"
		     "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right;vertical-align:top}"
		     "td:nth-child(2),td:nth-child(3),tr.why td{text-align:left}"
		     "td p{margin:0 0 .4em 0;max-width:50em}"
		     "tr.suspect{background:#fee}</style></head>\n<body>\n"
		     "<h1>socklife</h1>\n<p>Sockets by state per process and network namespace, "
		     "and the processes that probably leak them. Reload for the latest pass. "
		     "<a href=\"/metrics\">Metrics</a> &middot; <a href=\"/healthz\">Health</a></p>\n");
	if (!in->diag) {
		sb_puts(out, "<p>No successful scan yet.</p>\n</body></html>\n");
		return;
	}
	char when[64] = "never";
	time_t ts = (time_t)in->stats->last_success;
	struct tm tm;
	if (ts && gmtime_r(&ts, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	sb_printf(out, "<p>Last scan: %s, %" PRIu32 " processes.</p>\n", when, in->stats->procs);
	render_processes(out, in->diag);
	render_ns_table(out, in->tally);
	sb_puts(out, "</body></html>\n");
}
