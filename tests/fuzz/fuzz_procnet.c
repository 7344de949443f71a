/* fuzz_procnet.c - /proc/PID/net/{tcp,tcp6,udp,udp6,unix} on arbitrary
 * bytes.  The first byte picks the table. */
#include <socklife/procnet.h>

#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

static int sink(const struct sl_socket *s, void *ctx)
{
	(void)ctx;
	if (!proto_has_state(s->proto, s->state))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int which = data[0] % 3;
	struct sockdiag_parser p = {.proto = which == 0 ? PROTO_TCP : which == 1 ? PROTO_UDP
									: PROTO_UNIX,
				    .cb = sink};
	if (which == 2)
		procnet_parse_unix(&p, (const char *)data + 1, size - 1);
	else
		procnet_parse_inet(&p, (const char *)data + 1, size - 1, AF_INET);
	return 0;
}
