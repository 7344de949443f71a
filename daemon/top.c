/* top.c - the terminal view: a table and plain sentences. */
#include <socklife/top.h>

#include <socklife/leak.h>
#include <socklife/log.h>
#include <socklife/sample.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RED_BOLD "\033[1;31m"
#define RESET "\033[0m"
#define INDENT "        "

/* Terminal-safe copy of an untrusted name: printable ASCII only, so a
 * process cannot move the cursor or break the columns. */
static void safe_name(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (; *src && n + 1 < cap; src++)
		dst[n++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[n] = '\0';
}

/* Append `text` wrapped at TOP_WIDTH with every line indented. */
static void wrapped(struct strbuf *out, const char *text)
{
	const size_t width = TOP_WIDTH - sizeof(INDENT) + 1;
	const char *p = text;
	while (*p) {
		size_t len = strlen(p);
		size_t cut = len;
		if (len > width) {
			cut = width;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = width;
		}
		sb_puts(out, INDENT);
		for (size_t i = 0; i < cut; i++)
			sb_putc(out, (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?');
		sb_putc(out, '\n');
		p += cut;
		while (*p == ' ')
			p++;
	}
}

static void header(struct strbuf *out, const struct page_input *in)
{
	char when[32] = "never";
	time_t ts = (time_t)in->stats->last_success;
	struct tm tm;
	if (ts && localtime_r(&ts, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);

	uint32_t total[ST_COUNT] = {0};
	uint32_t all = 0;
	size_t nns = 0;
	for (size_t i = 0; i < in->tally->ns.n; i++) {
		const struct ns_tally *ns = &in->tally->ns.v[i];
		if (ns->gone)
			continue;
		nns++;
		for (int st = 1; st < ST_COUNT; st++) {
			total[st] += ns->count[PROTO_TCP][st];
			all += ns->count[PROTO_TCP][st];
		}
	}
	sb_printf(out, "socklife top  %s  %" PRIu32 " processes  %zu netns\n", when,
		  in->stats->procs, nns);
	sb_printf(out, "TCP %" PRIu32 ": estab %" PRIu32 ", close_wait %" PRIu32 ", fin_wait2 %" PRIu32
		       ", time_wait %" PRIu32 ", listen %" PRIu32 "\n",
		  all, total[ST_ESTABLISHED], total[ST_CLOSE_WAIT], total[ST_FIN_WAIT2],
		  total[ST_TIME_WAIT], total[ST_LISTEN]);
	size_t suspects = in->diag->suspects;
	if (suspects)
		sb_printf(out, "%zu %s suspected of leaking sockets\n\n", suspects,
			  suspects == 1 ? "process is" : "processes are");
	else
		sb_puts(out, "no process is suspected of leaking sockets\n\n");
}

void top_render(struct strbuf *out, const struct page_input *in, bool color, unsigned max_rows)
{
	if (!in->diag) {
		sb_puts(out, "socklife top: no successful scan\n");
		return;
	}
	const struct diag *d = in->diag;
	struct strbuf sentence = STRBUF_INIT;
	size_t rows = d->order.n < max_rows ? d->order.n : max_rows;
	header(out, in);

	/* 7+1+15+1+12+6+7+6+7+11+7 = 80 columns */
	sb_printf(out, "%7s %-15s %-12s%6s%7s%6s%7s%11s%7s\n", "PID", "PROCESS", "CONTAINER",
		  "ESTAB", "CLWAIT", "FINW2", "LISTEN", "FDS/LIMIT", "OLDEST");
	for (size_t i = 0; i < rows; i++) {
		const struct diag_row *r = &d->rows.v[d->order.v[i]];
		char name[16], container[13], fds[24], age[24] = "-";
		safe_name(name, sizeof(name), r->name);
		safe_name(container, sizeof(container), r->container);
		if (r->fd_limit)
			snprintf(fds, sizeof(fds), "%" PRIu32 "/%" PRIu64, r->nfds, r->fd_limit);
		else
			snprintf(fds, sizeof(fds), "%" PRIu32 "/-", r->nfds);
		if (r->tcp[DIAG_CLOSE_WAIT])
			leak_format_age(r->cw_oldest, age);

		if (color && r->reasons)
			sb_puts(out, RED_BOLD);
		sb_printf(out, "%7" PRId32 " %-15s %-12s%6" PRIu32 "%7" PRIu32 "%6" PRIu32 "%7" PRIu32
			       "%11s%7s",
			  r->pid, name, container, r->tcp[DIAG_ESTABLISHED], r->tcp[DIAG_CLOSE_WAIT],
			  r->tcp[DIAG_FIN_WAIT2], r->tcp[DIAG_LISTEN], fds, age);
		if (color && r->reasons)
			sb_puts(out, RESET);
		sb_putc(out, '\n');
		if (r->reasons) {
			sb_reset(&sentence);
			diag_who(&sentence, r);
			if (sentence.len)
				wrapped(out, sentence.buf);
		}
		for (int reason = 0; reason < LEAK_REASON_COUNT; reason++) {
			if (!(r->reasons & (1u << reason)))
				continue;
			sb_reset(&sentence);
			sb_printf(&sentence, "%s: %s", leak_reason_name(reason),
				  diag_sentence(d, r, reason));
			wrapped(out, sentence.failed ? "(out of memory)" : sentence.buf);
		}
		if (r->npeers || r->peers_other) {
			sb_reset(&sentence);
			sb_puts(&sentence, "where: ");
			diag_where(&sentence, r);
			wrapped(out, sentence.failed ? "(out of memory)" : sentence.buf);
		}
	}
	if (rows == 0)
		sb_puts(out, "        (no process holds a TCP socket)\n");
	sb_free(&sentence);
}

static bool use_color(void)
{
	const char *no = getenv("NO_COLOR");
	return isatty(STDOUT_FILENO) && !(no && *no);
}

int top_run(const struct config *cfg)
{
	struct sampler s;
	struct strbuf out = STRBUF_INIT;
	sigset_t sigs;
	int rc = 0;

	int err = sampler_init(&s, cfg, now_realtime());
	if (err) {
		log_error("cannot open a sock_diag socket: %s", strerror(-err));
		return 1;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	bool tty = isatty(STDOUT_FILENO), color = use_color();

	for (;;) {
		struct snapshot *snap;
		err = sampler_pass(&s, &snap);
		snapshot_unref(snap);
		sb_reset(&out);
		if (err) {
			log_error("pass failed: %s", strerror(-err));
			rc = 1;
		} else {
			struct page_input in = sampler_view(&s);
			if (cfg->watch && tty)
				sb_puts(&out, "\033[H\033[J"); /* home, clear */
			top_render(&out, &in, color, cfg->watch && tty ? 15 : 40);
			if (cfg->watch && !tty)
				sb_putc(&out, '\n');
			fwrite(out.buf, 1, out.len, stdout);
			fflush(stdout);
			rc = 0;
		}
		if (!cfg->watch)
			break;
		struct timespec wait = {(time_t)cfg->watch,
					(long)((cfg->watch - (double)(time_t)cfg->watch) * 1e9)};
		if (sigtimedwait(&sigs, NULL, &wait) >= 0)
			break; /* SIGINT or SIGTERM: a clean stop */
	}
	sb_free(&out);
	sampler_free(&s);
	return rc;
}
