/* page.h - the landing page served at "/": the diagnosis of the last good
 * pass as a small self-contained HTML page (no external assets, no
 * scripts): suspected processes with what to fix, then namespaces. */
#ifndef SOCKLIFE_PAGE_H
#define SOCKLIFE_PAGE_H

#include <socklife/diag.h>
#include <socklife/scanstats.h>
#include <socklife/strbuf.h>
#include <socklife/tally.h>

/* What the page and `socklife top` show: the last good pass. */
struct page_input {
	const struct diag *diag;        /* NULL before the first good pass */
	const struct tally *tally;      /* its namespaces */
	const struct scan_stats *stats;
};

void page_render(struct strbuf *out, const struct page_input *in);

/* Append untrusted text escaped for HTML element content and attributes. */
void page_escape(struct strbuf *out, const char *s, size_t n);

#endif
