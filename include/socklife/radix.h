/* radix.h - a stable sort of 64-bit keys by their high 32 bits.
 *
 * The bpf walk hands on every socket fd of the host, 190,000 and more,
 * and a socket held twice (fork, SCM_RIGHTS) must be found among them.  A
 * hash lookup per fd costs a cache miss each, since the walk's kernel
 * side sweeps the caches between records; sorting (inode << 32 | place)
 * keys afterwards touches two compact arrays only, in four sequential
 * passes at most, and leaves each socket's fds side by side in walk
 * order.  Pure: no I/O. */
#ifndef SOCKLIFE_RADIX_H
#define SOCKLIFE_RADIX_H

#include <stddef.h>
#include <stdint.h>

/* Sort v[0 .. n) by v[i] >> 32, keys of equal high halves keeping their
 * order, using scratch (room for n keys).  A byte all keys share costs no
 * pass. */
void radix_sort_hi32(uint64_t *v, uint64_t *scratch, size_t n);

#endif
