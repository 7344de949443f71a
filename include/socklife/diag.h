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
#include <socklife/peers.h>
#include <socklife/strbuf.h>
#include <socklife/tally.h>
#include <socklife/vec.h>

#include <stddef.h>
#include <stdint.h>

/* The TCP states every front end shows, in their order. */
enum diag_state { DIAG_ESTABLISHED, DIAG_CLOSE_WAIT, DIAG_FIN_WAIT2, DIAG_LISTEN, DIAG_STATES };

#define DIAG_PEERS 3       /* peers on a row */
#define DIAG_GROUP_PEERS 5 /* peers of a group in the metrics */

struct diag_row {
	uint32_t proc;         /* index into the pass's processes */
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
	/* A suspect's busiest peers for the sockets its reasons are about. */
	struct peer_count peers[DIAG_PEERS];
	size_t npeers;
	uint32_t peers_other; /* sockets to all other peers */
};

/* The busiest peers of the suspected members of a process group. */
struct diag_group {
	uint32_t group;   /* index into tally.groups */
	uint32_t reasons; /* of its suspected members together */
	struct peer_count peers[DIAG_GROUP_PEERS];
	size_t npeers;
	uint32_t other;
};

struct diag {
	struct diag_rows VEC(struct diag_row) rows;
	struct diag_groups VEC(struct diag_group) groups; /* groups with a suspect, in order */
	struct diag_order VEC(uint32_t) order;
	size_t suspects;     /* rows with at least one reason */
	struct member_list VEC(uint32_t) members; /* scratch */
	struct strbuf text;  /* the sentences, each NUL-terminated */
};

/* The state each column shows, and its name. */
extern const uint8_t diag_states[DIAG_STATES];

/* Lay out the rows of a finished pass (its peer records get sorted).  0
 * or -ENOMEM. */
int diag_build(struct diag *d, struct tally *t, const struct leak_tracker *lt);

/* Which of a suspect's sockets its peers are counted over: those its
 * reasons are about (CLOSE_WAIT, FIN_WAIT2; the ones it opened for
 * socket_growth; all for fd_limit). */
struct peer_filter diag_peer_filter(uint32_t reasons);

/* "to 10.0.0.5:5432 (12 sockets), from 10.0.0.7 on :8080 (3), 4 to others":
 * where a suspect's sockets lead, appended to `out` as plain text. */
void diag_where(struct strbuf *out, const struct diag_row *r);

/* "program worker.py, unit nginx.service, netns ns-4026532" (what is
 * known), appended to `out` as plain text; raw bytes: escape for the medium. */
void diag_who(struct strbuf *out, const struct diag_row *r);

/* The sentence for one of a row's reasons. */
const char *diag_sentence(const struct diag *d, const struct diag_row *r, enum leak_reason reason);

void diag_free(struct diag *d);

#endif
