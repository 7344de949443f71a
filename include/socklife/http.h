/* http.h - serve snapshots over libmicrohttpd.
 *
 *   GET /metrics   the exposition (gzip when the client accepts it)
 *   GET /          the landing page
 *   GET /healthz   200 while the last good pass is fresh, 503 otherwise
 *
 * HEAD works wherever GET does; other methods get 405 and other paths 404.
 * Scrapes never wait for a pass: they queue a response prepared when the
 * snapshot was published. */
#ifndef SOCKLIFE_HTTP_H
#define SOCKLIFE_HTTP_H

#include <socklife/auth.h>
#include <socklife/snapshot.h>

#include <stdbool.h>

struct http_options {
	int listen_fd;                   /* from listen_open(); the server takes it */
	unsigned max_connections;        /* libmicrohttpd's default is ~1019: too many */
	unsigned max_connections_per_ip; /* its default is no limit */
	unsigned timeout_seconds;        /* its default is no timeout */
	double stale_after;              /* /healthz turns 503 after this many seconds */
	/* TLS (--web.config.file): PEM text of the certificate chain and key,
	 * NULL for plain HTTP.  TLS 1.2 is the floor; tls13_only raises it. */
	const char *tls_cert_pem, *tls_key_pem;
	bool tls13_only;
	struct auth *auth;               /* basic auth for every path; NULL: none */
};

struct http_server;

/* Start serving.  Returns 0, -EIO if libmicrohttpd would not start, or
 * -ENOTSUP when TLS is asked for and libmicrohttpd was built without it. */
int http_start(struct http_server **out, const struct http_options *opt);

/* Serve `snap` from now on; takes over the caller's reference. */
void http_publish(struct http_server *h, struct snapshot *snap);

void http_stop(struct http_server *h);

/* Does an Accept-Encoding header value accept gzip?  Honours q-values
 * ("gzip;q=0" refuses it) and "*".  NULL (no header) does not. */
bool http_accepts_gzip(const char *accept_encoding);

#endif
