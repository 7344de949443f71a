/* addrkey.h - the client address a connection limit counts by.
 *
 * One IPv4 address is one client, but one IPv6 client holds a whole /64:
 * SLAAC and privacy extensions hand every host 2^64 addresses of its own, so
 * a limit per IPv6 address is no limit at all.  Limits therefore count by
 * prefix: /32 for IPv4 and /64 for IPv6 by default.  On a dual-stack
 * socket an IPv4 client arrives as a v4-mapped address (::ffff:a.b.c.d,
 * RFC 4291 2.5.5.2) and counts as the IPv4 address it is. */
#ifndef SOCKLIFE_ADDRKEY_H
#define SOCKLIFE_ADDRKEY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDRKEY_V4_PREFIX 32
#define ADDRKEY_V6_PREFIX 64

/* An IPv4 prefix is kept in v4-mapped form, so one compare covers both
 * families: a masked IPv6 /64 has zeros where a mapped address has ffff. */
struct addrkey {
	uint8_t b[16];
};

/* The key of `sa`: its address with all but the first v4_prefix (IPv4,
 * 0..32) or v6_prefix (IPv6, 0..128) bits cleared; 0 for either means the
 * default.  Returns 0, or -EAFNOSUPPORT for a family that is neither
 * (that key is all zeros, so such clients share one). */
int addrkey_of(const struct sockaddr *sa, socklen_t len, unsigned v4_prefix,
	       unsigned v6_prefix, struct addrkey *out);

bool addrkey_equal(const struct addrkey *a, const struct addrkey *b);

#endif
