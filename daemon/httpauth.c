/* httpauth.c - basic auth checks that never block the server; see
 * httpauth.h. */
#include <socklife/httpauth.h>

#include <socklife/sample.h>
#include <socklife/worker.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bcrypt checks queued at once: the global burst is the real bound. */
#define QUEUE 64
#define ADDRESSES 1024

enum verdict { PASS, REFUSED, THROTTLED, UNAVAILABLE };

/* The request on one gate connection; one request at a time per
 * connection, so this is reused for each. */
struct request {
	struct httpauth *a;
	struct MHD_Connection *c;
	int id;
	enum verdict verdict;
	double t0;            /* monotonic time its headers were complete */
	unsigned retry_after; /* THROTTLED: seconds */
	struct auth_key key;
	char creds[1024];     /* "user\0password\0" while a check is queued */
};

struct httpauth {
	struct httpauth_options opt;
	struct worker *worker;
	struct request *req; /* one per gate connection */
	pthread_mutex_t lock; /* the throttle and the counters */
	struct throttle throttle;
	struct httpauth_stats stats;
};

int httpauth_new(struct httpauth **out, const struct httpauth_options *o)
{
	struct httpauth *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->opt = *o;
	pthread_mutex_init(&a->lock, NULL);
	unsigned n = httpgate_capacity(o->gate);
	int err = -ENOMEM;
	a->req = calloc(n, sizeof(*a->req));
	if (!a->req || throttle_init(&a->throttle, &o->per_address, &o->all, ADDRESSES,
				     now_monotonic()) < 0)
		goto fail;
	for (unsigned i = 0; i < n; i++)
		a->req[i] = (struct request){.a = a, .id = (int)i};
	err = worker_start(&a->worker, QUEUE);
	if (err < 0)
		goto fail;
	*out = a;
	return 0;
fail:
	httpauth_free(a);
	return err;
}

static void count(struct httpauth *a, unsigned long *counter)
{
	pthread_mutex_lock(&a->lock);
	(*counter)++;
	pthread_mutex_unlock(&a->lock);
}

/* Suspend the request's connection and have the gate resume it at
 * `until`.  The connection is suspended first, so that it is never
 * resumed before it is suspended.  false if the gate is closing: it runs
 * on at once, as unavailable. */
static bool hold(struct request *r, double until)
{
	MHD_suspend_connection(r->c);
	if (httpgate_hold(r->a->opt.gate, r->id, r->c, until))
		return true;
	r->verdict = UNAVAILABLE;
	MHD_resume_connection(r->c);
	return false;
}

/* Refuse, answered at t0 + the delay. */
static void refuse_later(struct request *r, enum verdict v, unsigned long *counter)
{
	r->verdict = v;
	count(r->a, counter);
	hold(r, r->t0 + r->a->opt.failure_delay);
}

/* On the worker thread. */
static void check(void *arg, bool run)
{
	struct request *r = arg;
	struct httpauth *a = r->a;
	const char *user = r->creds, *password = r->creds + strlen(r->creds) + 1;
	bool ok = run && auth_verify(a->opt.auth, user, password, &r->key);
	explicit_bzero(r->creds, sizeof(r->creds));

	double now = now_monotonic(), due = r->t0 + a->opt.failure_delay;
	bool refused = run && !ok;
	pthread_mutex_lock(&a->lock);
	a->stats.checks += run;
	a->stats.failures += refused;
	a->stats.late += refused && now > due;
	pthread_mutex_unlock(&a->lock);
	r->verdict = ok ? PASS : run ? REFUSED : UNAVAILABLE;
	httpgate_resume_at(a->opt.gate, r->id, refused ? due : now);
}

/* The credentials of the request, its key, and whether it had any. */
static bool read_credentials(struct request *r, int *key_err)
{
	char *password = NULL;
	char *user = MHD_basic_auth_get_username_password(r->c, &password);
	*key_err = auth_key(r->a->opt.auth, user, password, &r->key);
	if (*key_err == 0) /* user:password fits in 1 KiB, so in creds */
		snprintf(r->creds, sizeof(r->creds), "%s%c%s", user, '\0', password);
	if (password) {
		explicit_bzero(password, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	return user != NULL;
}

/* A password not seen before: bcrypt, if the throttle pays for it. */
static void check_later(struct httpauth *a, struct request *r)
{
	struct addrkey key;
	httpgate_key(a->opt.gate, r->id, &key);
	pthread_mutex_lock(&a->lock);
	double wait = throttle_take(&a->throttle, &key, auth_cost(a->opt.auth), r->t0);
	pthread_mutex_unlock(&a->lock);
	if (wait > 0) {
		explicit_bzero(r->creds, sizeof(r->creds));
		r->retry_after = (unsigned)ceil(wait);
		refuse_later(r, THROTTLED, &a->stats.throttled);
		return;
	}
	r->verdict = UNAVAILABLE; /* until the check says otherwise */
	if (!hold(r, INFINITY)) {
		explicit_bzero(r->creds, sizeof(r->creds));
		return;
	}
	if (worker_submit(a->worker, check, r) < 0) {
		explicit_bzero(r->creds, sizeof(r->creds));
		httpgate_resume_at(a->opt.gate, r->id, r->t0 + a->opt.failure_delay);
	}
}

void httpauth_begin(struct httpauth *a, int id, struct MHD_Connection *c)
{
	struct request *r = &a->req[id];
	int key_err;
	r->c = c;
	r->t0 = now_monotonic();
	r->verdict = PASS;
	if (!read_credentials(r, &key_err)) {
		r->verdict = REFUSED; /* no credentials: nothing to hide, at once */
		count(a, &a->stats.failures);
		return;
	}
	enum auth_verdict v = key_err ? AUTH_FAIL : auth_lookup(a->opt.auth, &r->key);
	if (v == AUTH_UNSEEN) {
		check_later(a, r); /* the check may run at once: r is the worker's now */
		return;
	}
	explicit_bzero(r->creds, sizeof(r->creds));
	if (v == AUTH_FAIL)
		refuse_later(r, REFUSED, &a->stats.failures);
}

bool httpauth_passed(const struct httpauth *a, int id)
{
	return a->req[id].verdict == PASS;
}

static enum MHD_Result queue_static(struct MHD_Connection *c, unsigned status,
				    const char *body, const char *retry_after)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (retry_after)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
	enum MHD_Result ret = status == MHD_HTTP_UNAUTHORIZED
				      ? MHD_queue_basic_auth_fail_response(c, "socklife", r)
				      : MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result httpauth_refuse(struct httpauth *a, int id, struct MHD_Connection *c)
{
	const struct request *r = &a->req[id];
	char retry[16];
	switch (r->verdict) {
	case THROTTLED:
		snprintf(retry, sizeof(retry), "%u", r->retry_after ? r->retry_after : 1);
		return queue_static(c, MHD_HTTP_TOO_MANY_REQUESTS,
				    "too many password checks; retry later\n", retry);
	case UNAVAILABLE:
		return queue_static(c, MHD_HTTP_SERVICE_UNAVAILABLE, "busy; retry later\n", "1");
	default:
		return queue_static(c, MHD_HTTP_UNAUTHORIZED, "unauthorized\n", NULL);
	}
}

void httpauth_stop(struct httpauth *a)
{
	worker_stop(a->worker);
	a->worker = NULL;
}

void httpauth_free(struct httpauth *a)
{
	if (!a)
		return;
	worker_stop(a->worker);
	throttle_free(&a->throttle);
	free(a->req);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void httpauth_stats(struct httpauth *a, struct httpauth_stats *out)
{
	pthread_mutex_lock(&a->lock);
	*out = a->stats;
	pthread_mutex_unlock(&a->lock);
}
