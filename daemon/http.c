/* http.c - libmicrohttpd front end: hand out the current snapshot.
 *
 * Each published snapshot gets three prepared responses (plain, gzip, page)
 * that each hold a reference on it; libmicrohttpd reference-counts the
 * responses, so concurrent scrapes share one immutable buffer and the last
 * one to finish frees it. */
#include <socklife/http.h>

#include <socklife/httpauth.h>
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

/* The request on one gate connection (its con_cls). */
struct request {
	int id;
	bool routed; /* asked for a page that exists: an authorised request */
};

struct http_server {
	struct MHD_Daemon *mhd;
	struct httpgate *gate;
	struct httpauth *auth; /* NULL: no basic auth */
	struct request *req;   /* one per gate connection */
	double stale_after;
	pthread_mutex_t lock; /* guards the fields below */
	struct MHD_Response *plain, *gzip, *page;
	double taken_at;      /* of the current snapshot's data */
	double fresh_mono;    /* monotonic time that data was published */
	int failed_stage;     /* the last pass failed here (enum scan_stage); -1: it did not */
	int failed_errno;
	double pass_since;    /* monotonic time the pass under way began; 0: none */
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
	int failed_stage = snap->failed_stage, failed_errno = snap->failed_errno;
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
	h->failed_stage = failed_stage;
	h->failed_errno = failed_errno;
	h->pass_since = 0;
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

void http_pass_begin(struct http_server *h)
{
	pthread_mutex_lock(&h->lock);
	h->pass_since = now_monotonic();
	pthread_mutex_unlock(&h->lock);
}

bool http_health_text(const struct health_in *in, char *out, size_t cap)
{
	size_t n;
	if (in->taken_at <= 0)
		n = (size_t)snprintf(out, cap, "unhealthy: no good pass yet");
	else if (in->age > in->stale_after)
		n = (size_t)snprintf(out, cap, "unhealthy: last good pass %.0f s ago (stale after %.0f s)",
				     in->age, in->stale_after);
	else {
		snprintf(out, cap, "ok: last good pass %.1f s ago\n", in->age);
		return true;
	}
	if (in->failed_stage >= 0 && in->failed_stage < STAGE_COUNT && n < cap)
		n += (size_t)snprintf(out + n, cap - n, "; the last pass failed at stage %s: %s",
				      scan_stage_names[in->failed_stage], strerror(in->failed_errno));
	if (in->running > 0 && n < cap)
		n += (size_t)snprintf(out + n, cap - n, "; a pass has been running for %.0f s",
				      in->running);
	if (n < cap)
		snprintf(out + n, cap - n, "\n");
	return false;
}

static enum MHD_Result queue_health(struct http_server *h, struct MHD_Connection *c)
{
	char msg[256];
	pthread_mutex_lock(&h->lock);
	double now = now_monotonic();
	struct health_in in = {
		.taken_at = h->taken_at,
		.age = now - h->fresh_mono,
		.stale_after = h->stale_after,
		.running = h->pass_since > 0 ? now - h->pass_since : 0,
		.failed_stage = h->failed_stage,
		.failed_errno = h->failed_errno,
	};
	pthread_mutex_unlock(&h->lock);
	bool ok = http_health_text(&in, msg, sizeof(msg));
	return queue_text(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, msg);
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

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct http_server *h = cls;
	(void)version, (void)upload_data;

	/* libmicrohttpd calls once when the headers are in and again for each
	 * piece of body.  Answering on the first call makes it close the
	 * connection; answering once the (empty) body is read keeps it alive,
	 * so a scraper reuses one connection instead of leaving a TIME_WAIT
	 * behind on every scrape.  Requests to refuse are refused at once. */
	if (*con_cls == NULL) {
		int id = httpgate_id(c);
		if (id < 0 || !httpgate_begin_request(h->gate, id))
			return MHD_NO; /* cut meanwhile (or never ours): close */
		struct request *r = &h->req[id];
		r->routed = false;
		*con_cls = r;
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
		if (!framing_ok(c))
			return queue_text(c, MHD_HTTP_BAD_REQUEST,
					  "GET and HEAD carry no body; ambiguous framing refused\n");
		if (h->auth)
			httpauth_begin(h->auth, id, c); /* may suspend c until its answer is due */
		return MHD_YES;
	}
	if (*upload_data_size != 0) { /* cannot happen after framing_ok(); be safe */
		*upload_data_size = 0;
		return MHD_YES;
	}

	struct request *r = *con_cls;
	if (h->auth && !httpauth_passed(h->auth, r->id))
		return httpauth_refuse(h->auth, r->id, c);
	r->routed = true;
	if (strcmp(url, "/metrics") == 0) {
		const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_ACCEPT_ENCODING);
		return queue_prepared(h, c, http_accepts_gzip(ae) ? &h->gzip : &h->plain);
	}
	if (strcmp(url, "/") == 0)
		return queue_prepared(h, c, &h->page);
	if (strcmp(url, "/healthz") == 0)
		return queue_health(h, c);
	r->routed = false;
	return queue_text(c, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n");
}

/* A request is over.  Answered in full, the connection waits for the next
 * one; an authorised request makes its address known (httpgate.h). */
static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct http_server *h = cls;
	const struct request *r = *con_cls;
	(void)c;
	if (r && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		httpgate_end_request(h->gate, r->id,
				     r->routed && (!h->auth || httpauth_passed(h->auth, r->id)));
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

static double or_default(double v, double def)
{
	return v > 0 ? v : def;
}

/* The gate's rules from the options, defaults filled in (see http.h). */
static struct httpgate_options gate_options(const struct http_options *o)
{
	unsigned max = o->max_connections ? o->max_connections : HTTP_MAX_CONNECTIONS;
	double idle = o->timeout_seconds ? o->timeout_seconds : HTTP_TIMEOUT_SECONDS;
	/* Never longer than the idle timeout: a silent newcomer is idle too. */
	double header = or_default(o->header_timeout, HTTP_HEADER_TIMEOUT);
	if (header > idle)
		header = idle;
	return (struct httpgate_options){
		.listen_fd = o->listen_fd,
		.limits = {
			.max = max,
			.per_key = o->max_connections_per_ip ? o->max_connections_per_ip
							     : HTTP_MAX_CONNECTIONS_PER_IP,
			.reserved = o->reserved_connections ? o->reserved_connections : max / 4,
			.header_timeout = header,
			.idle_timeout = idle,
			.request_timeout = or_default(o->request_timeout, HTTP_REQUEST_TIMEOUT),
			.known_for = or_default(o->known_seconds, HTTP_KNOWN_SECONDS),
		},
		.v4_prefix = o->ipv4_prefix,
		.v6_prefix = o->ipv6_prefix,
	};
}

static struct httpauth_options auth_options(const struct http_options *o, struct httpgate *g)
{
	return (struct httpauth_options){
		.auth = o->auth,
		.gate = g,
		.failure_delay = or_default(o->auth_failure_delay, HTTP_AUTH_FAILURE_DELAY),
		.per_address = {or_default(o->auth_address_rate, HTTP_AUTH_ADDRESS_RATE),
				or_default(o->auth_address_burst, HTTP_AUTH_ADDRESS_BURST)},
		.all = {or_default(o->auth_rate, HTTP_AUTH_RATE),
			or_default(o->auth_burst, HTTP_AUTH_BURST)},
	};
}

static void free_server(struct http_server *h)
{
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	httpauth_free(h->auth);
	httpgate_free(h->gate);
	struct MHD_Response *prepared[3] = {h->plain, h->gzip, h->page};
	for (int i = 0; i < 3; i++)
		if (prepared[i])
			MHD_destroy_response(prepared[i]);
	free(h->req);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static struct MHD_Daemon *start_mhd(struct http_server *h, const struct http_options *opt,
				    unsigned timeout)
{
	bool tls = opt->tls_cert_pem != NULL;
	/* No listening socket: the gate accepts and hands connections over.
	 * libmicrohttpd's own limits stay as a backstop above the gate's
	 * (which also counts connections it cut that are still closing); its
	 * per-IP limit would count each IPv6 address apart, so it is off. */
	struct MHD_OptionItem ops[16];
	int n = 0;
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, timeout, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
					   2 * httpgate_capacity(h->gate) + 16, NULL};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION,
					   (intptr_t)httpgate_notify, h->gate};
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed, h};
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
		/* Handshakes take a millisecond or more of CPU each: let a few
		 * threads share them so one slow client does not stall scrapes.
		 * (bcrypt runs on a thread of its own, httpauth.h.) */
		ops[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, 4, NULL};
	}
	ops[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

	/* Suspend/resume holds a refused password's answer without a thread. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME;
	if (tls)
		flags |= MHD_USE_TLS;
	return MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_ARRAY, ops,
				MHD_OPTION_END);
}

int http_start(struct http_server **out, const struct http_options *opt)
{
	if (opt->tls_cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return -ENOTSUP;
	struct http_server *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->stale_after = opt->stale_after;
	h->failed_stage = -1;

	struct httpgate_options g = gate_options(opt);
	int err = httpgate_new(&h->gate, &g);
	if (err < 0) {
		free_server(h);
		return err;
	}
	h->req = calloc(httpgate_capacity(h->gate), sizeof(*h->req));
	if (!h->req)
		err = -ENOMEM;
	for (unsigned i = 0; h->req && i < httpgate_capacity(h->gate); i++)
		h->req[i].id = (int)i;
	if (!err && opt->auth) {
		struct httpauth_options a = auth_options(opt, h->gate);
		err = httpauth_new(&h->auth, &a);
	}
	if (!err && !(h->mhd = start_mhd(h, opt, (unsigned)g.limits.idle_timeout)))
		err = -EIO;
	if (!err)
		err = httpgate_open(h->gate, h->mhd);
	if (err < 0) {
		free_server(h);
		return err;
	}
	*out = h;
	return 0;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	/* Nothing may stay suspended when libmicrohttpd stops: checks not run
	 * are answered, then the gate stops accepting and resumes the rest. */
	if (h->auth)
		httpauth_stop(h->auth);
	httpgate_close(h->gate);
	free_server(h);
}

void http_stats(struct http_server *h, struct http_stats *out)
{
	*out = (struct http_stats){0};
	httpgate_stats(h->gate, &out->conns);
	if (h->auth)
		httpauth_stats(h->auth, &out->auth);
}
