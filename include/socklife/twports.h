/* twports.h - attribute TIME_WAIT sockets to ports.
 *
 * A TIME_WAIT socket has no owner, but its ports say where it came from:
 * if its local port is one a process listens on in the same namespace, or
 * its remote port is an ephemeral one while its local port is not (the
 * listener may be gone), the server side closed first (side "local", that
 * port); otherwise this host was the client and the remote port is the
 * service it talked to (side "remote").  Only the busiest ports are reported; the rest are summed
 * as "other" so the series count stays bounded. */
#ifndef SOCKLIFE_TWPORTS_H
#define SOCKLIFE_TWPORTS_H

#include <socklife/hashmap.h>
#include <socklife/vec.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TWPORTS_TOP_MAX 50

enum tw_side { TW_LOCAL, TW_REMOTE };

struct twport_row {
	uint8_t side;   /* enum tw_side */
	uint8_t other;  /* 1: the sum of every port not listed */
	uint16_t port;
	uint32_t count;
};

struct twports {
	uint64_t listening[65536 / 64]; /* bitmap of local listening ports */
	struct tw_pairs VEC(uint32_t) pairs; /* (sport << 16 | dport) of each TIME_WAIT */
	uint32_t *counts;               /* [2][65536], reused */
	struct tw_seen VEC(uint32_t) seen; /* the counts[] indices in use, reused */
};

/* Forget the previous namespace's sockets. */
void twports_begin(struct twports *t);
void twports_listen(struct twports *t, uint16_t port);
/* Is `port` a listening port of the namespace (of the listeners seen so far)? */
bool twports_listening(const struct twports *t, uint16_t port);
/* Returns 0 or -ENOMEM. */
int twports_time_wait(struct twports *t, uint16_t sport, uint16_t dport);

/* Write at most k rows per side plus one "other" row per side (always
 * present, maybe 0) into `out`, which holds 2 * (k + 1) rows.  `lo`..`hi`
 * is the namespace's ephemeral port range (0, 0 when unknown).  Returns
 * the number of rows, or -ENOMEM.  Rows go by side, busiest port first. */
int twports_top(struct twports *t, uint16_t lo, uint16_t hi, size_t k, struct twport_row *out);

void twports_free(struct twports *t);

/* The last breakdown of each namespace's TIME_WAIT by port, for passes
 * that count its TIME_WAIT without listing it (the bpf source between
 * two dumps): its rows are served again, with their age. */
struct twports_kept {
	uint64_t key;       /* netns inode */
	double at;          /* monotonic time of the breakdown */
	uint32_t seen_pass;
	int n;
	struct twport_row rows[2 * (TWPORTS_TOP_MAX + 1)];
};

struct twports_memory {
	struct hashmap kept; /* of struct twports_kept */
	uint32_t pass;
};

#define TWPORTS_MEMORY_INIT {HASHMAP_INIT(struct twports_kept), 0}

/* A namespace not seen for this many passes is forgotten. */
#define TWPORTS_FORGET 16

/* Start a pass: namespaces not seen for TWPORTS_FORGET passes are
 * forgotten. */
void twports_memory_begin(struct twports_memory *m);
/* Keep namespace `ino`'s breakdown of now.  0 or -ENOMEM. */
int twports_remember(struct twports_memory *m, uint64_t ino, const struct twport_row *rows, int n,
		     double now);
/* Its last breakdown, or NULL. */
const struct twports_kept *twports_recall(struct twports_memory *m, uint64_t ino);
void twports_memory_free(struct twports_memory *m);

#endif
