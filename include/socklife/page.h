/* page.h - the landing page served at "/": a small self-contained HTML
 * summary of the last good pass (no external assets, no scripts). */
#ifndef SOCKLIFE_PAGE_H
#define SOCKLIFE_PAGE_H

#include <socklife/scanstats.h>
#include <socklife/strbuf.h>
#include <socklife/tally.h>

/* Append the page for tally `t` (NULL before the first good pass). */
void page_render(struct strbuf *out, const struct tally *t, const struct scan_stats *stats);

/* Append untrusted text escaped for HTML element content and attributes. */
void page_escape(struct strbuf *out, const char *s, size_t n);

#endif
