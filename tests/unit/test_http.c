/* test_http.c - Accept-Encoding negotiation, and the server on a real
 * loopback socket with a hand-made snapshot: routing, and what it does to
 * hostile clients (connections over the limits refused at once, the
 * header deadline, the reserve for known clients, throttled and delayed
 * password checks, a clean stop with connections suspended). */
#include <socklife/http.h>
#include <socklife/listen.h>
#include <socklife/render.h>
#include <socklife/sample.h>

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

static void test_accept_encoding(void **state)
{
	(void)state;
	assert_false(http_accepts_gzip(NULL));
	assert_false(http_accepts_gzip(""));
	assert_true(http_accepts_gzip("gzip"));
	assert_true(http_accepts_gzip("GZIP"));
	assert_true(http_accepts_gzip("deflate, gzip;q=0.5"));
	assert_true(http_accepts_gzip("gzip, deflate, br"));
	assert_true(http_accepts_gzip("x-gzip"));
	assert_true(http_accepts_gzip("*"));
	assert_true(http_accepts_gzip("identity;q=1, *;q=0.1"));
	assert_false(http_accepts_gzip("gzip;q=0"));
	assert_false(http_accepts_gzip("gzip; q=0.000"));
	assert_false(http_accepts_gzip("*;q=0"));
	assert_false(http_accepts_gzip("gzip;q=0, *"));  /* explicit refusal wins */
	assert_false(http_accepts_gzip("deflate, br"));
	assert_false(http_accepts_gzip("gzipx"));
	assert_false(http_accepts_gzip("gzip;q=abc"));
	assert_false(http_accepts_gzip("identity"));
}

static int port;

/* A connection to the server from loopback address `src` (127.0.0.0/8
 * is all ours), with a reset at close so no TIME_WAIT is left; with a
 * receive buffer of `rcvbuf` bytes if not 0. */
static int dial_rcvbuf(const char *src, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct linger rst = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
	struct sockaddr_in me = {.sin_family = AF_INET};
	inet_pton(AF_INET, src, &me.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int dial(const char *src)
{
	return dial_rcvbuf(src, 0);
}

static void send_text(int fd, const char *raw)
{
	assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
}

/* Read until the server closes (or `timeout` seconds pass); returns the
 * status code of the reply (0: none) and copies it. */
static int reply_of(int fd, char *reply, size_t cap, double timeout)
{
	size_t len = 0;
	double end = now_monotonic() + timeout;
	while (len < cap - 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int ms = (int)((end - now_monotonic()) * 1000);
		if (ms <= 0 || poll(&p, 1, ms) <= 0)
			break;
		ssize_t n = read(fd, reply + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	reply[len] = '\0';
	int status = 0;
	sscanf(reply, "HTTP/1.%*d %d", &status);
	return status;
}

/* Does the server close `fd` within `timeout` seconds (answered or not)? */
static bool closed_within(int fd, double timeout)
{
	char buf[4096];
	double end = now_monotonic() + timeout;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int ms = (int)((end - now_monotonic()) * 1000);
		if (ms <= 0 || poll(&p, 1, ms) <= 0)
			return false;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return n == 0 || errno == ECONNRESET;
	}
}

/* Send one raw request from `src`, return the status code and copy the reply. */
static int request_from(const char *src, const char *raw, char *reply, size_t cap)
{
	int fd = dial(src);
	send_text(fd, raw);
	int status = reply_of(fd, reply, cap, 10);
	close(fd);
	return status;
}

static int request(const char *raw, char *reply, size_t cap)
{
	return request_from("127.0.0.1", raw, reply, cap);
}

/* A server on a free loopback port (its number in `port`), with the
 * options in `opt` beyond the listening socket. */
static struct http_server *start_with(struct http_options opt)
{
	int fd = listen_open("127.0.0.1:0");
	assert_true(fd >= 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	opt.listen_fd = fd;
	struct http_server *h;
	assert_int_equal(http_start(&h, &opt), 0);
	return h;
}

static void publish(struct http_server *h, const char *metrics)
{
	struct strbuf m = STRBUF_INIT, p = STRBUF_INIT;
	sb_puts(&m, metrics);
	struct snapshot *s;
	assert_int_equal(snapshot_new(&s, &m, &p, 1e9), 0);
	http_publish(h, s);
	sb_free(&m);
	sb_free(&p);
}

/* start_with(), serving "up 1" */
static struct http_server *serve(struct http_options opt)
{
	struct http_server *h = start_with(opt);
	publish(h, "up 1\n");
	return h;
}

static struct http_server *start(double stale_after)
{
	return start_with((struct http_options){.max_connections = 8,
						.max_connections_per_ip = 8,
						.timeout_seconds = 5, .stale_after = stale_after});
}

static void test_routes(void **state)
{
	(void)state;
	char reply[65536];
	struct http_server *h = start(60);

	/* Before any snapshot: no data yet. */
	assert_int_equal(request("GET /metrics HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 503);
	assert_int_equal(request("GET /healthz HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 503);

	struct strbuf m = STRBUF_INIT, p = STRBUF_INIT;
	sb_puts(&m, "up 1\n");
	sb_puts(&p, "<html>hello</html>");
	struct snapshot *s;
	assert_int_equal(snapshot_new(&s, &m, &p, 1e9), 0);
	http_publish(h, s);

	assert_int_equal(request("GET /metrics HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 200);
	assert_non_null(strstr(reply, "Content-Type: " RENDER_CONTENT_TYPE "\r\n"));
	assert_non_null(strstr(reply, "Vary: Accept-Encoding\r\n"));
	assert_null(strstr(reply, "Content-Encoding"));
	assert_non_null(strstr(reply, "\r\n\r\nup 1\n"));

	assert_int_equal(request("GET /metrics HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n", reply,
				 sizeof(reply)), 200);
	assert_non_null(strstr(reply, "Content-Encoding: gzip\r\n"));
	char *body = strstr(reply, "\r\n\r\n") + 4;
	assert_int_equal((unsigned char)body[0], 0x1f);

	assert_int_equal(request("GET / HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 200);
	assert_non_null(strstr(reply, "text/html"));
	assert_non_null(strstr(reply, "hello"));
	assert_int_equal(request("GET /healthz HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 200);
	assert_int_equal(request("HEAD /metrics HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 200);
	assert_null(strstr(reply, "up 1"));
	assert_int_equal(request("GET /nope HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 404);
	assert_int_equal(request("POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", reply,
				 sizeof(reply)), 405);
	assert_non_null(strstr(reply, "Allow: GET, HEAD"));
	assert_int_equal(request("BREW /metrics HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 405);

	/* A newer snapshot replaces the old one for the next scrape. */
	sb_reset(&m);
	sb_puts(&m, "up 2\n");
	assert_int_equal(snapshot_new(&s, &m, &p, 1e9 + 1), 0);
	http_publish(h, s);
	assert_int_equal(request("GET /metrics HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 200);
	assert_non_null(strstr(reply, "up 2"));

	http_stop(h);
	sb_free(&m);
	sb_free(&p);
}

static void test_stale_health(void **state)
{
	(void)state;
	char reply[4096];
	struct http_server *h = start(0.2);
	struct strbuf m = STRBUF_INIT, p = STRBUF_INIT;
	sb_puts(&m, "x 1\n");
	struct snapshot *s;
	assert_int_equal(snapshot_new(&s, &m, &p, 5.0), 0);
	http_publish(h, s);
	assert_int_equal(request("GET /healthz HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 200);
	usleep(300000);
	assert_int_equal(request("GET /healthz HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 503);
	assert_non_null(strstr(reply, "last good pass 0 s ago (stale after 0 s)"));
	/* A republished snapshot of the same data does not make it fresh; a
	 * failed pass's says why, and a pass under way for how long. */
	assert_int_equal(snapshot_new(&s, &m, &p, 5.0), 0);
	s->failed_stage = STAGE_PROC;
	s->failed_errno = EMFILE;
	http_publish(h, s);
	http_pass_begin(h);
	assert_int_equal(request("GET /healthz HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 503);
	assert_non_null(strstr(reply, "the last pass failed at stage proc: Too many open files; "
				      "a pass has been running for 0 s\n"));
	http_stop(h);
	sb_free(&m);
	sb_free(&p);
}

/* /healthz's body: short when healthy, why when not. */
static void test_health_text(void **state)
{
	(void)state;
	char out[256];
	struct health_in in = {.taken_at = 1e9, .age = 2.5, .stale_after = 45, .failed_stage = -1};
	assert_true(http_health_text(&in, out, sizeof(out)));
	assert_string_equal(out, "ok: last good pass 2.5 s ago\n");
	/* A failed pass while the data is fresh is not (yet) unhealthy. */
	in.failed_stage = STAGE_DUMP, in.failed_errno = ENFILE;
	assert_true(http_health_text(&in, out, sizeof(out)));

	in.age = 47;
	assert_false(http_health_text(&in, out, sizeof(out)));
	assert_string_equal(out, "unhealthy: last good pass 47 s ago (stale after 45 s); the last "
				 "pass failed at stage dump: Too many open files in system\n");
	in.failed_stage = -1, in.running = 40.4;
	assert_false(http_health_text(&in, out, sizeof(out)));
	assert_string_equal(out, "unhealthy: last good pass 47 s ago (stale after 45 s); a pass has "
				 "been running for 40 s\n");
	in = (struct health_in){.stale_after = 45, .failed_stage = STAGE_PROC, .failed_errno = EMFILE};
	assert_false(http_health_text(&in, out, sizeof(out)));
	assert_string_equal(out, "unhealthy: no good pass yet; the last pass failed at stage proc: "
				 "Too many open files\n");
	/* Cut short, never overrun. */
	char tiny[24];
	assert_false(http_health_text(&in, tiny, sizeof(tiny)));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

/* HTTP/1.1 keeps the connection; these requests ask the server to close. */
#define GET "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
#define GET_KEEP "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"

static void test_over_the_limits_refused_at_once(void **state)
{
	(void)state;
	char reply[4096];
	struct http_stats st;
	/* 4 connections, 2 per address, 1 reserved: strangers hold 3. */
	struct http_server *h = serve((struct http_options){
		.max_connections = 4, .max_connections_per_ip = 2, .reserved_connections = 1,
		.timeout_seconds = 30, .header_timeout = 30, .stale_after = 60});

	int a1 = dial("127.0.1.1"), a2 = dial("127.0.1.1");
	send_text(a1, "GET /metrics HTTP/1.1\r\n");
	send_text(a2, "GET /metrics HTTP/1.1\r\n");
	/* A third from the same address is closed at once, not queued. */
	int a3 = dial("127.0.1.1");
	assert_true(closed_within(a3, 1.0));
	close(a3);
	http_stats(h, &st);
	assert_int_equal(st.conns.refused[SLOT_REFUSED_PER_ADDRESS], 1);

	/* Strangers fill their share; the next one takes the place of the
	 * connection that has waited longest, which is closed. */
	int b1 = dial("127.0.1.2");
	send_text(b1, "GET /metrics HTTP/1.1\r\n");
	usleep(50000);
	int b2 = dial("127.0.1.3");
	assert_true(closed_within(a1, 1.0));
	assert_int_equal(request_from("127.0.1.4", GET, reply, sizeof(reply)), 200);
	http_stats(h, &st);
	assert_int_equal(st.conns.evicted, 2); /* a1 for b2, then a2 for the scrape */
	assert_int_equal(st.conns.accepted, 5);
	assert_false(closed_within(b1, 0.2)); /* the rest stay */
	close(a1), close(a2), close(b1), close(b2);
	http_stop(h);
}

static void test_header_deadline(void **state)
{
	(void)state;
	char reply[4096];
	struct http_stats st;
	struct http_server *h = serve((struct http_options){
		.max_connections = 8, .max_connections_per_ip = 8, .timeout_seconds = 5,
		.header_timeout = 0.5, .stale_after = 60});

	/* A byte every 100 ms is never idle, but the headers are not complete
	 * in time: cut at the deadline counted from accept. */
	int fd = dial("127.0.2.1");
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	double t0 = now_monotonic(), cut = 0;
	for (int i = 0; i < 30 && !cut; i++) {
		if (send(fd, "X", 1, MSG_NOSIGNAL) != 1 || closed_within(fd, 0.1))
			cut = now_monotonic() - t0;
	}
	close(fd);
	assert_true(cut > 0.4 && cut < 1.2);
	http_stats(h, &st);
	assert_int_equal(st.conns.header_deadline, 1);

	/* A request in time is answered, and its connection kept alive past the
	 * header deadline for the next request (up to the idle timeout). */
	fd = dial("127.0.2.2");
	send_text(fd, GET_KEEP);
	usleep(900000);
	send_text(fd, GET_KEEP);
	assert_int_equal(reply_of(fd, reply, sizeof(reply), 0.5), 200);
	assert_non_null(strstr(strstr(reply, "up 1") + 1, "HTTP/1.1 200"));
	close(fd);
	http_stop(h);
}

static void test_slow_reader_cut_at_the_request_deadline(void **state)
{
	(void)state;
	struct http_stats st;
	struct http_server *h = start_with((struct http_options){
		.max_connections = 8, .max_connections_per_ip = 8, .timeout_seconds = 5,
		.request_timeout = 0.5, .stale_after = 60});
	/* 8 MiB: more than the socket buffers on both sides hold. */
	struct strbuf m = STRBUF_INIT, p = STRBUF_INIT;
	for (int i = 0; i < 8 * 1024 * 1024 / 32; i++)
		sb_puts(&m, "socklife_padding_metric_line 1\n");
	struct snapshot *snap;
	assert_int_equal(snapshot_new(&snap, &m, &p, 1e9), 0);
	http_publish(h, snap);
	sb_free(&m);
	sb_free(&p);

	/* The client reads 1 KiB every 20 ms: never idle, and 8 MiB would take
	 * minutes.  Cut at the request deadline instead (seen once the little
	 * its buffer holds is read). */
	int fd = dial_rcvbuf("127.0.6.1", 4096);
	send_text(fd, GET_KEEP);
	char buf[1024];
	double t0 = now_monotonic(), cut = 0;
	size_t got = 0;
	while (!cut && now_monotonic() - t0 < 5) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			cut = now_monotonic() - t0;
		else
			got += (size_t)n;
		usleep(20000);
	}
	close(fd);
	print_message("slow reader: %zu bytes, cut after %.2f s\n", got, cut);
	assert_true(cut > 0.4 && cut < 2);
	assert_true(got < 8 * 1024 * 1024);
	http_stats(h, &st);
	assert_int_equal(st.conns.request_deadline, 1);
	http_stop(h);
}

static char cheap_hash[128];

static struct auth *cheap_auth(void)
{
	char salt[64];
	struct crypt_data data;
	memset(&data, 0, sizeof(data));
	crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt));
	strcpy(cheap_hash, crypt_rn("s3cret", salt, &data, (int)sizeof(data)));
	struct web_user users[] = {{(char *)"prom", cheap_hash}};
	struct auth *a;
	assert_int_equal(auth_new(&a, users, 1), 0);
	return a;
}

/* A request with basic auth from `src`: status and seconds taken. */
static int auth_request(const char *src, const char *userpass_b64, double *secs,
			char *reply, size_t cap)
{
	char raw[512];
	snprintf(raw, sizeof(raw),
		 "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
		 "Authorization: Basic %s\r\n\r\n", userpass_b64);
	int fd = dial(src);
	double t0 = now_monotonic();
	send_text(fd, raw);
	int status = reply_of(fd, reply, cap, 5);
	*secs = now_monotonic() - t0;
	close(fd);
	return status;
}

#define PROM_OK "cHJvbTpzM2NyZXQ=" /* prom:s3cret */

static void test_known_client_gets_the_reserve(void **state)
{
	(void)state;
	char reply[4096];
	double secs;
	struct http_stats st;
	struct auth *a = cheap_auth();
	/* 4 connections, 2 reserved: strangers may hold 2.  A wrong password
	 * is answered after 30 s, and its connection is busy meanwhile. */
	struct http_server *h = serve((struct http_options){
		.max_connections = 4, .max_connections_per_ip = 4, .reserved_connections = 2,
		.timeout_seconds = 30, .stale_after = 60, .auth = a, .auth_failure_delay = 30});
	assert_int_equal(auth_request("127.0.3.1", PROM_OK, &secs, reply, sizeof(reply)), 200);
	http_stats(h, &st);
	assert_int_equal(st.conns.known_addresses, 1);

	int x = dial("127.0.3.2"), y = dial("127.0.3.3");
	send_text(x, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cHJvbTp3cm9uZw==\r\n\r\n");
	send_text(y, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cHJvbTp3cm9uZw==\r\n\r\n");
	usleep(200000);
	/* The strangers' share is taken by busy connections: a third is
	 * refused at once... */
	int z = dial("127.0.3.4");
	assert_true(closed_within(z, 1.0));
	http_stats(h, &st);
	assert_int_equal(st.conns.refused[SLOT_REFUSED_STRANGERS], 1);
	/* ... while the known client is served from the reserve, at once. */
	assert_int_equal(auth_request("127.0.3.1", PROM_OK, &secs, reply, sizeof(reply)), 200);
	assert_true(secs < 0.5);
	close(x), close(y), close(z);
	http_stop(h);
	auth_free(a);
}

static void test_auth_throttled_and_delayed(void **state)
{
	(void)state;
	char reply[4096];
	double secs;
	struct http_stats st;
	struct auth *a = cheap_auth();
	struct http_server *h = serve((struct http_options){
		.max_connections = 8, .max_connections_per_ip = 8, .timeout_seconds = 5,
		.stale_after = 60, .auth = a, .auth_failure_delay = 0.3,
		.auth_address_rate = 0.01, .auth_address_burst = 3});

	/* prom:s3cret, then a wrong password: refused after the delay. */
	assert_int_equal(auth_request("127.0.4.1", PROM_OK, &secs, reply, sizeof(reply)), 200);
	assert_int_equal(auth_request("127.0.4.1", "cHJvbTp3cm9uZzE=", &secs, reply,
				      sizeof(reply)), 401);
	assert_true(secs > 0.28 && secs < 0.6);
	assert_non_null(strstr(reply, "WWW-Authenticate: Basic realm=\"socklife\""));
	/* The same wrong password again: remembered, refused after the same delay. */
	assert_int_equal(auth_request("127.0.4.1", "cHJvbTp3cm9uZzE=", &secs, reply,
				      sizeof(reply)), 401);
	assert_true(secs > 0.28 && secs < 0.6);
	/* A second new guess empties the address' bucket (burst 3: s3cret,
	 * wrong1, wrong2)... */
	assert_int_equal(auth_request("127.0.4.1", "cHJvbTp3cm9uZzI=", &secs, reply,
				      sizeof(reply)), 401);
	/* ... so the third is not checked: 429 with Retry-After, same delay. */
	assert_int_equal(auth_request("127.0.4.1", "cHJvbTp3cm9uZzM=", &secs, reply,
				      sizeof(reply)), 429);
	assert_true(secs > 0.28 && secs < 0.6);
	assert_non_null(strstr(reply, "Retry-After: "));
	/* The right password still works from there (it is remembered), and
	 * another address has its own bucket. */
	assert_int_equal(auth_request("127.0.4.1", PROM_OK, &secs, reply, sizeof(reply)), 200);
	assert_true(secs < 0.2);
	assert_int_equal(auth_request("127.0.4.2", "cHJvbTp3cm9uZzM=", &secs, reply,
				      sizeof(reply)), 401);
	/* No credentials: nothing to hide, refused at once. */
	assert_int_equal(request_from("127.0.4.3", GET, reply, sizeof(reply)), 401);

	http_stats(h, &st);
	assert_int_equal(st.auth.checks, 4); /* s3cret, wrong1, wrong2, wrong3 from .2 */
	assert_int_equal(st.auth.failures, 5);
	assert_int_equal(st.auth.throttled, 1);
	assert_int_equal(st.auth.late, 0);
	http_stop(h);
	auth_free(a);
}

static void test_stop_with_suspended_connections(void **state)
{
	(void)state;
	struct auth *a = cheap_auth();
	struct http_server *h = serve((struct http_options){
		.max_connections = 8, .max_connections_per_ip = 8, .timeout_seconds = 5,
		.stale_after = 60, .auth = a, .auth_failure_delay = 30});
	int fds[4];
	for (int i = 0; i < 4; i++) {
		fds[i] = dial("127.0.5.1");
		send_text(fds[i], "GET / HTTP/1.1\r\nHost: x\r\n"
				  "Authorization: Basic cHJvbTp3cm9uZw==\r\n\r\n");
	}
	usleep(200000); /* checked, and held for 30 s */
	double t0 = now_monotonic();
	http_stop(h); /* libmicrohttpd aborts if any connection is still suspended */
	assert_true(now_monotonic() - t0 < 2);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	auth_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_encoding),
		cmocka_unit_test(test_health_text),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_stale_health),
		cmocka_unit_test(test_over_the_limits_refused_at_once),
		cmocka_unit_test(test_header_deadline),
		cmocka_unit_test(test_slow_reader_cut_at_the_request_deadline),
		cmocka_unit_test(test_known_client_gets_the_reserve),
		cmocka_unit_test(test_auth_throttled_and_delayed),
		cmocka_unit_test(test_stop_with_suspended_connections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
