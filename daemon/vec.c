/* vec.c - geometric growth of typed arrays; see vec.h. */
#include <socklife/vec.h>

#include <errno.h>
#include <stdint.h>

int vec_grow(void **v, size_t *cap, size_t want, size_t elem)
{
	if (want <= *cap)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < want) {
		if (n > SIZE_MAX / 2 / elem)
			return -ENOMEM;
		n *= 2;
	}
	void *p = realloc(*v, n * elem);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = n;
	return 0;
}

void vec_shrink(void **v, size_t *cap, size_t n, size_t elem)
{
	if (*cap <= 64 || *cap / 4 <= n)
		return;
	size_t want = n < 16 ? 16 : n * 2;
	void *p = realloc(*v, want * elem);
	if (p) {
		*v = p;
		*cap = want;
	}
}
