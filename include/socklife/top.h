/* top.h - `socklife top`: the leak diagnosis in a terminal.
 *
 * One pass, then a table of processes (suspects first, then by CLOSE_WAIT)
 * and, under each suspect, one sentence per reason saying what the kernel
 * sees and what to fix.  Readable at 80 columns; colour only on a terminal
 * (and never with NO_COLOR set).  --watch repeats it, and then the rules
 * that need history (growth, persistence) get it. */
#ifndef SOCKLIFE_TOP_H
#define SOCKLIFE_TOP_H

#include <socklife/config.h>
#include <socklife/page.h>
#include <socklife/strbuf.h>

#include <stdbool.h>

#define TOP_WIDTH 80

/* Append one frame for `in` (the same input the landing page takes); at
 * most `max_rows` processes. */
void top_render(struct strbuf *out, const struct page_input *in, bool color, unsigned max_rows);

/* Run `socklife top`; returns the exit status. */
int top_run(const struct config *cfg);

#endif
