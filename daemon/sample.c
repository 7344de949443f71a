/* sample.c - one sampling pass from /proc and sock_diag to a snapshot. */
#include <socklife/sample.h>

#include <socklife/page.h>
#include <socklife/render.h>
#include <socklife/selfstat.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

double now_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sampler_init(struct sampler *s, const struct config *cfg, double start_time)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->start_time = start_time;
	s->ps.root = cfg->proc_root;
	s->tcp_one_walk = true;
	/* Our own namespace is the one the diag socket is opened in; it is read
	 * from the real procfs even when --proc-root points at a fake tree. */
	int err = netns_id_of("/proc/thread-self/ns/net", &s->self_ns);
	if (err)
		return err;
	return sockdiag_open(&s->diag);
}

void sampler_free(struct sampler *s)
{
	sockdiag_close(s->diag);
	netns_names_free(&s->names);
	procscan_free(&s->ps);
	owners_free(&s->owners);
	cookieset_free(&s->cookies);
	tally_free(&s->tally);
	sb_free(&s->data);
	sb_free(&s->page);
	sb_free(&s->out);
	memset(s, 0, sizeof(*s));
}

struct dump_ctx {
	struct tally *tally;
	size_t ns;
};

static void on_socket(const struct sl_socket *sk, void *ctx)
{
	struct dump_ctx *c = ctx;
	tally_socket(c->tally, c->ns, sk);
}

/* Dump every TCP socket of our namespace: one walk of the kernel's hash for
 * both families where the kernel allows it, else one walk per family. */
static int dump_tcp(struct sampler *s, size_t ns)
{
	struct dump_ctx ctx = {&s->tally, ns};
	struct sockdiag_parser p = {.proto = PROTO_TCP, .seen = &s->cookies, .cb = on_socket, .ctx = &ctx};
	struct sockdiag_request req = {.proto = PROTO_TCP, .states = SOCKDIAG_ALL_STATES};
	int err;

	if (s->tcp_one_walk) {
		req.family = AF_UNSPEC;
		err = sockdiag_dump(s->diag, &req, &p);
		if (err == 0 || p.stats.sockets > 0 || p.stats.duplicates > 0)
			goto out;
		if (err != -EINVAL && err != -ENOENT && err != -EOPNOTSUPP)
			goto out;
		s->tcp_one_walk = false; /* this kernel lacks the older request */
	}
	static const uint8_t families[] = {AF_INET, AF_INET6};
	for (size_t i = 0; i < sizeof(families); i++) {
		req.family = families[i];
		err = sockdiag_dump(s->diag, &req, &p);
		if (err)
			break;
	}
out:
	s->stats.skipped_duplicates += p.stats.duplicates;
	s->stats.skipped_unknown_state += p.stats.unknown_states;
	return err;
}

/* Walk /proc, index owners and group processes. */
static int scan_processes(struct sampler *s)
{
	int err = procscan_run(&s->ps);
	s->stats.vanished_procs += s->ps.stats.vanished_procs;
	s->stats.vanished_fds += s->ps.stats.vanished_fds;
	if (err)
		return err;
	err = owners_build(&s->owners, s->ps.holders, s->ps.nholders);
	if (err)
		return err;
	return tally_begin(&s->tally, &s->ps, &s->owners, s->cfg->group_by);
}

static int count_sockets(struct sampler *s)
{
	char label[NETNS_LABEL_MAX];

	if (netns_names_refresh(&s->names, s->cfg->proc_root, "/run/netns") < 0)
		s->stats.errors[STAGE_NETNS]++; /* labels fall back to ns-<inode> */
	netns_label(&s->names, &s->self_ns, &s->self_ns, label);
	int ns = tally_add_netns(&s->tally, &s->self_ns, label);
	if (ns < 0)
		return ns;
	cookieset_clear(&s->cookies);
	int err = dump_tcp(s, (size_t)ns);
	if (err)
		return err;
	s->tally.ns[ns].dumped[PROTO_TCP] = true;
	return 0;
}

int sampler_pass(struct sampler *s, struct snapshot **out)
{
	double t0 = now_monotonic(), taken = now_realtime();
	int err;

	*out = NULL;
	err = scan_processes(s);
	double t1 = now_monotonic();
	if (err) {
		s->stats.errors[STAGE_PROC]++;
		goto publish;
	}
	err = count_sockets(s);
	double t2 = now_monotonic();
	s->stats.duration[PHASE_PROC] = t1 - t0;
	s->stats.duration[PHASE_DUMP] = t2 - t1;
	if (err) {
		s->stats.errors[STAGE_DUMP]++;
		goto publish;
	}

	/* Success: this pass's counts replace the last good ones. */
	s->stats.last_success = taken;
	s->stats.procs = (uint32_t)s->ps.nprocs;
	s->stats.denied_procs = (uint32_t)s->ps.stats.denied_procs;
	sb_reset(&s->data);
	render_sockets(&s->data, &s->tally);
	sb_reset(&s->page);
	page_render(&s->page, &s->tally, &s->stats);

publish:
	s->stats.scans++;
	s->stats.duration[PHASE_TOTAL] = now_monotonic() - t0;

	struct selfstat self;
	selfstat_read(&self, s->start_time);
	sb_reset(&s->out);
	sb_append(&s->out, s->data.buf ? s->data.buf : "", s->data.len);
	render_status(&s->out, &s->stats, &self);
	if (s->page.len == 0)
		page_render(&s->page, NULL, &s->stats);
	int serr = snapshot_new(out, &s->out, &s->page, s->stats.last_success);
	if (serr) {
		s->stats.errors[STAGE_RENDER]++;
		*out = NULL;
		if (!err)
			err = serr;
	}
	return err;
}
