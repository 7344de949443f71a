/* httpgate.h - who gets one of the HTTP server's connections, and for how
 * long: the glue between the accepting thread (acceptor.h), the rules
 * (slots.h) and libmicrohttpd.
 *
 * libmicrohttpd runs without a listening socket: the gate accepts, admits
 * or refuses by the rules, and hands admitted sockets over with
 * MHD_add_connection().  libmicrohttpd tells the gate when a connection
 * starts and closes (MHD_OPTION_NOTIFY_CONNECTION, httpgate_notify) and
 * the server when a request's headers are complete and when it is
 * answered.  To cut a connection, the gate shuts its socket down: the
 * server sees end of file and closes it, as if the client had.
 *
 * The gate also resumes connections the server suspended to answer them
 * later (a refused password is answered after a fixed delay). */
#ifndef SOCKLIFE_HTTPGATE_H
#define SOCKLIFE_HTTPGATE_H

#include <socklife/slots.h>

#include <microhttpd.h>
#include <stdbool.h>

struct httpgate_options {
	int listen_fd;              /* the gate takes it */
	struct slots_limits limits;
	unsigned v4_prefix, v6_prefix; /* see addrkey.h; 0: /32 and /64 */
};

/* What the gate did, since the start; the gauges now. */
struct httpgate_stats {
	unsigned long accepted;               /* and handed to the server */
	unsigned long refused[SLOT_REFUSALS]; /* closed at once, by reason */
	unsigned long evicted;                /* waiting, cut to make room */
	unsigned long header_deadline;        /* waiting past the header deadline, cut */
	unsigned long request_deadline;       /* answering past the request deadline, cut */
	unsigned long lost;                   /* refused or closed by the server unannounced */
	unsigned long accept_errors;          /* accept() itself failed */
	unsigned connections, strangers, known_addresses;
};

struct httpgate;

/* The gate and its rules; it accepts nothing before httpgate_open().
 * 0 or -ENOMEM (the listening socket is closed then too). */
int httpgate_new(struct httpgate **out, const struct httpgate_options *o);

/* MHD_OPTION_NOTIFY_CONNECTION's callback, with the gate as closure. */
void httpgate_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		     enum MHD_ConnectionNotificationCode code);

/* Hand accepted connections to `mhd` from now on.  0 or -errno. */
int httpgate_open(struct httpgate *g, struct MHD_Daemon *mhd);

/* How many connections the gate can track; their ids are below it, so
 * per-connection state fits in an array of this size. */
unsigned httpgate_capacity(const struct httpgate *g);

/* The id of connection `c`, or -1 if the gate does not know it. */
int httpgate_id(struct MHD_Connection *c);

/* The address key of connection `id`. */
void httpgate_key(struct httpgate *g, int id, struct addrkey *out);

/* A request's headers are complete.  false if the connection was cut: the
 * server should close it. */
bool httpgate_begin_request(struct httpgate *g, int id);

/* A request was answered.  `authorised`: it passed basic auth (or there
 * is none) and asked for a real page, so its address is now known. */
void httpgate_end_request(struct httpgate *g, int id, bool authorised);

/* The server has suspended `c` (MHD_suspend_connection): resume it at
 * monotonic time `until` (INFINITY: once httpgate_resume_at() says when).
 * false when the gate is closing (or the connection is not one it holds):
 * the caller resumes it at once itself. */
bool httpgate_hold(struct httpgate *g, int id, struct MHD_Connection *c, double until);

/* Resume held connection `id` at `until` instead; from any thread.  Does
 * nothing if it is no longer held (the gate closed meanwhile). */
void httpgate_resume_at(struct httpgate *g, int id, double until);

/* Stop accepting and resume every held connection: before
 * MHD_stop_daemon(), which must find none suspended. */
void httpgate_close(struct httpgate *g);

void httpgate_free(struct httpgate *g);

void httpgate_stats(struct httpgate *g, struct httpgate_stats *out);

#endif
