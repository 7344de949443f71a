/* top.c - the terminal view: a frame of plain lines, shown on stdout or,
 * with --watch on a terminal, full-screen through ncurses. */
#include <socklife/top.h>

#include <socklife/leak.h>
#include <socklife/log.h>
#include <socklife/peers.h>
#include <socklife/sample.h>
#include <socklife/stopper.h>

#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RED_BOLD "\033[1;31m"
#define RESET "\033[0m"
#define INDENT "        "

/* Terminal-safe copy of untrusted text: printable ASCII only, so a process
 * cannot move the cursor or break the columns with its name. */
static void safe_copy(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (; *src && n + 1 < cap; src++)
		dst[n++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
	dst[n] = '\0';
}

/* Append `text` wrapped at `width`, every line behind `indent`. */
static void wrapped(struct strbuf *out, const char *indent, const char *text, unsigned width)
{
	size_t room = width > strlen(indent) + 20 ? width - strlen(indent) : 20;
	const char *p = text;
	while (*p) {
		size_t len = strlen(p), cut = len;
		if (len > room) {
			cut = room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = room;
		}
		sb_puts(out, indent);
		for (size_t i = 0; i < cut; i++)
			sb_putc(out, (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?');
		sb_putc(out, '\n');
		p += cut;
		while (*p == ' ')
			p++;
	}
}

/* --- the frame ------------------------------------------------------------ */

static void totals(const struct page_input *in, uint32_t total[ST_COUNT], uint32_t *all, size_t *nns)
{
	memset(total, 0, ST_COUNT * sizeof(*total));
	*all = 0;
	*nns = 0;
	for (const struct ns_tally *ns = in->tally->ns.v; ns < in->tally->ns.v + in->tally->ns.n; ns++) {
		if (ns->gone)
			continue;
		(*nns)++;
		for (int st = 1; st < ST_COUNT; st++) {
			total[st] += ns->count[PROTO_TCP][st];
			*all += ns->count[PROTO_TCP][st];
		}
	}
}

/* What socklife cannot see, and what to do about it: a blind run must
 * never read as an all-clear. */
static void blindness(struct strbuf *out, const struct page_input *in, const struct top_view *v)
{
	char text[512];
	uint32_t denied = in->stats->denied_procs;
	if (denied) {
		snprintf(text, sizeof(text),
			 "BLIND to %" PRIu32 " of %" PRIu32 " processes: their fds cannot be read, "
			 "so their sockets count per namespace only and none of them can be "
			 "suspected. Run as root, or grant CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH.",
			 denied, in->stats->procs);
		wrapped(out, "", text, v->width);
	}
	if (v->one_shot)
		wrapped(out, "",
			"One look: close_wait_growth and socket_growth need a window of history, "
			"unhashed_socket_fds and unix_peer_gone need to persist; for those run "
			"`socklife top --watch 5s`, or read the daemon's page.",
			v->width);
}

static void header(struct strbuf *out, const struct page_input *in, const struct top_view *v)
{
	char when[32] = "never";
	time_t ts = (time_t)in->stats->last_success;
	struct tm tm;
	if (ts && localtime_r(&ts, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	uint32_t total[ST_COUNT], all;
	size_t nns;
	totals(in, total, &all, &nns);
	sb_printf(out, "socklife top  %s  %" PRIu32 " processes  %zu netns\n", when,
		  in->stats->procs, nns);
	sb_printf(out, "TCP %" PRIu32 ": estab %" PRIu32 ", close_wait %" PRIu32 ", fin_wait2 %" PRIu32
		       ", time_wait %" PRIu32 ", listen %" PRIu32 "\n",
		  all, total[ST_ESTABLISHED], total[ST_CLOSE_WAIT], total[ST_FIN_WAIT2],
		  total[ST_TIME_WAIT], total[ST_LISTEN]);
	blindness(out, in, v);
	size_t suspects = in->diag->suspects;
	const char *seen = in->stats->denied_procs ? " among those it can see" : "";
	if (suspects)
		sb_printf(out, "%zu %s suspected of leaking sockets%s\n\n", suspects,
			  suspects == 1 ? "process is" : "processes are", seen);
	else
		sb_printf(out, "no process is suspected of leaking sockets%s\n\n", seen);
}

static void table_head(struct strbuf *out, bool wide)
{
	/* narrow: 7+1+15+1+12+6+7+6+7+11+7 = 80 columns */
	if (wide)
		sb_printf(out, "%7s %-24s %-13s %-15s%6s%7s%6s%7s%11s%7s  %s\n", "PID", "PROCESS",
			  "CONTAINER", "NETNS", "ESTAB", "CLWAIT", "FINW2", "LISTEN", "FDS/LIMIT",
			  "OLDEST", "WHERE");
	else
		sb_printf(out, "%7s %-15s %-12s%6s%7s%6s%7s%11s%7s\n", "PID", "PROCESS", "CONTAINER",
			  "ESTAB", "CLWAIT", "FINW2", "LISTEN", "FDS/LIMIT", "OLDEST");
}

static void row(struct strbuf *out, const struct diag_row *r, bool wide, struct strbuf *scratch)
{
	char name[40], container[14], netns[16], fds[24], age[24] = "-";
	if (r->fd_limit)
		snprintf(fds, sizeof(fds), "%" PRIu32 "/%" PRIu64, r->nfds, r->fd_limit);
	else
		snprintf(fds, sizeof(fds), "%" PRIu32 "/-", r->nfds);
	if (r->tcp[DIAG_CLOSE_WAIT])
		leak_format_age(r->cw_oldest, age);
	if (r->reasons)
		sb_putc(out, TOP_EMPHASIS);
	if (!wide) {
		safe_copy(name, 16, r->name);
		safe_copy(container, 13, r->container);
		sb_printf(out, "%7" PRId32 " %-15s %-12s%6" PRIu32 "%7" PRIu32 "%6" PRIu32 "%7" PRIu32
			       "%11s%7s\n",
			  r->pid, name, container, r->tcp[DIAG_ESTABLISHED], r->tcp[DIAG_CLOSE_WAIT],
			  r->tcp[DIAG_FIN_WAIT2], r->tcp[DIAG_LISTEN], fds, age);
		return;
	}
	char both[80];
	snprintf(both, sizeof(both), "%s%s%s", r->name, r->program[0] ? " " : "", r->program);
	safe_copy(name, 25, both);
	safe_copy(container, 14, r->container);
	safe_copy(netns, 16, r->netns);
	sb_reset(scratch);
	diag_where(scratch, r);
	char where[64];
	safe_copy(where, sizeof(where), scratch->len ? scratch->buf : "");
	sb_printf(out, "%7" PRId32 " %-24s %-13s %-15s%6" PRIu32 "%7" PRIu32 "%6" PRIu32 "%7" PRIu32
		       "%11s%7s  %s\n",
		  r->pid, name, container, netns, r->tcp[DIAG_ESTABLISHED], r->tcp[DIAG_CLOSE_WAIT],
		  r->tcp[DIAG_FIN_WAIT2], r->tcp[DIAG_LISTEN], fds, age, where);
}

/* Under a suspect: who it is, each reason's sentence, where it leads. */
static void explain(struct strbuf *out, const struct diag *d, const struct diag_row *r,
		    const struct top_view *v, struct strbuf *text)
{
	bool wide = v->width >= TOP_WIDE;
	sb_reset(text);
	if (wide) { /* program and netns have columns; the unit has not */
		if (r->unit[0])
			sb_printf(text, "unit %s", r->unit);
	} else {
		diag_who(text, r);
	}
	if (text->len)
		wrapped(out, INDENT, text->buf, v->width);
	for (int reason = 0; reason < LEAK_REASON_COUNT; reason++) {
		if (!(r->reasons & (1u << reason)))
			continue;
		sb_reset(text);
		sb_printf(text, "%s: %s", leak_reason_name(reason), diag_sentence(d, r, reason));
		wrapped(out, INDENT, text->failed ? "(out of memory)" : text->buf, v->width);
	}
	if (!wide && (r->npeers || r->peers_other)) {
		sb_reset(text);
		sb_puts(text, "where: ");
		diag_where(text, r);
		wrapped(out, INDENT, text->failed ? "(out of memory)" : text->buf, v->width);
	}
}

void top_render(struct strbuf *out, const struct page_input *in, const struct top_view *v)
{
	if (!in->diag) {
		sb_puts(out, "socklife top: no successful scan\n");
		return;
	}
	const struct diag *d = in->diag;
	struct strbuf text = STRBUF_INIT;
	size_t rows = d->order.n < v->max_rows ? d->order.n : v->max_rows;
	bool wide = v->width >= TOP_WIDE;
	header(out, in, v);
	table_head(out, wide);
	for (size_t i = 0; i < rows; i++) {
		const struct diag_row *r = &d->rows.v[d->order.v[i]];
		row(out, r, wide, &text);
		if (r->reasons && v->sentences)
			explain(out, d, r, v, &text);
	}
	if (rows == 0)
		sb_puts(out, "        (no process holds a TCP socket)\n");
	else if (rows < d->order.n)
		sb_printf(out, "        ... and %zu more processes\n", d->order.n - rows);
	sb_free(&text);
}

/* --- one process's sockets -------------------------------------------------- */

/* "10.0.0.1:8080", "[2001:db8::1]:443" */
static void endpoint(char out[64], uint8_t family, const uint8_t addr[16], uint16_t port)
{
	struct peer p = {.family = family};
	char a[INET6_ADDRSTRLEN];
	memcpy(p.addr, addr, 16);
	peers_format_addr(&p, a);
	snprintf(out, 64, strchr(a, ':') ? "[%s]:%u" : "%s:%u", a, port);
}

static const char *flag_of(const struct focus_sock *fs, const struct leak_params *p)
{
	const struct sl_socket *s = &fs->s;
	if (fs->unhashed)
		return "unhashed: in no dump";
	if (s->proto == PROTO_UNIX && sockdiag_unix_peer_gone(s))
		return "peer gone";
	if (s->proto == PROTO_TCP && s->state == ST_CLOSE_WAIT && fs->silent >= p->close_wait_age)
		return "stale";
	if (s->proto == PROTO_TCP && s->state == ST_FIN_WAIT2 && fs->silent >= p->fin_wait2_age)
		return "stale";
	return "";
}

static void focus_line(struct strbuf *out, const struct focus_sock *fs, const struct leak_params *p)
{
	static const char *const sides[] = {[SIDE_NONE] = "-", [SIDE_INBOUND] = "in",
					    [SIDE_OUTBOUND] = "out"};
	const struct sl_socket *s = &fs->s;
	char local[64] = "-", remote[64] = "-", silent[24] = "-";
	const char *state = fs->unhashed ? "-" : state_name(s->state);
	if (s->proto != PROTO_UNIX && !fs->unhashed) {
		endpoint(local, s->family, s->saddr, s->sport);
		endpoint(remote, s->family, s->daddr, s->dport);
	} else if (s->proto == PROTO_UNIX && s->has_peer) {
		snprintf(remote, sizeof(remote), s->peer_inode ? "peer %" PRIu64 : "peer gone",
			 s->peer_inode);
	}
	if (s->proto == PROTO_TCP && (TIMED_STATES & (1u << s->state)) && !fs->unhashed)
		leak_format_age(fs->silent, silent);
	const char *flag = flag_of(fs, p);
	if (*flag)
		sb_putc(out, TOP_EMPHASIS);
	sb_printf(out, "%5" PRIu32 " %-5s %-11s %-4s %-24s %-24s %6" PRIu32 " %6" PRIu32 " %6s %s\n",
		  fs->fd, proto_name(s->proto), state ? state : "?", sides[fs->side], local, remote,
		  s->rqueue, s->wqueue, silent, flag);
}

void top_render_focus(struct strbuf *out, const struct page_input *in, const struct focus *f,
		      const struct top_view *v)
{
	char text[256], name[64];
	const struct diag *d = in->diag;
	const struct diag_row *found = NULL;
	for (size_t i = 0; d && i < d->rows.n && !found; i++)
		if (d->rows.v[i].pid == f->pid)
			found = &d->rows.v[i];
	struct strbuf scratch = STRBUF_INIT;
	if (found) {
		safe_copy(name, sizeof(name), found->name);
		sb_printf(out, "socklife top --pid %" PRId32 "  %s\n", f->pid, name);
		explain(out, d, found, &(struct top_view){.width = v->width < TOP_WIDE ? v->width : 80},
			&scratch);
	} else {
		sb_printf(out, "socklife top --pid %" PRId32 "\n", f->pid);
	}
	if (in->stats)
		blindness(out, in, v);
	sb_printf(out, "\n%5s %-5s %-11s %-4s %-24s %-24s %6s %6s %6s %s\n", "FD", "PROTO", "STATE",
		  "SIDE", "LOCAL", "REMOTE", "RECV-Q", "SEND-Q", "SILENT", "FLAG");
	for (size_t i = 0; i < f->socks.n; i++)
		focus_line(out, &f->socks.v[i], v->params);
	if (!f->socks.n)
		sb_printf(out, "(no socket of process %" PRId32 ": it is gone, holds none, or its fds "
			       "cannot be read)\n", f->pid);
	/* ss answers for its own namespace only: enter the process's. */
	snprintf(text, sizeof(text),
		 "Confirm with the kernel's own tools, from any namespace: nsenter -t %" PRId32
		 " -n ss -tanpoe | grep 'pid=%" PRId32 ",' and ls -l /proc/%" PRId32 "/fd",
		 f->pid, f->pid, f->pid);
	sb_putc(out, '\n');
	wrapped(out, "", text, v->width);
	sb_free(&scratch);
}

/* --- showing frames ---------------------------------------------------------- */

static bool use_color(void)
{
	const char *no = getenv("NO_COLOR");
	return isatty(STDOUT_FILENO) && !(no && *no);
}

/* A frame on stdout: emphasis as colour, or left out. */
static void show_plain(const struct strbuf *frame, bool color)
{
	for (const char *line = frame->buf; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		bool em = *line == TOP_EMPHASIS;
		if (em) {
			line++;
			len--;
		}
		if (em && color)
			fputs(RED_BOLD, stdout);
		fwrite(line, 1, len, stdout);
		if (em && color)
			fputs(RESET, stdout);
		fputc('\n', stdout);
		line += len + (nl ? 1 : 0);
	}
	fflush(stdout);
}

static size_t count_lines(const struct strbuf *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->len; i++)
		n += s->buf[i] == '\n';
	return n;
}

/* The largest frame that fits the window: fewer processes before fewer
 * sentences, the worst suspects always first. */
static void fit(struct strbuf *frame, const struct page_input *in, struct top_view v,
		unsigned lines)
{
	size_t rows = in->diag ? in->diag->order.n : 0;
	for (int sentences = 1; sentences >= 0; sentences--) {
		v.sentences = sentences;
		for (v.max_rows = (unsigned)rows;; v.max_rows--) {
			sb_reset(frame);
			top_render(frame, in, &v);
			if (count_lines(frame) <= lines || v.max_rows == 0)
				break;
		}
		if (v.max_rows > 0 || rows == 0)
			return;
	}
}

static void show_curses(const struct strbuf *frame, bool color)
{
	erase();
	int y = 0;
	for (const char *line = frame->buf; line && *line && y < LINES;) {
		const char *nl = strchr(line, '\n');
		int len = (int)(nl ? nl - line : (ptrdiff_t)strlen(line));
		bool em = *line == TOP_EMPHASIS;
		if (em)
			line++, len--;
		if (em)
			attron(A_BOLD | (color ? COLOR_PAIR(1) : 0));
		mvaddnstr(y++, 0, line, len < COLS ? len : COLS);
		if (em)
			attroff(A_BOLD | (color ? COLOR_PAIR(1) : 0));
		line += len + (nl ? 1 : 0);
	}
	refresh();
}

/* Wait `seconds` for the next pass: false when told to stop (q, SIGINT,
 * SIGTERM); a resize redraws `frame` at once. */
static bool wait_curses(double seconds, struct stopper *stop, const struct page_input *in,
			const struct top_view *v, struct strbuf *frame, bool color)
{
	for (double left = seconds, end = now_monotonic() + seconds; left > 0;
	     left = end - now_monotonic()) {
		timeout(left < 0.2 ? (int)(left * 1000) + 1 : 200);
		int ch = getch();
		if (ch == 'q' || ch == 'Q' || stopper_requested(stop))
			return false;
		if (ch == KEY_RESIZE && in->diag) {
			struct top_view fitted = *v;
			fitted.width = (unsigned)COLS;
			fit(frame, in, fitted, (unsigned)LINES);
			show_curses(frame, color);
		}
	}
	return true;
}

static void start_curses(bool color)
{
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (color && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_RED, -1);
	}
}

/* A pass stuck past the stop's grace (stopper.h): the terminal is put
 * back before the process exits without it. */
static void abandon(void *arg, int sig)
{
	const bool *curses = arg;
	(void)sig;
	if (*curses)
		endwin();
	log_warn("a pass is still running (stuck in the kernel: a hung FUSE or network file "
		 "system?); stopping without it");
}

/* Seconds a stop may take before a stuck pass is left behind. */
#define TOP_STOP_GRACE 3.0

int top_run(const struct config *cfg, struct sockiter *it)
{
	struct sampler s;
	struct strbuf frame = STRBUF_INIT;
	int rc = 0;
	static bool curses;

	struct stopper *stop;
	struct stopper_options so = {TOP_STOP_GRACE, 0, abandon, &curses};
	if (stopper_start(&stop, &so) < 0) {
		log_error("cannot start the signal thread");
		return 1;
	}
	int err = sampler_init(&s, cfg, now_realtime(), it);
	if (err) {
		log_error("cannot open a sock_diag socket: %s", strerror(-err));
		stopper_free(stop);
		return 1;
	}
	curses = cfg->watch && isatty(STDOUT_FILENO);
	bool color = use_color();
	struct top_view v = {TOP_WIDTH, 40, true, !cfg->watch, &cfg->leak};
	if (curses)
		start_curses(color);

	for (bool more = true; more;) {
		struct snapshot *snap;
		err = sampler_pass(&s, &snap);
		snapshot_unref(snap);
		struct page_input in = sampler_view(&s);
		sb_reset(&frame);
		if (err) {
			log_error("pass failed: %s", strerror(-err));
			sb_printf(&frame, "socklife top: pass failed: %s\n", strerror(-err));
			rc = 1;
		} else if (cfg->pid) {
			v.width = curses ? (unsigned)COLS : 200;
			top_render_focus(&frame, &in, &s.focus, &v);
			rc = 0;
		} else if (curses) {
			v.width = (unsigned)COLS;
			fit(&frame, &in, v, (unsigned)LINES);
			rc = 0;
		} else {
			top_render(&frame, &in, &v);
			rc = 0;
		}
		if (curses)
			show_curses(&frame, color);
		else
			show_plain(&frame, color);
		if (!cfg->watch || stopper_requested(stop))
			break;
		if (curses) {
			more = wait_curses(cfg->watch, stop, &in, &v, &frame, color);
		} else {
			fputc('\n', stdout);
			more = !stopper_wait(stop, cfg->watch); /* a signal: a clean stop */
		}
	}
	if (curses)
		endwin();
	sb_free(&frame);
	sampler_free(&s);
	stopper_free(stop);
	return rc;
}
