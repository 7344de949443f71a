/* http.c - libmicrohttpd front end: hand out the current snapshot.
 *
 * Each published snapshot gets three prepared responses (plain, gzip, page)
 * that each hold a reference on it; libmicrohttpd reference-counts the
 * responses, so concurrent scrapes share one immutable buffer and the last
 * one to finish frees it. */
#include <socklife/http.h>

#include <socklife/log.h>
#include <socklife/render.h>
#include <socklife/sample.h>

#include <ctype.h>
#include <stdint.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct http_server {
	struct MHD_Daemon *mhd;
	double stale_after;
	struct auth *auth;
	pthread_mutex_t lock; /* guards the fields below */
	struct MHD_Response *plain, *gzip, *page;
	double taken_at;      /* of the current snapshot's data */
	double fresh_mono;    /* monotonic time that data was published */
};

bool http_accepts_gzip(const char *ae)
{
	double q_gzip = -1, q_star = -1;

	if (!ae)
		return false;
	for (const char *p = ae; *p;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *name = p;
		while (*p && *p != ';' && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		size_t nlen = (size_t)(p - name);
		double q = 1;
		/* Parameters up to the next comma; only q matters. */
		while (*p && *p != ',') {
			if ((*p == 'q' || *p == 'Q') && p[1] == '=' && (p[-1] == ';' || p[-1] == ' ')) {
				char *end;
				q = strtod(p + 2, &end);
				if (end == p + 2 || q < 0 || q > 1)
					q = 0; /* malformed: do not gamble on compression */
				p = end;
				continue;
			}
			p++;
		}
		if ((nlen == 4 && strncasecmp(name, "gzip", 4) == 0) ||
		    (nlen == 6 && strncasecmp(name, "x-gzip", 6) == 0))
			q_gzip = q > q_gzip ? q : q_gzip;
		else if (nlen == 1 && *name == '*')
			q_star = q;
	}
	return q_gzip >= 0 ? q_gzip > 0 : q_star > 0;
}

static void release_snapshot(void *cls) { snapshot_unref(cls); }

static struct MHD_Response *snapshot_response(struct snapshot *s, void *buf, size_t len,
					      const char *type, bool gz)
{
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
		len, buf, release_snapshot, snapshot_ref(s));
	if (!r) {
		snapshot_unref(s);
		return NULL;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (strcmp(type, RENDER_CONTENT_TYPE) == 0)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	return r;
}

void http_publish(struct http_server *h, struct snapshot *snap)
{
	struct MHD_Response *plain = snapshot_response(snap, snap->metrics, snap->metrics_len,
						       RENDER_CONTENT_TYPE, false);
	struct MHD_Response *gz = snapshot_response(snap, snap->metrics_gz, snap->metrics_gz_len,
						    RENDER_CONTENT_TYPE, true);
	struct MHD_Response *page = snapshot_response(snap, snap->page, snap->page_len,
						      "text/html; charset=utf-8", false);
	double taken_at = snap->taken_at;
	snapshot_unref(snap); /* the responses hold their own references */

	if (!plain || !gz || !page) {
		/* Keep serving the previous snapshot rather than nothing. */
		if (plain)
			MHD_destroy_response(plain);
		if (gz)
			MHD_destroy_response(gz);
		if (page)
			MHD_destroy_response(page);
		return;
	}
	pthread_mutex_lock(&h->lock);
	struct MHD_Response *old[3] = {h->plain, h->gzip, h->page};
	h->plain = plain;
	h->gzip = gz;
	h->page = page;
	if (taken_at > 0 && taken_at != h->taken_at) {
		h->taken_at = taken_at;
		h->fresh_mono = now_monotonic();
	}
	pthread_mutex_unlock(&h->lock);
	for (int i = 0; i < 3; i++)
		if (old[i])
			MHD_destroy_response(old[i]);
}

static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	/* After a refused request, whatever follows on the connection (a body
	 * not read, a request hidden in it) is never parsed: close it. */
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED || status == MHD_HTTP_BAD_REQUEST)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Queue one of the prepared responses, under the lock so that a publish
 * cannot destroy it between reading the pointer and taking a reference. */
static enum MHD_Result queue_prepared(struct http_server *h, struct MHD_Connection *c,
				      struct MHD_Response *const *which)
{
	pthread_mutex_lock(&h->lock);
	struct MHD_Response *r = *which;
	enum MHD_Result ret = r ? MHD_queue_response(c, MHD_HTTP_OK, r) : MHD_NO;
	pthread_mutex_unlock(&h->lock);
	if (!r)
		return queue_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no snapshot yet\n");
	return ret;
}

static enum MHD_Result queue_health(struct http_server *h, struct MHD_Connection *c)
{
	char msg[128];
	pthread_mutex_lock(&h->lock);
	double taken_at = h->taken_at, age = now_monotonic() - h->fresh_mono;
	pthread_mutex_unlock(&h->lock);

	if (taken_at <= 0)
		return queue_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no successful scan yet\n");
	if (age > h->stale_after) {
		snprintf(msg, sizeof(msg), "stale: last successful scan %.0f s ago\n", age);
		return queue_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
	}
	snprintf(msg, sizeof(msg), "ok: last successful scan %.1f s ago\n", age);
	return queue_text(c, MHD_HTTP_OK, msg);
}

/* What the headers say about a body.  socklife answers GET and HEAD only,
 * which carry none; a body, or framing that two parsers could read two
 * ways (two Content-Lengths, Content-Length with Transfer-Encoding, a
 * field name with whitespace), is how a request gets smuggled past a
 * proxy in front.  Such requests are refused and their connection closed
 * (RFC 9112, sections 5.1, 6.1, 6.3). */
struct framing {
	int content_lengths;
	bool transfer_encoding, odd_name, body;
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct framing *f = cls;
	(void)kind;
	if (!key[0] || strpbrk(key, " \t"))
		f->odd_name = true;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		f->content_lengths++;
		f->body |= !value || strcmp(value, "0") != 0;
	}
	if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->transfer_encoding = true;
	return MHD_YES;
}

static bool framing_ok(struct MHD_Connection *c)
{
	struct framing f = {0};
	MHD_get_connection_values(c, MHD_HEADER_KIND, scan_header, &f);
	return f.content_lengths <= 1 && !f.transfer_encoding && !f.odd_name && !f.body;
}

static bool authorized(struct http_server *h, struct MHD_Connection *c)
{
	char *password = NULL;
	char *user = MHD_basic_auth_get_username_password(c, &password);
	bool ok = auth_check(h->auth, user, password);
	if (password) {
		memset(password, 0, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	return ok;
}

static enum MHD_Result queue_unauthorized(struct MHD_Connection *c)
{
	static const char body[] = "unauthorized\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	enum MHD_Result ret = MHD_queue_basic_auth_fail_response(c, "socklife", r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	static int request_seen;
	struct http_server *h = cls;
	(void)version, (void)upload_data;

	/* libmicrohttpd calls once when the headers are in and again for each
	 * piece of body.  Answering on the first call makes it close the
	 * connection; answering once the (empty) body is read keeps it alive,
	 * so a scraper reuses one connection instead of leaving a TIME_WAIT
	 * behind on every scrape.  Requests to refuse are refused at once. */
	if (*con_cls == NULL) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
		if (!framing_ok(c))
			return queue_text(c, MHD_HTTP_BAD_REQUEST,
					  "GET and HEAD carry no body; ambiguous framing refused\n");
		if (h->auth && !authorized(h, c))
			return queue_unauthorized(c);
		*con_cls = &request_seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0) { /* cannot happen after framing_ok(); be safe */
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (strcmp(url, "/metrics") == 0) {
		const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_ACCEPT_ENCODING);
		return queue_prepared(h, c, http_accepts_gzip(ae) ? &h->gzip : &h->plain);
	}
	if (strcmp(url, "/") == 0)
		return queue_prepared(h, c, &h->page);
	if (strcmp(url, "/healthz") == 0)
		return queue_health(h, c);
	return queue_text(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

int http_start(struct http_server **out, const struct http_options *opt)
{
	bool tls = opt->tls_cert_pem != NULL;
	if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return -ENOTSUP;
	struct http_server *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->stale_after = opt->stale_after;
	h->auth = opt->auth;

	/* libmicrohttpd's defaults (no timeout, ~1019 connections, no per-IP
	 * limit) are not safe for a daemon anyone on the network can reach. */
	struct MHD_OptionItem ops[16];
	int n = 0;
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, opt->listen_fd, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout_seconds, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, opt->max_connections, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
					   opt->max_connections_per_ip, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL};
	/* Parse requests strictly (e.g. HTTP/1.1 without Host is a 400). */
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL};
	if (tls) {
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
						   (void *)opt->tls_cert_pem};
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
						   (void *)opt->tls_key_pem};
		ops[n++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *)(opt->tls13_only ? "NORMAL:-VERS-ALL:+VERS-TLS1.3"
						 : "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2")};
	}
	if (tls || opt->auth) {
		/* Handshakes and bcrypt checks take milliseconds each: let a few
		 * threads share them so one slow client does not stall scrapes. */
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, 4, NULL};
	}
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (tls)
		flags |= MHD_USE_TLS;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_ARRAY, ops,
				  MHD_OPTION_END);
	if (!h->mhd) {
		pthread_mutex_destroy(&h->lock);
		free(h);
		return -EIO;
	}
	*out = h;
	return 0;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	if (h->plain)
		MHD_destroy_response(h->plain);
	if (h->gzip)
		MHD_destroy_response(h->gzip);
	if (h->page)
		MHD_destroy_response(h->page);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
