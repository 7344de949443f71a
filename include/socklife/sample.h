/* sample.h - one sampling pass, and what is kept between passes.
 *
 *   attribution: walk /proc, index who holds which socket
 *   for each network namespace: a source reads its sockets
 *       -> ages (sockhist) -> attribution -> tally (per namespace, group)
 *   attribution settles: deferred sockets, unhashed socket fds
 *   leak rules -> diagnosis rows -> exposition, page -> snapshot
 *
 * A pass that fails is counted (socklife_scan_errors_total) and the socket
 * part of the exposition keeps the last good pass's values, so a scrape
 * never sees a half-counted host. */
#ifndef SOCKLIFE_SAMPLE_H
#define SOCKLIFE_SAMPLE_H

#include <socklife/attrib.h>
#include <socklife/caps.h>
#include <socklife/clock.h>
#include <socklife/config.h>
#include <socklife/diag.h>
#include <socklife/focus.h>
#include <socklife/leak.h>
#include <socklife/listeners.h>
#include <socklife/netns.h>
#include <socklife/page.h>
#include <socklife/render.h>
#include <socklife/scanstats.h>
#include <socklife/series.h>
#include <socklife/snapshot.h>
#include <socklife/sockhist.h>
#include <socklife/source.h>
#include <socklife/sockiter.h>
#include <socklife/strbuf.h>
#include <socklife/tally.h>
#include <socklife/twports.h>

#include <stdbool.h>

/* The sources a sampler holds: the readers, and the budgeted wrappers
 * the pass reads through. */
enum sampler_source {
	SRC_NETLINK, SRC_PROCFS,             /* the readers */
	SRC_NETLINK_PACED, SRC_PROCFS_PACED, /* them, within the budget */
	SRC_BPF_DUMPER, SRC_BPF_FALLBACK,    /* them for the bpf source: the kernel's sockets kept */
	SRC_BPF,
	SRC_COUNT,
};

/* What one pass builds and the next throws away (its memory is reused). */
struct pass {
	double now;                  /* monotonic time the pass started */
	struct netns_set namespaces;
	struct tally tally;
	struct watch_list VEC(bool) watch; /* per process: last pass's suspects */
	int focus_err;               /* the focus ran out of memory */
	struct twports twports;      /* TIME_WAIT ports of the namespace being read */
	struct listeners listeners;  /* listening sockets and their accept queues */
	int listeners_err;           /* listeners ran out of memory */
	struct kernel_figures kernel;
	struct diag diag;
	struct strbuf out;           /* the whole exposition */
};

struct sampler {
	const struct config *cfg;
	double start_time;          /* epoch seconds the daemon started */
	struct caps_state caps;     /* the capabilities held, read at start-up */
	/* Kept from pass to pass.  The sources, each but our own namespace's
	 * read within the pass's budget (source_budget.h). */
	struct source *src[SRC_COUNT];
	struct source *netlink;     /* enters each namespace (paced) */
	struct source *procfs;      /* for namespaces setns() may not enter (paced) */
	struct source *bpf;         /* one walk for every namespace; NULL: not loaded */
	struct census census;       /* what the bpf walk saw of every process */
	bool walked;                /* this pass reads through the bpf walk */
	int walk_error;             /* the last walk's failure, logged once */
	bool no_setns;              /* setns was refused: read /proc/PID/net instead */
	bool told_denied;           /* the partial attribution has been logged */
	struct netns_id self_ns;
	struct netns_names names;
	struct attrib attrib;
	struct sockhist sockhist;
	struct twports_memory tw_kept; /* each namespace's last TIME_WAIT breakdown */
	struct pods pods;              /* Kubernetes pod names, by UID */
	struct leak_tracker leak;
	struct scan_stats stats;
	struct series series;       /* which series show, and since when (series.h) */
	struct strbuf data;         /* socket families of the last good pass */
	struct strbuf page;         /* landing page of the last good pass */
	bool have_good;             /* `pass` holds a good pass (for `top`) */
	struct focus focus;         /* `top --pid`: the sockets of one process */
	/* The HTTP server's counters, for the status families; NULL while
	 * nothing is served.  Set before the sampler thread starts. */
	void (*http_stats)(struct http_server *h, struct http_stats *out);
	struct http_server *http;
	struct pass pass;
};

/* Open what a pass needs; `it`, the loaded BPF iterator (NULL: none),
 * makes the bpf source the first choice of every pass.  Returns 0 or
 * -errno (start-up failure). */
int sampler_init(struct sampler *s, const struct config *cfg, double start_time,
		 struct sockiter *it);

/* Run one pass and build the snapshot that serves its result.  Returns 0 if
 * the pass succeeded, or the -errno it failed with; `*out` is set in both
 * cases unless the snapshot itself could not be built (then NULL). */
int sampler_pass(struct sampler *s, struct snapshot **out);

/* The last pass's snapshot again, socklife's own families read now (once
 * the server has started, so that its families are in the first scrape).
 * 0 or -errno. */
int sampler_republish(struct sampler *s, struct snapshot **out);

/* What the last pass shows (for `socklife top`): its diagnosis when it
 * was good. */
struct page_input sampler_view(const struct sampler *s);

void sampler_free(struct sampler *s);

#endif
