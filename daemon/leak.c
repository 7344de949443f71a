/* leak.c - per-process history and the leak rule table.
 *
 * A healthy process must never be flagged: a connection pool holds a steady
 * number of sockets, a busy server passes through many short CLOSE_WAITs and
 * leaves TIME_WAITs behind, a half-closing protocol sits in CLOSE_WAIT for a
 * moment.  So ages are compared with minutes-long thresholds, and growth
 * only counts when it never once went down over the whole window. */
#include <socklife/leak.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- history ------------------------------------------------------------
 *
 * Each process keeps HIST_SLOTS slots spanning a little more than the growth
 * window; a slot covers window / HIST_PER_WINDOW seconds and remembers the
 * lowest value seen in it and the last.  The lowest values are what a
 * leak raises: what leaked stays, while healthy connections come and go
 * above it, so a count may dip and still be a leak. */

#define HIST_PER_WINDOW 32
#define HIST_SLOTS 40

struct slot {
	double t;       /* when the slot started */
	uint32_t low, last;
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
	uint32_t reasons;      /* what the rules concluded that pass */
	struct series close_wait, sockets;
	struct since unhashed, unix_gone; /* how long these have held */
};

/* Histories live in a pool; an index from (pid, start time) to pool entry
 * finds them.  Each pass releases the entries of processes that are gone,
 * for the next new ones to reuse. */
struct hist_key {
	int32_t pid;
	uint32_t zero; /* padding, kept zero: keys compare as bytes */
	uint64_t start_time;
};

struct hist_slot {
	struct hist_key key;
	uint32_t entry;
};

struct leak_history {
	struct hist_pool VEC(struct proc_hist) pool;
	struct free_list VEC(uint32_t) free;
	struct hashmap index; /* hist_key -> pool entry */
};

static struct hist_key hist_key(int32_t pid, uint64_t start)
{
	return (struct hist_key){pid, 0, start};
}

/* Release the entries pass `alive` did not see. */
static int hist_prepare(struct leak_history *h, uint32_t alive)
{
	if (vec_reserve(&h->free, h->pool.n + 1))
		return -ENOMEM;
	vec_clear(&h->free);
	for (uint32_t i = 0; i < h->pool.n; i++) {
		struct proc_hist *e = &h->pool.v[i];
		if (e->pass && e->pass == alive)
			continue;
		if (e->pass) {
			struct hist_key k = hist_key(e->pid, e->start_time);
			hashmap_del(&h->index, &k);
		}
		e->pass = 0;
		h->free.v[h->free.n++] = i;
	}
	return 0;
}

/* The history of a process, created empty the first time it is seen. */
static struct proc_hist *hist_get(struct leak_history *h, int32_t pid, uint64_t start)
{
	struct hist_key k = hist_key(pid, start);
	bool added;
	struct hist_slot *s = hashmap_put(&h->index, &k, &added);
	if (!s)
		return NULL;
	if (!added)
		return &h->pool.v[s->entry];
	if (h->free.n) {
		s->entry = h->free.v[--h->free.n];
	} else if (vec_push(&h->pool)) {
		s->entry = (uint32_t)(h->pool.n - 1);
	} else {
		hashmap_del(&h->index, &k);
		return NULL;
	}
	struct proc_hist *e = &h->pool.v[s->entry];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->start_time = start;
	return e;
}

static void series_add(struct series *sr, double now, uint32_t v, double slot_len)
{
	struct slot *cur = sr->len ? &sr->s[sr->head] : NULL;
	if (cur && now - cur->t < slot_len) {
		if (v < cur->low)
			cur->low = v;
		cur->last = v;
		return;
	}
	sr->head = (uint8_t)((sr->head + 1) % HIST_SLOTS);
	if (sr->len < HIST_SLOTS)
		sr->len++;
	sr->s[sr->head] = (struct slot){now, v, v};
}

/* The slot k steps back from the newest. */
static const struct slot *back(const struct series *sr, int k)
{
	return &sr->s[(sr->head - k + HIST_SLOTS) % HIST_SLOTS];
}

/* Did the series grow over the last `window` seconds?  Its floor (the
 * lowest value) in each third of the window must rise from one third to
 * the next, by at least `min_rise` in all.  Dips above the floor, such as
 * healthy connections closing amid a leak, do not matter; a pool that
 * warmed up in the first two thirds and then stayed flat has the same
 * floor in the last two and is not growth.  A longer warm-up looks like
 * a leak until it has been flat for two thirds of the window: no rule can
 * tell a ramp that just stopped from a leak that slowed down.
 * Needs history reaching back a whole window.  On success *from is the
 * floor of the first third and *span the time covered. */
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

	double start = back(sr, base)->t, third = (now - start) / 3;
	uint32_t floor[3] = {UINT32_MAX, UINT32_MAX, UINT32_MAX};
	for (int k = base; k >= 0; k--) {
		const struct slot *s = back(sr, k);
		int part = s->t < start + third ? 0 : s->t < start + 2 * third ? 1 : 2;
		if (s->low < floor[part])
			floor[part] = s->low;
	}
	if (floor[1] == UINT32_MAX || floor[2] == UINT32_MAX)
		return false; /* a third without a sample: too sparse to tell */
	if (!(floor[0] < floor[1] && floor[1] < floor[2]) || floor[2] - floor[0] < min_rise)
		return false;
	*from = floor[0];
	*span = now - start;
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

/* More stale CLOSE_WAIT than an idle pool keeps.  A pool (urllib3,
 * Go's http.Transport, HikariCP) keeps a few idle connections per host and
 * learns that the server closed one only when it next uses it; until then
 * the socket sits in CLOSE_WAIT, silent.  That number stays small and
 * constant; a leak keeps adding. */
static bool close_wait_stale(struct rule_ctx *c)
{
	return c->lp->h->cw_stale > c->p->close_wait_idle;
}

static bool close_wait_growth(struct rule_ctx *c)
{
	if (!series_grew(&c->hist->close_wait, c->now, c->p->growth_window,
			 c->p->close_wait_growth, &c->lp->cw_from, &c->lp->growth_span))
		return false;
	c->lp->cw_to = c->lp->h->count[PROTO_TCP][ST_CLOSE_WAIT];
	return true;
}

static bool fin_wait2_stale(struct rule_ctx *c) { return c->lp->h->fw2_stale > 0; }

static bool unhashed(struct rule_ctx *c)
{
	return c->lp->h->unhashed > 0 && c->lp->unhashed_for >= c->p->unhashed_age;
}

static bool fd_limit(struct rule_ctx *c)
{
	return c->pi->fd_limit > 0 &&
	       (double)c->pi->nfds >= c->p->fd_ratio * (double)c->pi->fd_limit;
}

/* The socket fds a process opened itself: a server's accepted connections
 * rise with its clients, which is their doing, not its. */
static uint32_t own_sockets(const struct proc_info *pi, const struct holdings *h)
{
	uint32_t in = tally_inbound(h);
	return pi->nsockets > in ? pi->nsockets - in : 0;
}

static bool socket_growth(struct rule_ctx *c)
{
	if (!series_grew(&c->hist->sockets, c->now, c->p->growth_window, c->p->socket_growth,
			 &c->lp->sock_from, &c->lp->growth_span))
		return false;
	c->lp->sock_to = own_sockets(c->pi, c->lp->h);
	return true;
}

static bool unix_peer_gone(struct rule_ctx *c)
{
	return c->lp->h->unix_peer_gone > 0 && c->lp->unix_gone_for >= c->p->unix_peer_gone_age;
}

/* --- the fix, in the terms of the process's runtime ------------------------
 *
 * Per rule (and side, where the fix differs between the end that connected
 * and the end that accepted), what to write in the languages socklife can
 * recognise. */

enum advice_case { ADVICE_CLIENT, ADVICE_SERVER, ADVICE_HALF_CLOSE, ADVICE_POOLS, ADVICE_ERRORS,
		   ADVICE_UNIX, ADVICE_CASES };

static const char *const advice[ADVICE_CASES][RUNTIME_COUNT] = {
	[ADVICE_CLIENT] = {
		[RUNTIME_PYTHON] = "Python: close what you open on every path: `with requests.get(...) as r:` "
				   "(or r.close()), `with socket.create_connection(...) as s:`, and "
				   "session.close() for a requests.Session you are done with.",
		[RUNTIME_NODE] = "Node.js: end or destroy() the socket on 'end' and 'error', and consume "
				 "every http response (res.resume()) so its socket is freed.",
		[RUNTIME_GO] = "Go: defer resp.Body.Close() after every request (reading it to EOF), and "
			       "defer conn.Close() after every Dial.",
		[RUNTIME_JAVA] = "Java: open connections and responses in try-with-resources, and close "
				 "the InputStream of every HttpURLConnection.",
		[RUNTIME_RUBY] = "Ruby: give TCPSocket.open and Net::HTTP.start a block, or close in "
				 "`ensure`.",
	},
	[ADVICE_SERVER] = {
		[RUNTIME_PYTHON] = "Python: close the accepted socket when recv() returns b'' (`with conn:`; "
				   "in asyncio, writer.close() and await writer.wait_closed()).",
		[RUNTIME_NODE] = "Node.js: call socket.end() on 'end' (allowHalfOpen: false does it for "
				 "you).",
		[RUNTIME_GO] = "Go: defer conn.Close() at the top of the handler of every accepted "
			       "connection.",
		[RUNTIME_JAVA] = "Java: handle each accepted Socket in try-with-resources.",
		[RUNTIME_RUBY] = "Ruby: close the accepted socket in `ensure`.",
	},
	[ADVICE_HALF_CLOSE] = {
		[RUNTIME_PYTHON] = "Python: after shutdown(SHUT_WR), read to b'' under a timeout "
				   "(settimeout) and then close().",
		[RUNTIME_NODE] = "Node.js: after end(), destroy() the socket on a timer if the peer never "
				 "ends.",
		[RUNTIME_GO] = "Go: after CloseWrite(), SetReadDeadline() and Close().",
		[RUNTIME_JAVA] = "Java: after shutdownOutput(), setSoTimeout() and close().",
	},
	[ADVICE_POOLS] = {
		[RUNTIME_PYTHON] = "Python: create one requests.Session (or urllib3 PoolManager) and reuse "
				   "it; one per request leaves its pool open.",
		[RUNTIME_NODE] = "Node.js: reuse one http.Agent instead of one per request, and destroy() "
				 "those you drop.",
		[RUNTIME_GO] = "Go: reuse one http.Client and Transport for every request; a Transport "
			       "per request keeps its idle connections.",
		[RUNTIME_JAVA] = "Java: share one HttpClient or connection pool, and close() the ones you "
				 "create.",
	},
	[ADVICE_ERRORS] = {
		[RUNTIME_PYTHON] = "Python: close the socket in `finally` when send() raises "
				   "BrokenPipeError or ConnectionResetError.",
		[RUNTIME_NODE] = "Node.js: socket.destroy() on 'error'.",
		[RUNTIME_GO] = "Go: Close() the connection when a Write returns an error.",
		[RUNTIME_JAVA] = "Java: close the socket in `finally` when a write throws IOException.",
	},
	[ADVICE_UNIX] = {
		[RUNTIME_PYTHON] = "Python: close the UNIX socket when recv() returns b''.",
		[RUNTIME_GO] = "Go: Close() the UnixConn when Read returns io.EOF.",
	},
};

/* Append the fix for `c` in lp's runtime's terms, when socklife knows them. */
static void advise(struct strbuf *out, const struct leak_proc *lp, enum advice_case c)
{
	const char *text = lp->runtime < RUNTIME_COUNT ? advice[c][lp->runtime] : NULL;
	if (text)
		sb_printf(out, " %s", text);
}

/* --- what each rule says ---------------------------------------------------
 *
 * One sentence per rule: what the kernel sees, and what to look for in the
 * code. */

static const char *plural(uint32_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void say_close_wait_stale(struct strbuf *out, const struct leak_proc *lp,
				 const struct proc_info *pi)
{
	const struct holdings *h = lp->h;
	uint32_t stale = h->cw_stale, in = h->cw_stale_inbound, unread = h->cw_unread;
	char age[24];
	(void)pi;
	leak_format_age(h->cw_oldest, age);
	sb_printf(out, "%" PRIu32 " %s silent in CLOSE_WAIT (the oldest for %s): ", stale,
		  plural(stale, "connection", "connections"), age);
	if (in == stale)
		sb_puts(out, "its clients closed them and it never called close() on the accepted "
			     "sockets");
	else if (in == 0)
		sb_puts(out, "the servers it connected to closed them and it never called close()");
	else
		sb_printf(out, "%" PRIu32 " accepted from clients and %" PRIu32 " it opened, closed by "
			       "the other end, never by it",
			  in, stale - in);
	if (unread == 0)
		sb_puts(out, "; it read each EOF: look for a missing close() or `with` block on "
			     "the EOF path (recv() returned 0).");
	else if (unread >= h->count[PROTO_TCP][ST_CLOSE_WAIT])
		sb_puts(out, "; it never even read the EOF: look for connections set aside or "
			     "dropped without being read or closed.");
	else
		sb_printf(out, "; %" PRIu32 " with the EOF never read: look for a missing close() "
			       "on the EOF path, and for connections dropped without being read.",
			  unread);
	advise(out, lp, 2 * in > stale ? ADVICE_SERVER : ADVICE_CLIENT);
}

static void say_close_wait_growth(struct strbuf *out, const struct leak_proc *lp,
				  const struct proc_info *pi)
{
	char span[24];
	(void)pi;
	leak_format_age(lp->growth_span, span);
	sb_printf(out, "CLOSE_WAIT sockets rose from %" PRIu32 " to %" PRIu32
		       " over %s without ever falling: each connection the peer closes "
		       "stays open here; close the socket when recv() returns 0 and on "
		       "every error path.",
		  lp->cw_from, lp->cw_to, span);
	advise(out, lp, 2 * lp->h->inbound[ST_CLOSE_WAIT] > lp->cw_to ? ADVICE_SERVER : ADVICE_CLIENT);
}

static void say_fin_wait2_stale(struct strbuf *out, const struct leak_proc *lp,
				const struct proc_info *pi)
{
	uint32_t n = lp->h->count[PROTO_TCP][ST_FIN_WAIT2];
	char age[24];
	(void)pi;
	leak_format_age(lp->h->fw2_oldest, age);
	sb_printf(out, "It shut down its sending side of %" PRIu32 " %s (the oldest %s "
		       "ago) and keeps the fds while the peer never closes: call close() "
		       "after shutdown(), or put a read timeout on the half-closed socket.",
		  n, plural(n, "connection", "connections"), age);
	advise(out, lp, ADVICE_HALF_CLOSE);
}

static void say_unhashed(struct strbuf *out, const struct leak_proc *lp, const struct proc_info *pi)
{
	char age[24];
	leak_format_age(lp->unhashed_for, age);
	sb_printf(out, "It has held %" PRIu32 " socket %s for %s that the kernel no "
		       "longer lists (reset by the peer while in CLOSE_WAIT, or never "
		       "connected): the fds leak; find them with ls -l /proc/%" PRId32
		       "/fd and close them on every error path.",
		  lp->h->unhashed, plural(lp->h->unhashed, "fd", "fds"), age, pi->pid);
	advise(out, lp, ADVICE_ERRORS);
}

static void say_fd_limit(struct strbuf *out, const struct leak_proc *lp, const struct proc_info *pi)
{
	(void)lp;
	sb_printf(out, "It uses %" PRIu32 " of its %" PRIu64 " file descriptors (%.0f%%): "
		       "it will soon fail with EMFILE (\"Too many open files\"); look for "
		       "leaked fds or raise its limit (LimitNOFILE=).",
		  pi->nfds, pi->fd_limit, 100.0 * pi->nfds / (double)pi->fd_limit);
}

static void say_socket_growth(struct strbuf *out, const struct leak_proc *lp,
			      const struct proc_info *pi)
{
	char span[24];
	(void)pi;
	leak_format_age(lp->growth_span, span);
	sb_printf(out, "Its socket fds rose from %" PRIu32 " to %" PRIu32 " over %s "
		       "without ever falling: it opens sockets and never closes them; check "
		       "clients or pools created per request.",
		  lp->sock_from, lp->sock_to, span);
	advise(out, lp, ADVICE_POOLS);
}

static void say_unix_peer_gone(struct strbuf *out, const struct leak_proc *lp,
			       const struct proc_info *pi)
{
	uint32_t n = lp->h->unix_peer_gone;
	char age[24];
	(void)pi;
	leak_format_age(lp->unix_gone_for, age);
	sb_printf(out, "It has held %" PRIu32 " UNIX stream %s for %s whose peer has "
		       "closed (the UNIX twin of CLOSE_WAIT): close the socket when read() "
		       "returns 0.",
		  n, plural(n, "socket", "sockets"), age);
	advise(out, lp, ADVICE_UNIX);
}

/* The rule table: its name in metrics, the check, and the sentence. */
static const struct {
	const char *name;
	bool (*check)(struct rule_ctx *c);
	void (*say)(struct strbuf *out, const struct leak_proc *lp, const struct proc_info *pi);
} rules[LEAK_REASON_COUNT] = {
	[LEAK_CLOSE_WAIT_STALE] = {"close_wait_stale", close_wait_stale, say_close_wait_stale},
	[LEAK_CLOSE_WAIT_GROWTH] = {"close_wait_growth", close_wait_growth, say_close_wait_growth},
	[LEAK_FIN_WAIT2_STALE] = {"fin_wait2_stale", fin_wait2_stale, say_fin_wait2_stale},
	[LEAK_UNHASHED] = {"unhashed_socket_fds", unhashed, say_unhashed},
	[LEAK_FD_LIMIT] = {"fd_limit", fd_limit, say_fd_limit},
	[LEAK_SOCKET_GROWTH] = {"socket_growth", socket_growth, say_socket_growth},
	[LEAK_UNIX_PEER_GONE] = {"unix_peer_gone", unix_peer_gone, say_unix_peer_gone},
};

const char *leak_reason_name(enum leak_reason r)
{
	return r < LEAK_REASON_COUNT ? rules[r].name : "unknown";
}

void leak_explain(struct strbuf *out, const struct leak_proc *lp, const struct proc_info *pi,
		  enum leak_reason r)
{
	if (r < LEAK_REASON_COUNT)
		rules[r].say(out, lp, pi);
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

int leak_update(struct leak_tracker *lt, const struct tally *t, double now)
{
	struct leak_history *h = lt->hist;
	uint32_t prev = lt->pass++;

	if (!h) {
		if (!(h = lt->hist = calloc(1, sizeof(*h))))
			return -ENOMEM;
		h->index = (struct hashmap)HASHMAP_INIT(struct hist_slot);
	}
	/* Forget the processes the last pass did not see. */
	if (hist_prepare(h, prev) < 0 || vec_reserve(&lt->procs, t->nprocs + 1))
		return -ENOMEM;
	lt->procs.n = t->nprocs;
	double slot_len = lt->params.growth_window / HIST_PER_WINDOW;

	for (uint32_t i = 0; i < t->nprocs; i++) {
		const struct proc_info *pi = &t->procs[i];
		/* Keyed by start time too: a reused pid is a new process. */
		struct proc_hist *ph = hist_get(h, pi->pid, pi->start_time);
		if (!ph)
			return -ENOMEM;
		ph->pass = lt->pass;

		struct leak_proc *lp = &lt->procs.v[i];
		memset(lp, 0, sizeof(*lp));
		lp->proc = i;
		lp->h = &t->held.v[i];
		series_add(&ph->close_wait, now, lp->h->count[PROTO_TCP][ST_CLOSE_WAIT], slot_len);
		series_add(&ph->sockets, now, own_sockets(pi, lp->h), slot_len);
		lp->unhashed_for = persisted(&ph->unhashed, lp->h->unhashed > 0, now);
		lp->unix_gone_for = persisted(&ph->unix_gone, lp->h->unix_peer_gone > 0, now);

		if (tally_group_of(t, i)->outside)
			continue; /* outside the report's namespace: history only */
		struct rule_ctx c = {&lt->params, pi, ph, lp, now};
		for (int r = 0; r < LEAK_REASON_COUNT; r++)
			if (rules[r].check(&c))
				lp->reasons |= 1u << r;
		ph->reasons = lp->reasons;
	}
	return 0;
}

bool leak_was_suspected(const struct leak_tracker *lt, int32_t pid, uint64_t start_time)
{
	if (!lt->hist)
		return false;
	struct hist_key k = hist_key(pid, start_time);
	const struct hist_slot *s = hashmap_get(&lt->hist->index, &k);
	return s && lt->hist->pool.v[s->entry].pass == lt->pass && lt->hist->pool.v[s->entry].reasons;
}

void leak_free(struct leak_tracker *lt)
{
	if (lt->hist) {
		vec_free(&lt->hist->pool);
		vec_free(&lt->hist->free);
		hashmap_free(&lt->hist->index);
	}
	free(lt->hist);
	lt->hist = NULL;
	vec_free(&lt->procs);
}

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
