/* test_http.c - Accept-Encoding negotiation, and the server's routing on a
 * real loopback socket with a hand-made snapshot. */
#include <socklife/http.h>
#include <socklife/listen.h>
#include <socklife/render.h>

#include <arpa/inet.h>
#include <netinet/in.h>
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

/* Send one raw request, return the status code and copy the reply. */
static int request(const char *raw, char *reply, size_t cap)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
	size_t len = 0;
	ssize_t n;
	while (len < cap - 1 && (n = read(fd, reply + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	reply[len] = '\0';
	close(fd);
	int status = 0;
	sscanf(reply, "HTTP/1.%*d %d", &status);
	return status;
}

/* A server on a free loopback port (its number in `port`). */
static struct http_server *start(double stale_after)
{
	int fd = listen_open("127.0.0.1:0");
	assert_true(fd >= 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	struct http_options opt = {.listen_fd = fd, .max_connections = 8,
				   .max_connections_per_ip = 8, .timeout_seconds = 5,
				   .stale_after = stale_after};
	struct http_server *h;
	assert_int_equal(http_start(&h, &opt), 0);
	return h;
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
	assert_non_null(strstr(reply, "stale"));
	/* A republished snapshot of the same data does not make it fresh. */
	assert_int_equal(snapshot_new(&s, &m, &p, 5.0), 0);
	http_publish(h, s);
	assert_int_equal(request("GET /healthz HTTP/1.0\r\n\r\n", reply, sizeof(reply)), 503);
	http_stop(h);
	sb_free(&m);
	sb_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_encoding),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_stale_health),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
