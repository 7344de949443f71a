/* sample.h - one sampling pass, and the state kept between passes.
 *
 *   procscan(/proc) -> owners index -> group processes
 *     -> sock_diag dumps -> socket ages (sockhist) -> tally per socket
 *     -> unhashed socket fds -> leak rules -> render -> snapshot
 *
 * A pass that fails is counted (socklife_scan_errors_total) and the socket
 * part of the exposition keeps the last good pass's values, so a scrape
 * never sees a half-counted host. */
#ifndef SOCKLIFE_SAMPLE_H
#define SOCKLIFE_SAMPLE_H

#include <socklife/caps.h>
#include <socklife/config.h>
#include <socklife/cookieset.h>
#include <socklife/leak.h>
#include <socklife/netns.h>
#include <socklife/owners.h>
#include <socklife/procscan.h>
#include <socklife/scanstats.h>
#include <socklife/snapshot.h>
#include <socklife/sockdiag.h>
#include <socklife/sockhist.h>
#include <socklife/sockproto.h>
#include <socklife/strbuf.h>
#include <socklife/tally.h>
#include <socklife/twports.h>

#include <stdbool.h>

struct sampler {
	const struct config *cfg;
	double start_time;          /* epoch seconds the daemon started */
	struct caps_state caps;     /* the capabilities held, read at start-up */
	struct sockdiag *diag;      /* bound to our own network namespace */
	struct netns_id self_ns;
	int self_ns_fd;             /* to come back after entering another one */
	struct netns_names names;
	struct netns_set namespaces; /* this pass's */
	bool no_setns;              /* setns was refused: read /proc/PID/net instead */
	bool told_denied;           /* the partial attribution has been logged */
	struct procscan ps;
	struct owners owners;
	struct cookieset cookies;
	/* Sockets whose owner is not known when the dump reports them wait in
	 * `pending` for procscan_resolve; those nobody held after a search are
	 * remembered for a pass so they are not searched for again each pass
	 * (the rotation still finds them if they gain an owner). */
	struct pending_socket {
		struct sl_socket sk;
		uint32_t ns;
	} *pending;
	size_t npending, pending_cap;
	struct cookieset missing;
	struct cookieset unresolvable[2];
	struct cookieset needs_age;  /* CLOSE_WAIT/FIN_WAIT2 first seen this pass */
	struct tally tally;
	struct sockhist sockhist;
	struct sockproto_cache protos;
	struct twports twports;
	struct leak_tracker leak;
	struct kernel_figures {
		uint64_t tcp_orphans, tcp_max_orphans; /* kernel-wide */
		bool orphans_known, max_orphans_known;
	} kernel;
	struct scan_stats stats;
	bool tcp_one_walk;          /* the kernel accepts one TCP request for both families */
	double now;                 /* monotonic time of the current pass */
	struct strbuf data;         /* socket families of the last good pass */
	struct strbuf page;         /* landing page of the last good pass */
	struct strbuf out;          /* scratch: the whole exposition */
};

/* Open what a pass needs.  Returns 0 or -errno (start-up failure). */
int sampler_init(struct sampler *s, const struct config *cfg, double start_time);

/* Run one pass and build the snapshot that serves its result.  Returns 0 if
 * the pass succeeded, or the -errno it failed with; `*out` is set in both
 * cases unless the snapshot itself could not be built (then NULL). */
int sampler_pass(struct sampler *s, struct snapshot **out);

void sampler_free(struct sampler *s);

/* Seconds on the monotonic and the real-time clock. */
double now_monotonic(void);
double now_realtime(void);

#endif
