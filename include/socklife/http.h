/* http.h - serve snapshots over libmicrohttpd.
 *
 *   GET /metrics   the exposition (gzip when the client accepts it)
 *   GET /          the landing page
 *   GET /healthz   200 while the last good pass is fresh, 503 otherwise,
 *                  with why in the body
 *
 * HEAD works wherever GET does; other methods get 405 and other paths 404.
 * Scrapes never wait for a pass: they queue a response prepared when the
 * snapshot was published.
 *
 * Prometheus must always get through, so the server decides itself whom
 * it serves (httpgate.h, slots.h): connections are counted per address
 * prefix, some are reserved for clients that recently completed an
 * authorised request, a request's headers must arrive within a deadline
 * and its answer be read within another, and over the limits a connection
 * is refused at once.  Passwords not seen
 * before are checked with bcrypt on a thread of its own, paid for from a
 * throttle per address and for all (throttle.h); a refused password is
 * answered after a fixed delay, however long its check took, without
 * holding a server thread (the connection is suspended). */
#ifndef SOCKLIFE_HTTP_H
#define SOCKLIFE_HTTP_H

#include <socklife/auth.h>
#include <socklife/httpauth.h>
#include <socklife/httpgate.h>
#include <socklife/snapshot.h>

#include <stdbool.h>

/* The defaults of the fields below that say "0: ...". */
#define HTTP_MAX_CONNECTIONS 64
#define HTTP_MAX_CONNECTIONS_PER_IP 8
#define HTTP_TIMEOUT_SECONDS 10
#define HTTP_HEADER_TIMEOUT 5.0
#define HTTP_REQUEST_TIMEOUT 30.0
#define HTTP_KNOWN_SECONDS 600.0
#define HTTP_AUTH_FAILURE_DELAY 1.0
#define HTTP_AUTH_ADDRESS_RATE (1 / 12.0)
#define HTTP_AUTH_ADDRESS_BURST 5.0
#define HTTP_AUTH_RATE 2.0
#define HTTP_AUTH_BURST 10.0

struct http_options {
	int listen_fd;                   /* from listen_open(); the server takes it */
	unsigned max_connections;        /* 0: 64 (libmicrohttpd's ~1019 is too many) */
	unsigned max_connections_per_ip; /* per address prefix; 0: 8 */
	unsigned timeout_seconds;        /* close a connection idle this long; 0: 10 */
	double stale_after;              /* /healthz turns 503 after this many seconds */
	/* TLS (--web.config.file): PEM text of the certificate chain and key,
	 * NULL for plain HTTP.  TLS 1.2 is the floor; tls13_only raises it. */
	const char *tls_cert_pem, *tls_key_pem;
	bool tls13_only;
	struct auth *auth;               /* basic auth for every path; NULL: none */

	/* Who gets a connection (slots.h).  Connections reserved for known
	 * clients, those that completed an authorised request within
	 * known_seconds; 0: a quarter of max_connections (16 of 64), enough
	 * for a Prometheus pair and then some.  At most max_connections - 1. */
	unsigned reserved_connections;
	double known_seconds;            /* 0: 600, two missed 5-minute scrapes */
	/* Seconds from accept to a request's complete headers (after a
	 * response, the next request has the longer of this and the idle
	 * timeout).  0: 5.  Never more than timeout_seconds.  A scraper sends its
	 * request with the connection, in milliseconds. */
	double header_timeout;
	/* Seconds from a request's headers to its answer sent, however slowly
	 * the client reads; 0: 30 (the largest exposition takes well under a
	 * second on a slow link; Prometheus gives up after its scrape timeout). */
	double request_timeout;
	unsigned ipv4_prefix, ipv6_prefix; /* limits count by these; 0: /32, /64 */

	/* Basic auth under attack.  Every refused password (401) or throttled
	 * check (429) is answered this many seconds after its headers; 0: 1,
	 * more than a bcrypt check of cost 12 with the global burst queued
	 * ahead of it. */
	double auth_failure_delay;
	/* bcrypt checks of passwords not seen before, in checks of cost 10
	 * (~45 ms of CPU; auth_cost()): per address prefix, a second and
	 * saved up (0: 1/12 and 5), and for all addresses (0: 2 and 10, under
	 * a tenth of a core). */
	double auth_address_rate, auth_address_burst;
	double auth_rate, auth_burst;
};

/* What the server did since it started; for the metrics. */
struct http_stats {
	struct httpgate_stats conns;
	struct httpauth_stats auth; /* all zero without basic auth */
};

struct http_server;

/* Start serving.  Returns 0, -EIO if libmicrohttpd would not start, or
 * -ENOTSUP when TLS is asked for and libmicrohttpd was built without it. */
int http_start(struct http_server **out, const struct http_options *opt);

/* Serve `snap` from now on; takes over the caller's reference. */
void http_publish(struct http_server *h, struct snapshot *snap);

/* A pass begins (the sampler thread says so): /healthz tells how long one
 * has been under way when it is unhealthy.  The next publish ends it. */
void http_pass_begin(struct http_server *h);

/* What /healthz knows. */
struct health_in {
	double taken_at;    /* of the served data; 0: no good pass yet */
	double age;         /* seconds since that data was published */
	double stale_after; /* seconds */
	double running;     /* seconds the pass under way has run; 0: none */
	int failed_stage;   /* the last pass failed at this enum scan_stage; -1: it did not */
	int failed_errno;
};

/* /healthz's body into out: healthy, one short line, and true; else why
 * (no good pass yet, or how old the last one is; where and why the last
 * pass failed; how long the one under way has run), and false. */
bool http_health_text(const struct health_in *in, char *out, size_t cap);

void http_stop(struct http_server *h);

void http_stats(struct http_server *h, struct http_stats *out);

/* Does an Accept-Encoding header value accept gzip?  Honours q-values
 * ("gzip;q=0" refuses it) and "*".  NULL (no header) does not. */
bool http_accepts_gzip(const char *accept_encoding);

#endif
