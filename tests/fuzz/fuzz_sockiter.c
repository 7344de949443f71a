/* fuzz_sockiter.c - the BPF iterator's record parser on arbitrary bytes.
 * The first byte picks how the rest is cut into read()s (1 to 256 bytes a
 * piece), so records split at every place are exercised. */
#include <socklife/sockiter.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

struct tally {
	uint64_t socks, tasks;
};

static void on_sock(const struct sockiter_sock *r, void *ctx)
{
	struct tally *t = ctx;
	struct sl_socket s;
	/* Only whole records of the right kind and version are handed out. */
	if (r->kind != SOCKITER_KIND_SOCK || r->version != SOCKITER_VERSION)
		abort();
	int err = sockiter_to_socket(r, &s);
	if (err == 0 && !proto_has_state(s.proto, s.state))
		abort();
	if (err == 0)
		(void)sockdiag_unix_peer_gone(&s);
	t->socks++;
}

static void on_task(const struct sockiter_task *r, void *ctx)
{
	struct tally *t = ctx;
	if (r->kind != SOCKITER_KIND_TASK || r->version != SOCKITER_VERSION)
		abort();
	t->tasks++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally t = {0};
	struct sockiter_sink sink = {.sock = on_sock, .task = on_task, .ctx = &t};
	struct sockiter_parser p;
	int err = 0;

	if (size < 1)
		return 0;
	size_t piece = (size_t)data[0] + 1;
	sockiter_parser_init(&p, &sink);
	for (size_t off = 1; off < size && !err; off += piece) {
		size_t n = size - off < piece ? size - off : piece;
		err = sockiter_parse(&p, data + off, n);
	}
	int end = sockiter_parse_finish(&p);
	if ((err && err != -EBADMSG) || (end && end != -EBADMSG) || (err && !end))
		abort();
	if (t.socks != p.stats.sockets || t.tasks != p.stats.tasks)
		abort();
	if (!end && (!p.ended || p.stats.malformed))
		abort();
	return 0;
}
