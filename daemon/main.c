/* main.c - argv -> config -> first pass -> sampler thread + HTTP -> signals.
 *
 * Signals are blocked in every thread and taken synchronously by the
 * stopper's thread (stopper.h), so no handler ever runs in the middle of
 * a pass, and a pass stuck in the kernel cannot keep the process from
 * stopping: STOP_GRACE seconds after SIGTERM it exits without it. */
#include <socklife/auth.h>
#include <socklife/config.h>
#include <socklife/fdlimit.h>
#include <socklife/http.h>
#include <socklife/listen.h>
#include <socklife/log.h>
#include <socklife/sample.h>
#include <socklife/selfstat.h>
#include <socklife/stopper.h>
#include <socklife/top.h>
#include <socklife/webconfig.h>

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Seconds a stop may take before a pass still running is abandoned: a
 * steady pass takes well under a second (README, Performance), a first one
 * on a big host two or three; nothing a pass does needs finishing when
 * the daemon stops, and systemd (90 s) and Kubernetes (30 s) wait longer. */
#define STOP_GRACE 3.0

struct runner {
	struct sampler sampler;
	struct http_server *http;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	/* The failure being logged: a pass that fails the same way again is
	 * counted (socklife_scan_errors_total), not logged again. */
	unsigned failing;         /* passes failed in a row */
	enum scan_stage failed_stage;
	int failed_errno;
};

static void log_pass(struct runner *r, int err)
{
	const struct scan_stats *st = &r->sampler.stats;
	if (!err) {
		if (r->failing)
			log_info("pass succeeded again after %u failed", r->failing);
		r->failing = 0;
		log_debug("pass: %u processes, %.3f s", st->procs, st->duration[PHASE_TOTAL]);
		return;
	}
	bool same = r->failing && st->failed_stage == r->failed_stage &&
		    st->failed_errno == r->failed_errno;
	r->failing++;
	r->failed_stage = st->failed_stage;
	r->failed_errno = st->failed_errno;
	if (same)
		return;
	if (err == -EMFILE || err == -ENFILE)
		log_error("pass failed at stage %s: %s (the fd limit is %.0f): serving the last good "
			  "counts; logged once until it changes, counted in "
			  "socklife_scan_errors_total", scan_stage_names[st->failed_stage],
			  strerror(-err), (double)sysconf(_SC_OPEN_MAX));
	else
		log_warn("pass failed at stage %s: %s: serving the last good counts; logged once "
			 "until it changes, counted in socklife_scan_errors_total",
			 scan_stage_names[st->failed_stage], strerror(-err));
}

/* As many fds as allowed: a pass out of fds fails (fdlimit.h).  Said at
 * start-up by the daemon; one-shot runs say it only when debugging. */
static struct fdlimit raise_fd_limit(bool daemon)
{
	struct fdlimit f = {0};
	int err = fdlimit_raise(&f);
	void (*say)(const char *, ...) = daemon ? log_info : log_debug;
	if (err)
		log_warn("cannot read the fd limit: %s", strerror(-err));
	else if (f.was != f.soft)
		say("fd limit raised from %.0f to the hard limit, %.0f", (double)f.was, (double)f.soft);
	else
		say("fd limit %.0f (the hard limit is %.0f)", (double)f.soft, (double)f.hard);
	return f;
}

/* Connections may never take the fds a pass needs (fdlimit.h). */
static unsigned connections_allowed(const struct config *cfg, const struct fdlimit *f)
{
	struct selfstat self;
	selfstat_read(&self, 0);
	uint64_t open = self.known[SELF_FDS] ? self.open_fds : 64;
	unsigned n = fdlimit_connections(f->soft, open, cfg->web_max_connections);
	if (n < cfg->web_max_connections)
		log_warn("--web.max-connections %u lowered to %u: with %.0f fds open and a limit "
			 "of %.0f, %d must stay free for a pass (raise the hard fd limit: "
			 "LimitNOFILE=, ulimit -Hn)", cfg->web_max_connections, n, (double)open,
			 (double)f->soft, FDLIMIT_PASS_RESERVE);
	return n;
}

/* The sampler thread: a pass every interval, measured start to start. */
static void *sampler_main(void *arg)
{
	struct runner *r = arg;
	double interval = r->sampler.cfg->interval;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		struct timespec next = monotonic_deadline(interval);
		while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &next) != ETIMEDOUT)
			;
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->lock);

		struct snapshot *snap;
		http_pass_begin(r->http);
		int err = sampler_pass(&r->sampler, &snap);
		log_pass(r, err);
		/* What the pass freed (tables shrink after a peak, vec.h), and
		 * what connection floods left free in the heap, goes back to the
		 * system now: 0.2 ms measured beside a 190,000-socket pass. */
		malloc_trim(0);
		if (snap)
			http_publish(r->http, snap);

		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

struct web_setup {
	struct web_config config;
	char *cert_pem, *key_pem;
	struct auth *auth;
};

static char *read_pem(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		fatal("cannot read %s: %s", path, strerror(errno));
	char *buf = malloc(1 << 20);
	if (!buf)
		fatal("out of memory reading %s", path);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	if (n == 0 || n == (1 << 20) - 1)
		fatal("cannot read %s: empty or larger than 1 MiB", path);
	buf[n] = '\0';
	return buf;
}

/* Everything --web.config.file asks for, or a fatal error at start-up. */
static void load_web_config(const char *path, struct web_setup *w)
{
	char why[256];
	if (webconfig_load(path, &w->config, why, sizeof(why)) < 0)
		fatal("--web.config.file %s: %s", path, why);
	if (w->config.cert_file) {
		w->cert_pem = read_pem(w->config.cert_file);
		w->key_pem = read_pem(w->config.key_file);
	}
	if (w->config.nusers && auth_new(&w->auth, w->config.users, w->config.nusers) < 0)
		fatal("--web.config.file %s: this system's crypt cannot check bcrypt", path);
	log_info("web config %s: %s, %zu basic auth users", path,
		 w->cert_pem ? (w->config.tls13_only ? "TLS 1.3" : "TLS 1.2+") : "no TLS",
		 w->config.nusers);
}

static void free_web_config(struct web_setup *w)
{
	if (w->key_pem)
		memset(w->key_pem, 0, strlen(w->key_pem));
	free(w->cert_pem);
	free(w->key_pem);
	auth_free(w->auth);
	webconfig_free(&w->config);
}

/* Load the BPF iterator where --socket-source asks for it (loading needs
 * privileges about to go).  NULL: read over netlink. */
static struct sockiter *open_socket_source(const struct config *cfg)
{
	struct sockiter *it = NULL;
	if (cfg->socket_source == SOURCE_NETLINK)
		return NULL;
	int err = sockiter_open(&it);
	if (err && cfg->socket_source == SOURCE_BPF)
		fatal("--socket-source bpf: cannot load the BPF iterator: %s", sockiter_strerror(err));
	if (err) {
		log_info("socket source: netlink (the BPF iterator did not load: %s)",
			 sockiter_strerror(err));
		return NULL;
	}
	bool measured;
	uint32_t hz = sockiter_hz(it, &measured);
	log_info("socket source: bpf, one walk of every fd table (kernel tick %u Hz%s)", hz,
		 measured ? ", measured" : "");
	return it;
}

/* Keep only the capabilities socklife needs, become --user, and say what
 * that leaves socklife unable to see. */
static void restrict_privileges(const struct config *cfg, bool bpf)
{
	static const char *const without[SL_CAP_COUNT] = {
		[SL_CAP_DAC_READ_SEARCH] = "other users' sockets are not attributed to processes",
		[SL_CAP_SYS_PTRACE] = "other users' sockets are not attributed to processes",
		[SL_CAP_SYS_ADMIN] = "other network namespaces are read from /proc/PID/net",
		[SL_CAP_BPF] = "the BPF walk may fail each pass (then netlink reads it)",
	};
	char why[256], held[128] = "";
	struct caps_state caps;

	if (caps_restrict(cfg->user, bpf, why, sizeof(why)) < 0) {
		if (cfg->user)
			fatal("cannot become %s: %s", cfg->user, why);
		log_warn("cannot drop capabilities it does not need: %s", why);
	}
	caps_read(&caps, bpf);
	for (int c = 0; c < SL_CAP_COUNT; c++) {
		if (!caps.needed[c])
			continue;
		if (caps.held[c]) {
			strcat(held, " ");
			strcat(held, caps_name(c));
		} else if (!cfg->once) {
			log_warn("no %s: %s", caps_name(c), without[c]);
		}
	}
	log_info("running as uid %u with capabilities:%s", (unsigned)geteuid(),
		 held[0] ? held : " none");
}

/* The stop took longer than STOP_GRACE: a pass is stuck (in the kernel,
 * on a hung file system, say). */
static void abandon(void *arg, int sig)
{
	(void)arg;
	log_warn("received %s, but a pass is still running after %g s (stuck in the kernel: a "
		 "hung FUSE or network file system?); exiting without it",
		 sig == SIGTERM ? "SIGTERM" : "SIGINT", STOP_GRACE);
}

static int run_once(struct sampler *s)
{
	struct snapshot *snap;
	int err = sampler_pass(s, &snap);
	if (err)
		log_error("pass failed: %s", strerror(-err));
	if (snap) {
		fwrite(snap->metrics, 1, snap->metrics_len, stdout);
		snapshot_unref(snap);
	}
	return err || fflush(stdout) != 0 ? 1 : 0;
}

/* The HTTP server over listening socket `fd`, with the limits, TLS and
 * auth the command line and web config ask for; fatal when it cannot. */
static void start_http(struct runner *r, const struct config *cfg, int fd,
		       const struct web_setup *web, const struct fdlimit *fds)
{
	unsigned max_connections = connections_allowed(cfg, fds);
	struct http_options hopt = {
		.listen_fd = fd,
		.max_connections = max_connections,
		.max_connections_per_ip = cfg->web_max_connections_per_ip,
		.timeout_seconds = (unsigned)ceil(cfg->web_timeout),
		.stale_after = config_stale_after(cfg),
		.tls_cert_pem = web->cert_pem,
		.tls_key_pem = web->key_pem,
		.tls13_only = web->config.tls13_only,
		.auth = web->auth,
		/* 0 (a quarter) when the cap left no room for the one asked for */
		.reserved_connections = cfg->web_reserved_connections < max_connections
						? cfg->web_reserved_connections : 0,
		.known_seconds = cfg->web_known_for,
		.header_timeout = cfg->web_header_timeout,
		.request_timeout = cfg->web_request_timeout,
		.ipv4_prefix = cfg->web_ipv4_prefix,
		.ipv6_prefix = cfg->web_ipv6_prefix,
		.auth_failure_delay = cfg->web_auth_failure_delay,
	};
	int err = http_start(&r->http, &hopt);
	if (err == -ENOTSUP)
		fatal("TLS is configured but this libmicrohttpd was built without it");
	if (err)
		fatal("cannot start the HTTP server on %s", cfg->listen_address);
	r->sampler.http = r->http;
	r->sampler.http_stats = http_stats;
}

/* Serve the first pass's snapshot, its own families read again now that
 * the server runs (its families are in the first scrape). */
static void publish_first(struct runner *r, struct snapshot *snap)
{
	struct snapshot *again;
	if (!snap)
		return;
	if (sampler_republish(&r->sampler, &again) == 0) {
		snapshot_unref(snap);
		snap = again;
	}
	http_publish(r->http, snap);
}

/* The sampler thread, until stop_sampler. */
static pthread_t start_sampler(struct runner *r)
{
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->wake, &ca);
	pthread_t thread;
	if (pthread_create(&thread, NULL, sampler_main, r) != 0)
		fatal("cannot start the sampler thread");
	return thread;
}

static void stop_sampler(struct runner *r, pthread_t thread)
{
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(thread, NULL); /* a pass stuck past STOP_GRACE: the stopper ends it */
}

/* Bind first (a port below 1024 needs a capability about to go). */
static int bind_listener(const struct config *cfg)
{
	int fd = listen_open(cfg->listen_address);
	if (fd == -EADDRINUSE)
		fatal("cannot listen on %s: address already in use (is socklife already "
		      "running?)", cfg->listen_address);
	if (fd < 0)
		fatal("cannot listen on %s: %s", cfg->listen_address, strerror(-fd));
	return fd;
}

static int run_top(const struct config *cfg)
{
	struct sockiter *it = open_socket_source(cfg);
	restrict_privileges(cfg, it != NULL);
	int rc = top_run(cfg, it);
	sockiter_close(it);
	return rc;
}

/* The daemon, or --once: privileges dropped once the port is bound, the
 * web config read and the iterator loaded; a first pass; then serving
 * until a stop signal. */
static int run_daemon(const struct config *cfg, const struct fdlimit *fds)
{
	static struct runner r;

	/* Take the stop signals before any other thread exists, so all inherit
	 * them blocked.  --once abandoned has printed nothing: status 1. */
	struct stopper *stop;
	struct stopper_options so = {STOP_GRACE, cfg->once ? 1 : 0, abandon, NULL};
	if (stopper_start(&stop, &so) < 0)
		fatal("cannot start the signal thread");
	signal(SIGPIPE, SIG_IGN);

	int fd = cfg->once ? -1 : bind_listener(cfg);
	/* Read the TLS key while still allowed to (it is often root-only). */
	struct web_setup web = {0};
	if (!cfg->once && cfg->web_config_file)
		load_web_config(cfg->web_config_file, &web);
	struct sockiter *it = open_socket_source(cfg);
	restrict_privileges(cfg, it != NULL);

	int err = sampler_init(&r.sampler, cfg, now_realtime(), it);
	if (err)
		fatal("cannot open a sock_diag socket: %s", strerror(-err));
	int rc = 0;
	if (cfg->once) {
		rc = run_once(&r.sampler);
		goto out;
	}

	/* First pass before serving: connections wait in the backlog meanwhile,
	 * so the first scrape already has data. */
	struct snapshot *snap;
	err = sampler_pass(&r.sampler, &snap);
	log_pass(&r, err);
	if (stopper_requested(stop)) { /* told to stop while it ran: never serve */
		log_info("received a stop signal during the first pass, stopping");
		snapshot_unref(snap);
		close(fd);
		goto out;
	}
	start_http(&r, cfg, fd, &web, fds);
	publish_first(&r, snap);
	log_info("listening on %s, a pass every %g s (first took %.3f s, %u processes)",
		 cfg->listen_address, cfg->interval, r.sampler.stats.duration[PHASE_TOTAL],
		 r.sampler.stats.procs);

	pthread_t thread = start_sampler(&r);
	int sig = stopper_wait(stop, -1);
	log_info("received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	stop_sampler(&r, thread);
	http_stop(r.http);
out:
	sampler_free(&r.sampler);
	sockiter_close(it);
	free_web_config(&web);
	stopper_free(stop);
	return rc;
}

int main(int argc, char **argv)
{
	struct config cfg;

	switch (config_parse(&cfg, argc, argv, stdout, stderr)) {
	case CONFIG_RUN:
		break;
	case CONFIG_EXIT:
		return 0;
	default:
		return 2;
	}
	log_set_level((enum log_level)cfg.log_level);
	struct fdlimit fds = raise_fd_limit(cfg.command == CMD_DAEMON && !cfg.once);
	/* Big per-pass tables should go back to the system when freed, and the
	 * HTTP thread's connection churn should not fragment arenas of its own:
	 * a fixed mmap threshold (glibc would otherwise raise it up to 32 MiB)
	 * and at most two arenas keep RSS flat. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	mallopt(M_ARENA_MAX, 2);
	return cfg.command == CMD_TOP ? run_top(&cfg) : run_daemon(&cfg, &fds);
}
