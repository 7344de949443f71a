/* main.c - argv -> config -> first pass -> sampler thread + HTTP -> signals.
 *
 * Signals are blocked in every thread and taken synchronously here with
 * sigwait(), so no handler ever runs in the middle of a pass. */
#include <socklife/config.h>
#include <socklife/http.h>
#include <socklife/listen.h>
#include <socklife/log.h>
#include <socklife/sample.h>
#include <socklife/top.h>

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct runner {
	struct sampler sampler;
	struct http_server *http;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
};

static void log_pass(const struct sampler *s, int err)
{
	if (err)
		log_warn("pass failed: %s; serving the last good counts", strerror(-err));
	else
		log_debug("pass: %u processes, %zu socket fds, %.3f s", s->stats.procs,
			  s->ps.nholders, s->stats.duration[PHASE_TOTAL]);
}

static struct timespec deadline_after(double seconds)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double whole = floor(seconds);
	ts.tv_sec += (time_t)whole;
	ts.tv_nsec += (long)((seconds - whole) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* The sampler thread: a pass every interval, measured start to start. */
static void *sampler_main(void *arg)
{
	struct runner *r = arg;
	double interval = r->sampler.cfg->interval;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		struct timespec next = deadline_after(interval);
		while (!r->stop && pthread_cond_timedwait(&r->wake, &r->lock, &next) != ETIMEDOUT)
			;
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->lock);

		struct snapshot *snap;
		int err = sampler_pass(&r->sampler, &snap);
		log_pass(&r->sampler, err);
		if (snap)
			http_publish(r->http, snap);

		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
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

int main(int argc, char **argv)
{
	struct config cfg;
	static struct runner r;
	sigset_t sigs;

	switch (config_parse(&cfg, argc, argv, stdout, stderr)) {
	case CONFIG_RUN:
		break;
	case CONFIG_EXIT:
		return 0;
	default:
		return 2;
	}
	log_set_level((enum log_level)cfg.log_level);
	/* Big per-pass tables should go back to the system when freed, and the
	 * HTTP thread's connection churn should not fragment arenas of its own:
	 * a fixed mmap threshold (glibc would otherwise raise it up to 32 MiB)
	 * and at most two arenas keep RSS flat. */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	mallopt(M_ARENA_MAX, 2);
	if (cfg.command == CMD_TOP)
		return top_run(&cfg);

	/* Block the stop signals before any thread exists, so all inherit it. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	int err = sampler_init(&r.sampler, &cfg, now_realtime());
	if (err)
		fatal("cannot open a sock_diag socket: %s", strerror(-err));
	if (cfg.once) {
		int rc = run_once(&r.sampler);
		sampler_free(&r.sampler);
		return rc;
	}

	int fd = listen_open(cfg.listen_address);
	if (fd == -EADDRINUSE)
		fatal("cannot listen on %s: address already in use (is socklife already running?)",
		      cfg.listen_address);
	if (fd < 0)
		fatal("cannot listen on %s: %s", cfg.listen_address, strerror(-fd));

	/* First pass before serving: connections wait in the backlog meanwhile,
	 * so the first scrape already has data. */
	struct snapshot *snap;
	err = sampler_pass(&r.sampler, &snap);
	log_pass(&r.sampler, err);

	struct http_options hopt = {
		.listen_fd = fd,
		.max_connections = cfg.web_max_connections,
		.max_connections_per_ip = cfg.web_max_connections_per_ip,
		.timeout_seconds = (unsigned)ceil(cfg.web_timeout),
		.stale_after = config_stale_after(&cfg),
	};
	err = http_start(&r.http, &hopt);
	if (err)
		fatal("cannot start the HTTP server on %s", cfg.listen_address);
	if (snap)
		http_publish(r.http, snap);
	log_info("listening on %s, a pass every %g s (first took %.3f s, %u processes)",
		 cfg.listen_address, cfg.interval, r.sampler.stats.duration[PHASE_TOTAL],
		 r.sampler.stats.procs);

	pthread_mutex_init(&r.lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r.wake, &ca);
	pthread_t thread;
	if (pthread_create(&thread, NULL, sampler_main, &r) != 0)
		fatal("cannot start the sampler thread");

	int sig = 0;
	while (sigwait(&sigs, &sig) != 0)
		;
	log_info("received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");

	pthread_mutex_lock(&r.lock);
	r.stop = true;
	pthread_cond_signal(&r.wake);
	pthread_mutex_unlock(&r.lock);
	pthread_join(thread, NULL);
	http_stop(r.http);
	sampler_free(&r.sampler);
	return 0;
}
