/* fileio.h - read the small text files of /proc and /proc/sys. */
#ifndef SOCKLIFE_FILEIO_H
#define SOCKLIFE_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Read file `name` relative to directory fd `dirfd` (AT_FDCWD for a plain
 * path) into buf, at most cap - 1 bytes, NUL-terminated.  Returns the
 * length or -errno. */
ssize_t read_small_at(int dirfd, const char *name, char *buf, size_t cap);

#endif
