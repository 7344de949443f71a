/* render.h - the Prometheus text exposition (format 0.0.4).
 *
 * Every label value that comes from a process (comm, container, namespace
 * name) is untrusted: it is escaped and forced to valid UTF-8, because one
 * bad byte fails the whole scrape. */
#ifndef SOCKLIFE_RENDER_H
#define SOCKLIFE_RENDER_H

#include <socklife/caps.h>
#include <socklife/leak.h>
#include <socklife/scanstats.h>
#include <socklife/selfstat.h>
#include <socklife/strbuf.h>
#include <socklife/tally.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RENDER_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Append the socket families (per namespace and per group) to `out`.  The
 * sampler keeps this part from the last good pass when a pass fails. */
void render_sockets(struct strbuf *out, const struct tally *t);

/* Append the leak families: suspicions per pid and reason, CLOSE_WAIT age
 * and cause, unhashed socket fds. */
void render_leaks(struct strbuf *out, const struct leak_tracker *lt, const struct procscan *ps,
		  const struct tally *t);

/* Append the kernel's capacity figures: orphans and their limit, and each
 * namespace's TIME_WAIT sockets by port and bucket limit. */
void render_kernel(struct strbuf *out, const struct tally *t, bool orphans_known,
		   uint64_t orphans, bool max_known, uint64_t max_orphans);

/* Append the families about socklife itself: scans, errors, build, process. */
void render_status(struct strbuf *out, const struct scan_stats *stats, const struct selfstat *self,
		   const struct caps_state *caps);

/* Append `s` (`n` bytes) as the inside of a quoted label value. */
void render_label_value(struct strbuf *out, const char *s, size_t n);

#endif
