/* leak.c - per-process history and the leak rule table.
 *
 * A healthy process must never be flagged: a connection pool holds a steady
 * number of sockets, a busy server passes through many short CLOSE_WAITs and
 * leaves TIME_WAITs behind, a half-closing protocol sits in CLOSE_WAIT for a
 * moment.  So ages are compared with minutes-long thresholds, and growth
 * only counts when it never once went down over the whole window. */
#include <socklife/leak.h>

#include <socklife/array.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- history ------------------------------------------------------------
 *
 * Each process keeps HIST_SLOTS slots spanning a little more than the growth
 * window; a slot covers window / HIST_PER_WINDOW seconds and remembers its
 * first and last value and whether the value ever fell inside it, so a dip
 * between two slots cannot hide. */

#define HIST_PER_WINDOW 32
#define HIST_SLOTS 40

struct slot {
	double t;       /* when the slot started */
	uint32_t first, last;
	bool fell;      /* the value went down within the slot */
};

struct series {
	struct slot s[HIST_SLOTS];
	uint8_t head, len; /* ring: s[head] is the newest */
};

/* Since when a condition has held without a break. */
struct since {
	bool on;
	double t;
};

struct proc_hist {
	int32_t pid;
	uint64_t start_time;
	uint32_t pass;         /* last pass that saw it; 0 = free */
	struct series close_wait, sockets;
	struct since unhashed, unix_gone; /* how long these have held */
};

/* Histories live in a pool; an index from (pid, start time) to pool entry
 * is rebuilt every pass, which is also when the entries of processes that
 * are gone are released. */
struct leak_history {
	struct proc_hist *pool;
	size_t pool_len, pool_cap;
	uint32_t *free_list; /* pool entries to reuse */
	size_t nfree, free_cap;
	uint32_t *index;     /* open addressing: pool entry + 1, 0 = empty */
	size_t index_cap;
};

static size_t hist_slot(int32_t pid, uint64_t start, size_t cap)
{
	uint64_t k = ((uint64_t)(uint32_t)pid << 32) ^ start;
	return (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static uint32_t *index_slot(struct leak_history *h, int32_t pid, uint64_t start)
{
	size_t i = hist_slot(pid, start, h->index_cap);
	while (h->index[i]) {
		const struct proc_hist *e = &h->pool[h->index[i] - 1];
		if (e->pid == pid && e->start_time == start)
			break;
		i = (i + 1) & (h->index_cap - 1);
	}
	return &h->index[i];
}

/* Release the entries pass `alive` did not see and index the rest, with
 * room for `more` new ones. */
static int hist_prepare(struct leak_history *h, uint32_t alive, size_t more)
{
	size_t cap = 64;
	while (cap < 2 * (h->pool_len + more))
		cap *= 2;
	if (cap > h->index_cap) {
		uint32_t *idx = realloc(h->index, cap * sizeof(*idx));
		if (!idx)
			return -ENOMEM;
		h->index = idx;
		h->index_cap = cap;
	}
	if (h->pool_len > h->free_cap) {
		uint32_t *f = realloc(h->free_list, h->pool_len * sizeof(*f));
		if (!f)
			return -ENOMEM;
		h->free_list = f;
		h->free_cap = h->pool_len;
	}
	memset(h->index, 0, h->index_cap * sizeof(*h->index));
	h->nfree = 0;
	for (uint32_t i = 0; i < h->pool_len; i++) {
		struct proc_hist *e = &h->pool[i];
		if (e->pass && e->pass == alive) {
			*index_slot(h, e->pid, e->start_time) = i + 1;
		} else {
			e->pass = 0;
			h->free_list[h->nfree++] = i;
		}
	}
	return 0;
}

/* The history of a process, created empty the first time it is seen. */
static struct proc_hist *hist_get(struct leak_history *h, int32_t pid, uint64_t start)
{
	uint32_t *slot = index_slot(h, pid, start);
	if (*slot)
		return &h->pool[*slot - 1];
	uint32_t i;
	if (h->nfree) {
		i = h->free_list[--h->nfree];
	} else {
		if (h->pool_len == h->pool_cap) {
			size_t cap = h->pool_cap ? h->pool_cap * 2 : 64;
			struct proc_hist *p = realloc(h->pool, cap * sizeof(*p));
			if (!p)
				return NULL;
			h->pool = p;
			h->pool_cap = cap;
		}
		i = (uint32_t)h->pool_len++;
	}
	struct proc_hist *e = &h->pool[i];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->start_time = start;
	*slot = i + 1;
	return e;
}

static void series_add(struct series *sr, double now, uint32_t v, double slot_len)
{
	struct slot *cur = sr->len ? &sr->s[sr->head] : NULL;
	if (cur && now - cur->t < slot_len) {
		if (v < cur->last)
			cur->fell = true;
		cur->last = v;
		return;
	}
	sr->head = (uint8_t)((sr->head + 1) % HIST_SLOTS);
	if (sr->len < HIST_SLOTS)
		sr->len++;
	sr->s[sr->head] = (struct slot){now, v, v, false};
}

/* The slot k steps back from the newest. */
static const struct slot *back(const struct series *sr, int k)
{
	return &sr->s[(sr->head - k + HIST_SLOTS) % HIST_SLOTS];
}

/* Did the series rise by at least `min_rise` over the last `window`
 * seconds, never falling, and rising in each third of the window?  The last
 * condition tells a leak, which keeps going, from a one-off ramp (a server
 * accepting its clients' pool at start-up), which happens once.  Needs
 * history reaching back a full window.  On success *from is the value a
 * window ago and *span the time covered. */
static bool series_grew(const struct series *sr, double now, double window, uint32_t min_rise,
			uint32_t *from, double *span)
{
	int base = -1;
	for (int k = 0; k < sr->len; k++) { /* newest to oldest */
		if (back(sr, k)->t <= now - window) {
			base = k;
			break;
		}
	}
	if (base < 0)
		return false; /* not watched for a whole window yet */

	const struct slot *b = back(sr, base);
	/* The base slot may have fallen before the window began; measure from
	 * its last value, inside the window. */
	uint32_t mark[4] = {b->last, b->last, b->last, back(sr, 0)->last};
	double third = (now - b->t) / 3;
	const struct slot *prev = NULL;
	for (int k = base; k >= 0; k--) { /* oldest to newest */
		const struct slot *s = back(sr, k);
		if ((s->fell && k != base) || (prev && s->first < prev->last))
			return false;
		for (int m = 1; m <= 2; m++)
			if (s->t <= b->t + m * third)
				mark[m] = s->last;
		prev = s;
	}
	for (int m = 1; m <= 3; m++)
		if (mark[m] <= mark[m - 1])
			return false; /* flat for a third of the window: not a steady leak */
	if (mark[3] < b->last + min_rise)
		return false;
	*from = b->last;
	*span = now - b->t;
	return true;
}

/* --- the rules ---------------------------------------------------------- */

struct rule_ctx {
	const struct leak_params *p;
	const struct proc_info *pi;
	const struct proc_hist *hist;
	struct leak_proc *lp;
	double now;
};

static bool close_wait_stale(struct rule_ctx *c)
{
	return c->lp->h->count[PROTO_TCP][ST_CLOSE_WAIT] > 0 &&
	       c->lp->h->cw_oldest >= c->p->close_wait_age;
}

static bool close_wait_growth(struct rule_ctx *c)
{
	if (!series_grew(&c->hist->close_wait, c->now, c->p->growth_window,
			 c->p->close_wait_growth, &c->lp->cw_from, &c->lp->growth_span))
		return false;
	c->lp->cw_to = c->lp->h->count[PROTO_TCP][ST_CLOSE_WAIT];
	return true;
}

static bool fin_wait2_stale(struct rule_ctx *c)
{
	return c->lp->h->count[PROTO_TCP][ST_FIN_WAIT2] > 0 &&
	       c->lp->h->fw2_oldest >= c->p->fin_wait2_age;
}

static bool unhashed(struct rule_ctx *c)
{
	return c->lp->h->unhashed > 0 && c->lp->unhashed_for >= c->p->unhashed_age;
}

static bool fd_limit(struct rule_ctx *c)
{
	return c->pi->fd_limit > 0 &&
	       (double)c->pi->nfds >= c->p->fd_ratio * (double)c->pi->fd_limit;
}

static bool socket_growth(struct rule_ctx *c)
{
	if (!series_grew(&c->hist->sockets, c->now, c->p->growth_window, c->p->socket_growth,
			 &c->lp->sock_from, &c->lp->growth_span))
		return false;
	c->lp->sock_to = c->pi->nsockets;
	return true;
}

static bool unix_peer_gone(struct rule_ctx *c)
{
	return c->lp->h->unix_peer_gone > 0 && c->lp->unix_gone_for >= c->p->unix_peer_gone_age;
}

static const struct {
	const char *name;
	bool (*check)(struct rule_ctx *c);
} rules[LEAK_REASON_COUNT] = {
	[LEAK_CLOSE_WAIT_STALE] = {"close_wait_stale", close_wait_stale},
	[LEAK_CLOSE_WAIT_GROWTH] = {"close_wait_growth", close_wait_growth},
	[LEAK_FIN_WAIT2_STALE] = {"fin_wait2_stale", fin_wait2_stale},
	[LEAK_UNHASHED] = {"unhashed_socket_fds", unhashed},
	[LEAK_FD_LIMIT] = {"fd_limit", fd_limit},
	[LEAK_SOCKET_GROWTH] = {"socket_growth", socket_growth},
	[LEAK_UNIX_PEER_GONE] = {"unix_peer_gone", unix_peer_gone},
};

const char *leak_reason_name(enum leak_reason r)
{
	return r < LEAK_REASON_COUNT ? rules[r].name : "unknown";
}

/* How long a condition has held without a break. */
static double persisted(struct since *since, bool holds, double now)
{
	if (!holds) {
		since->on = false;
		return 0;
	}
	if (!since->on)
		*since = (struct since){true, now};
	return now - since->t;
}

static int order_display(struct leak_tracker *lt, const struct procscan *ps);

int leak_update(struct leak_tracker *lt, const struct procscan *ps, const struct tally *t,
		double now)
{
	struct leak_history *h = lt->hist;
	uint32_t prev = lt->pass++;

	if (!h && !(h = lt->hist = calloc(1, sizeof(*h))))
		return -ENOMEM;
	/* Forget the processes the last pass did not see. */
	if (hist_prepare(h, prev, ps->nprocs) < 0)
		return -ENOMEM;
	if (ps->nprocs > lt->procs_cap) {
		struct leak_proc *p = realloc(lt->procs, ps->nprocs * sizeof(*p));
		if (!p)
			return -ENOMEM;
		lt->procs = p;
		lt->procs_cap = ps->nprocs;
	}
	lt->nprocs = ps->nprocs;
	double slot_len = lt->params.growth_window / HIST_PER_WINDOW;

	for (uint32_t i = 0; i < ps->nprocs; i++) {
		const struct proc_info *pi = &ps->procs[i];
		/* Keyed by start time too: a reused pid is a new process. */
		struct proc_hist *ph = hist_get(h, pi->pid, pi->start_time);
		if (!ph)
			return -ENOMEM;
		ph->pass = lt->pass;

		struct leak_proc *lp = &lt->procs[i];
		memset(lp, 0, sizeof(*lp));
		lp->proc = i;
		lp->h = &t->procs[i];
		series_add(&ph->close_wait, now, lp->h->count[PROTO_TCP][ST_CLOSE_WAIT], slot_len);
		series_add(&ph->sockets, now, pi->nsockets, slot_len);
		lp->unhashed_for = persisted(&ph->unhashed, lp->h->unhashed > 0, now);
		lp->unix_gone_for = persisted(&ph->unix_gone, lp->h->unix_peer_gone > 0, now);

		if (t->groups[t->proc_group[i]].outside)
			continue; /* outside the report's namespace: history only */
		struct rule_ctx c = {&lt->params, pi, ph, lp, now};
		for (int r = 0; r < LEAK_REASON_COUNT; r++)
			if (rules[r].check(&c))
				lp->reasons |= 1u << r;
	}
	return order_display(lt, ps);
}

void leak_free(struct leak_tracker *lt)
{
	if (lt->hist) {
		free(lt->hist->pool);
		free(lt->hist->free_list);
		free(lt->hist->index);
	}
	free(lt->hist);
	free(lt->procs);
	free(lt->display);
	lt->hist = NULL;
	lt->procs = NULL;
	lt->display = NULL;
	lt->nprocs = lt->procs_cap = lt->ndisplay = lt->display_cap = lt->suspects = 0;
}

/* --- explanations --------------------------------------------------------- */

void leak_format_age(double s, char out[24])
{
	uint64_t v = s > 0 ? (uint64_t)s : 0;
	if (v < 60)
		snprintf(out, 24, "%" PRIu64 "s", v);
	else if (v < 3600)
		snprintf(out, 24, "%" PRIu64 "m", v / 60);
	else if (v < 86400)
		snprintf(out, 24, "%" PRIu64 "h%02" PRIu64 "m", v / 3600, v / 60 % 60);
	else
		snprintf(out, 24, "%" PRIu64 "d%02" PRIu64 "h", v / 86400, v / 3600 % 24);
}

static const char *plural(uint32_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void leak_explain(struct strbuf *out, const struct leak_proc *lp, const struct proc_info *pi,
		  enum leak_reason r)
{
	const struct holdings *h = lp->h;
	uint32_t cw = h->count[PROTO_TCP][ST_CLOSE_WAIT], unread = h->cw_unread, read = cw - unread;
	char age[24], span[24];

	leak_format_age(lp->growth_span, span);
	switch (r) {
	case LEAK_CLOSE_WAIT_STALE:
		leak_format_age(h->cw_oldest, age);
		sb_printf(out, "The peer closed %" PRIu32 " %s (the oldest %s ago) and the process "
			       "never called close()",
			  cw, plural(cw, "connection", "connections"), age);
		if (read && unread)
			sb_printf(out, "; it read the EOF on %" PRIu32 " and never read %" PRIu32
				       " at all: look for a missing close() or `with` block on "
				       "the EOF path, and for connections dropped without being read.",
				  read, unread);
		else if (read)
			sb_printf(out, "; it read the EOF on %s: look for a missing close() or "
				       "`with` block on the EOF path (recv() returned 0).",
				  plural(read, "it", "all of them"));
		else
			sb_puts(out, "; it never even read the EOF: look for connections that are "
				     "set aside or dropped without being read or closed.");
		break;
	case LEAK_CLOSE_WAIT_GROWTH:
		sb_printf(out, "CLOSE_WAIT sockets rose from %" PRIu32 " to %" PRIu32
			       " over %s without ever falling: each connection the peer closes "
			       "stays open here; close the socket when recv() returns 0 and on "
			       "every error path.",
			  lp->cw_from, lp->cw_to, span);
		break;
	case LEAK_FIN_WAIT2_STALE:
		leak_format_age(h->fw2_oldest, age);
		sb_printf(out, "It shut down its sending side of %" PRIu32 " %s (the oldest %s "
			       "ago) and keeps the fds while the peer never closes: call close() "
			       "after shutdown(), or put a read timeout on the half-closed socket.",
			  h->count[PROTO_TCP][ST_FIN_WAIT2],
			  plural(h->count[PROTO_TCP][ST_FIN_WAIT2], "connection", "connections"),
			  age);
		break;
	case LEAK_UNHASHED:
		leak_format_age(lp->unhashed_for, age);
		sb_printf(out, "It has held %" PRIu32 " socket %s for %s that the kernel no "
			       "longer lists (reset by the peer while in CLOSE_WAIT, or never "
			       "connected): the fds leak; find them with ls -l /proc/%" PRId32
			       "/fd and close them on every error path.",
			  h->unhashed, plural(h->unhashed, "fd", "fds"), age, pi->pid);
		break;
	case LEAK_FD_LIMIT:
		sb_printf(out, "It uses %" PRIu32 " of its %" PRIu64 " file descriptors (%.0f%%): "
			       "it will soon fail with EMFILE (\"Too many open files\"); look for "
			       "leaked fds or raise its limit (LimitNOFILE=).",
			  pi->nfds, pi->fd_limit, 100.0 * pi->nfds / (double)pi->fd_limit);
		break;
	case LEAK_SOCKET_GROWTH:
		sb_printf(out, "Its socket fds rose from %" PRIu32 " to %" PRIu32 " over %s "
			       "without ever falling: it opens sockets and never closes them; check "
			       "clients or pools created per request.",
			  lp->sock_from, lp->sock_to, span);
		break;
	case LEAK_UNIX_PEER_GONE:
		leak_format_age(lp->unix_gone_for, age);
		sb_printf(out, "It has held %" PRIu32 " UNIX stream %s for %s whose peer has "
			       "closed (the UNIX twin of CLOSE_WAIT): close the socket when read() "
			       "returns 0.",
			  h->unix_peer_gone, plural(h->unix_peer_gone, "socket", "sockets"), age);
		break;
	default:
		break;
	}
}

static int popcount(uint32_t v) { return __builtin_popcount(v); }

struct order_ctx {
	const struct leak_tracker *lt;
	const struct procscan *ps;
};

static int order_cmp(const void *a, const void *b, void *arg)
{
	const struct order_ctx *c = arg;
	const struct leak_proc *x = &c->lt->procs[*(const uint32_t *)a];
	const struct leak_proc *y = &c->lt->procs[*(const uint32_t *)b];
	int rx = popcount(x->reasons), ry = popcount(y->reasons);
	if (rx != ry)
		return ry - rx;
	uint32_t cx = x->h->count[PROTO_TCP][ST_CLOSE_WAIT], cy = y->h->count[PROTO_TCP][ST_CLOSE_WAIT];
	if (cx != cy)
		return cx < cy ? 1 : -1;
	uint32_t fx = c->ps->procs[x->proc].nfds, fy = c->ps->procs[y->proc].nfds;
	if (fx != fy)
		return fx < fy ? 1 : -1;
	return (x->proc > y->proc) - (x->proc < y->proc);
}

/* Lay out lt->display for the page and top. */
static int order_display(struct leak_tracker *lt, const struct procscan *ps)
{
	struct order_ctx c = {lt, ps};
	if (array_reserve((void **)&lt->display, &lt->display_cap, lt->nprocs + 1,
			  sizeof(*lt->display)))
		return -ENOMEM;
	lt->ndisplay = lt->suspects = 0;
	for (uint32_t i = 0; i < lt->nprocs; i++) {
		const struct leak_proc *lp = &lt->procs[i];
		lt->suspects += lp->reasons != 0;
		if (lp->reasons || lp->h->has[PROTO_TCP] || lp->h->unhashed)
			lt->display[lt->ndisplay++] = i;
	}
	qsort_r(lt->display, lt->ndisplay, sizeof(*lt->display), order_cmp, &c);
	return 0;
}
