/* diag.h - the diagnosis of a pass, as rows every front end formats.
 *
 * One row per process worth showing (a suspect, or one holding TCP sockets
 * or unhashed socket fds), with what the page, `socklife top` and the leak
 * metrics say about it: who it is, its key TCP states, its fds against its
 * limit, its oldest CLOSE_WAIT, and one sentence per reason it is
 * suspected.  Rows are in process order; `order` lists them most
 * suspicious first (most reasons, then most CLOSE_WAIT, then most fds). */
#ifndef SOCKLIFE_DIAG_H
#define SOCKLIFE_DIAG_H

#include <socklife/leak.h>
#include <socklife/strbuf.h>
#include <socklife/tally.h>
#include <socklife/vec.h>

#include <stddef.h>
#include <stdint.h>

/* The TCP states every front end shows, in their order. */
enum diag_state { DIAG_ESTABLISHED, DIAG_CLOSE_WAIT, DIAG_FIN_WAIT2, DIAG_LISTEN, DIAG_STATES };

struct diag_row {
	int32_t pid;
	const char *name;      /* comm, raw bytes: escape it for the medium */
	const char *program;   /* an interpreter's script or module, or "" */
	const char *unit;      /* its systemd unit, or "" */
	const char *container; /* "" for host processes */
	const char *netns;     /* its network namespace's label, "" if unknown */
	uint32_t tcp[DIAG_STATES];
	uint32_t nfds;
	uint64_t fd_limit;     /* 0: unlimited or unknown */
	double cw_oldest;      /* seconds; meaningful when tcp[DIAG_CLOSE_WAIT] > 0 */
	uint32_t reasons;      /* bit (1 << enum leak_reason) */
	size_t said[LEAK_REASON_COUNT]; /* where each reason's sentence starts in `text` */
};

struct diag {
	struct diag_rows VEC(struct diag_row) rows;
	struct diag_order VEC(uint32_t) order;
	size_t suspects;     /* rows with at least one reason */
	struct strbuf text;  /* the sentences, each NUL-terminated */
};

/* The state each column shows, and its name. */
extern const uint8_t diag_states[DIAG_STATES];

/* Lay out the rows of a finished pass.  0 or -ENOMEM. */
int diag_build(struct diag *d, const struct tally *t, const struct leak_tracker *lt);

/* The sentence for one of a row's reasons. */
const char *diag_sentence(const struct diag *d, const struct diag_row *r, enum leak_reason reason);

void diag_free(struct diag *d);

#endif
