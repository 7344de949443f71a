/* radix.c - least significant byte first; see radix.h. */
#include <socklife/radix.h>

#include <string.h>

void radix_sort_hi32(uint64_t *v, uint64_t *scratch, size_t n)
{
	size_t count[4][256];
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 4; b++)
			count[b][(v[i] >> (32 + 8 * b)) & 0xff]++;

	uint64_t *from = v, *to = scratch;
	for (int b = 0; b < 4; b++) {
		size_t *c = count[b];
		if (n == 0 || c[(from[0] >> (32 + 8 * b)) & 0xff] == n)
			continue; /* every key has this byte: the order stands */
		size_t at = 0;
		for (int d = 0; d < 256; d++) {
			size_t k = c[d];
			c[d] = at;
			at += k;
		}
		for (size_t i = 0; i < n; i++)
			to[c[(from[i] >> (32 + 8 * b)) & 0xff]++] = from[i];
		uint64_t *t = from;
		from = to;
		to = t;
	}
	if (from != v)
		memcpy(v, from, n * sizeof(*v));
}
