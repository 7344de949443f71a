/* addrkey.c - client address to limit key; see addrkey.h. */
#include <socklife/addrkey.h>

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Keep the first `bits` bits of the 16 bytes. */
static void mask(uint8_t b[16], unsigned bits)
{
	for (unsigned i = 0; i < 16; i++, bits = bits > 8 ? bits - 8 : 0)
		if (bits < 8)
			b[i] &= (uint8_t)(0xff00u >> bits);
}

int addrkey_of(const struct sockaddr *sa, socklen_t len, unsigned v4_prefix,
	       unsigned v6_prefix, struct addrkey *out)
{
	unsigned v4 = v4_prefix && v4_prefix <= 32 ? v4_prefix : ADDRKEY_V4_PREFIX;
	unsigned v6 = v6_prefix && v6_prefix <= 128 ? v6_prefix : ADDRKEY_V6_PREFIX;

	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memcpy(out->b, v4_mapped, sizeof(v4_mapped));
		memcpy(out->b + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		mask(out->b, 96 + v4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		memcpy(out->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		mask(out->b, memcmp(out->b, v4_mapped, sizeof(v4_mapped)) == 0 ? 96 + v4 : v6);
		return 0;
	}
	return -EAFNOSUPPORT;
}

bool addrkey_equal(const struct addrkey *a, const struct addrkey *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}
