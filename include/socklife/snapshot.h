/* snapshot.h - what one pass publishes: immutable, shared, reference-counted.
 *
 * The sampler builds a snapshot (exposition, its gzip copy, the landing
 * page) once per pass; every scrape hands out the current one without
 * copying or computing anything.  A snapshot lives until the last response
 * that uses it has been sent. */
#ifndef SOCKLIFE_SNAPSHOT_H
#define SOCKLIFE_SNAPSHOT_H

#include <socklife/strbuf.h>

#include <stdatomic.h>
#include <stddef.h>

struct snapshot {
	atomic_uint refs;
	char *metrics;
	size_t metrics_len;
	unsigned char *metrics_gz;
	size_t metrics_gz_len;
	char *page;
	size_t page_len;
	double taken_at; /* epoch seconds of the socket data; 0 = no good pass yet */
	/* The pass that made it failed (its data is the last good pass's):
	 * at which stage (enum scan_stage) and why; -1 when it did not. */
	int failed_stage;
	int failed_errno;
};

/* Copy `metrics` and `page`, compress the metrics once.  The new snapshot
 * has one reference.  Returns 0, -ENOMEM, or -EIO if zlib fails. */
int snapshot_new(struct snapshot **out, const struct strbuf *metrics, const struct strbuf *page,
		 double taken_at);
struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);

#endif
