/* render.h - the Prometheus text exposition (format 0.0.4).
 *
 * One table names every metric family with its type, help and where its
 * values come from; it is the daemon's half of the metric contract
 * (dashboards/metrics.txt and the README hold the other halves, and a unit
 * test holds the three together).  Every label value that comes from a
 * process (comm, container, namespace name) is untrusted: it is escaped and
 * forced to valid UTF-8, because one bad byte fails the whole scrape. */
#ifndef SOCKLIFE_RENDER_H
#define SOCKLIFE_RENDER_H

#include <socklife/caps.h>
#include <socklife/diag.h>
#include <socklife/http.h>
#include <socklife/kstat.h>
#include <socklife/listeners.h>
#include <socklife/pods.h>
#include <socklife/scanstats.h>
#include <socklife/selfstat.h>
#include <socklife/series.h>
#include <socklife/strbuf.h>
#include <socklife/tally.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RENDER_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Everything the exposition is made from. */
struct render_input {
	const struct tally *tally;      /* the last good pass */
	const struct diag *diag;
	const struct kernel_figures *kernel;
	const struct scan_stats *stats; /* socklife itself, now */
	const struct selfstat *self;
	const struct caps_state *caps;
	const struct http_stats *http;  /* the server's; NULL: not serving (--once) */
	const struct series *series;    /* which series show; NULL: all there are */
	const struct listeners *listeners; /* the pass's listening sockets; NULL: none */
	const struct pods *pods;        /* pod names by UID; NULL: none */
};

/* Append the families of a good pass: sockets per namespace and group,
 * the leak families, the kernel's figures.  The sampler keeps this part
 * from the last good pass when a pass fails. */
void render_pass(struct strbuf *out, const struct render_input *in);

/* Append the families about socklife itself: scans, errors, build, process. */
void render_status(struct strbuf *out, const struct render_input *in);

/* Append `s` (`n` bytes) as the inside of a quoted label value. */
void render_label_value(struct strbuf *out, const char *s, size_t n);

/* The families, in exposition order: name and type of family i, for i
 * below render_family_count(). */
size_t render_family_count(void);
const char *render_family_name(size_t i);
const char *render_family_type(size_t i);

#endif
