/* array.h - grow a heap array geometrically.
 *
 * Every table socklife keeps between passes grows to the host's size once
 * and is then reused, so steady-state passes allocate nothing. */
#ifndef SOCKLIFE_ARRAY_H
#define SOCKLIFE_ARRAY_H

#include <stddef.h>

/* Make *p (of *cap elements of `elem` bytes) hold at least `want`
 * elements, doubling from 64.  Returns 0 or -ENOMEM (then *p is unchanged). */
int array_reserve(void **p, size_t *cap, size_t want, size_t elem);

#endif
