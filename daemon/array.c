/* array.c - geometric growth of heap arrays; see array.h. */
#include <socklife/array.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int array_reserve(void **p, size_t *cap, size_t want, size_t elem)
{
	if (want <= *cap)
		return 0;
	size_t n = *cap ? *cap : 64;
	while (n < want) {
		if (n > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		n *= 2;
	}
	void *q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}
