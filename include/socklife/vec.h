/* vec.h - a typed, growable array.
 *
 *   struct proc_vec VEC(struct proc_info);   // { struct proc_info *v; size_t n, cap; }
 *   struct proc_info *p = vec_push(&procs);  // NULL when memory runs out
 *
 * Tables socklife keeps between passes grow to the host's size once and are
 * then reused (vec_clear keeps the memory), so steady-state passes allocate
 * nothing; vec_trim and vec_reset give memory back after a peak. */
#ifndef SOCKLIFE_VEC_H
#define SOCKLIFE_VEC_H

#include <stddef.h>
#include <stdlib.h>

/* The body of a vector of T: declare one as `struct name VEC(T);`. */
#define VEC(T)                                                                                     \
	{                                                                                          \
		T *v;                                                                              \
		size_t n, cap;                                                                     \
	}

/* Make room for `want` elements of `elem` bytes at *v (capacity *cap),
 * doubling from 16.  Returns 0 or -ENOMEM (then nothing changed). */
int vec_grow(void **v, size_t *cap, size_t want, size_t elem);

/* Shrink the capacity to what `n` elements need when it is more than four
 * times that (a peak has passed).  Never fails: a refused shrink keeps the
 * memory. */
void vec_shrink(void **v, size_t *cap, size_t n, size_t elem);

#define vec_reserve(vec, want)                                                                     \
	vec_grow((void **)&(vec)->v, &(vec)->cap, (want), sizeof(*(vec)->v))

/* Append one element (uninitialised) and return it, or NULL. */
#define vec_push(vec) (vec_reserve((vec), (vec)->n + 1) ? NULL : &(vec)->v[(vec)->n++])

#define vec_clear(vec) ((vec)->n = 0)

#define vec_trim(vec) vec_shrink((void **)&(vec)->v, &(vec)->cap, (vec)->n, sizeof(*(vec)->v))

/* Empty a vector that is filled again every pass: the memory is kept, but
 * given back first when this use was a small part of it (vec_trim), so a
 * peak (100,000 sockets come and gone) does not stay resident.  Reset
 * where the count of the use just ended is still in n. */
#define vec_reset(vec) (vec_trim(vec), vec_clear(vec))

#define vec_free(vec) (free((vec)->v), (vec)->v = NULL, (vec)->n = (vec)->cap = 0)

#endif
