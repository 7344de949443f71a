/* top.h - `socklife top`: the leak diagnosis in a terminal.
 *
 * One pass, then a table of processes (suspects first, then by CLOSE_WAIT)
 * and, under each suspect, who it is, one sentence per reason saying what
 * the kernel sees and what to fix, and where its sockets lead.  Plain text
 * fitted to a width (80 columns in a pipe), colour only on a terminal and
 * never with NO_COLOR set.  --watch on a terminal runs full-screen
 * (ncurses): the frame fits the window and follows its resizes, keeping
 * the header and the worst suspects and saying how many more there are.
 * --pid lists every socket of one process. */
#ifndef SOCKLIFE_TOP_H
#define SOCKLIFE_TOP_H

#include <socklife/config.h>
#include <socklife/focus.h>
#include <socklife/page.h>
#include <socklife/sockiter.h>
#include <socklife/strbuf.h>

#include <stdbool.h>

#define TOP_WIDTH 80      /* the narrowest a frame is made for */
#define TOP_WIDE 120      /* from this width on: namespace, program and peer columns */

/* A line starting with this byte is a suspect's: shown emphasised (the
 * byte itself is never shown). */
#define TOP_EMPHASIS '\x01'

struct top_view {
	unsigned width;     /* columns */
	unsigned max_rows;  /* processes listed at most */
	bool sentences;     /* under each suspect, what it is and what to fix */
	bool one_shot;      /* no history: say which rules need some */
	const struct leak_params *params;
};

/* Append one frame for `in` (the same input the landing page takes). */
void top_render(struct strbuf *out, const struct page_input *in, const struct top_view *v);

/* Append every socket of the focused process (`top --pid`). */
void top_render_focus(struct strbuf *out, const struct page_input *in, const struct focus *f,
		      const struct top_view *v);

/* Run `socklife top`; returns the exit status. */
int top_run(const struct config *cfg, struct sockiter *it);

#endif
