/* fuzz_sockdiag.c - the sock_diag reply parser on arbitrary bytes.
 * The first byte picks the protocol; the rest is one received buffer. */
#include <socklife/sockdiag.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int sink(const struct sl_socket *s, void *ctx)
{
	/* Everything handed out must be a state the protocol has. */
	if (!proto_has_state(s->proto, s->state))
		abort();
	(void)ctx;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[65536] __attribute__((aligned(8)));
	if (size < 1 || size - 1 > sizeof(buf))
		return 0;
	memcpy(buf, data + 1, size - 1);
	struct sockdiag_parser p = {.proto = data[0] % PROTO_COUNT, .cb = sink};
	/* seq and portid 0: accept any, as the parser allows */
	sockdiag_parse(&p, buf, size - 1, 0, 0);
	return 0;
}
