/* fileio.h - the small reads of /proc and /proc/sys: one file, one
 * directory listing. */
#ifndef SOCKLIFE_FILEIO_H
#define SOCKLIFE_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Read file `name` relative to directory fd `dirfd` (AT_FDCWD for a plain
 * path) into buf, at most cap - 1 bytes, NUL-terminated.  Returns the
 * length or -errno. */
ssize_t read_small_at(int dirfd, const char *name, char *buf, size_t cap);

/* A walk of one directory with getdents64: no allocation, names only.
 * /proc directories hold tens of thousands of entries; one big buffer
 * reads them in a few system calls. */
struct dirwalk {
	int fd;          /* the directory, opened by the caller, not closed here */
	char *buf;
	size_t size;
	ssize_t got, off;
};

#define DIRWALK_BUF 32768

void dirwalk_start(struct dirwalk *w, int fd, char *buf, size_t size);

/* The next entry's name, "." and ".." and hidden names left out; NULL at
 * the end (*err = 0) or when reading failed (*err = -errno). */
const char *dirwalk_next(struct dirwalk *w, int *err);

#endif
