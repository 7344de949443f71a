/* testutil.h - helpers shared by the unit tests: a throwaway directory tree
 * for fake /proc roots.  Header-only so each test stays one file. */
#ifndef SOCKLIFE_TESTUTIL_H
#define SOCKLIFE_TESTUTIL_H

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Create a fresh temporary directory in buf (64 bytes). */
static inline char *tu_mkdtemp(char buf[64])
{
	snprintf(buf, 64, "/tmp/socklife-test-XXXXXX");
	return mkdtemp(buf);
}

/* mkdir -p for path built from fmt. */
static inline void tu_mkdirs(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	for (char *p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

static inline void tu_write(const char *content, size_t len, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		abort();
	}
	fwrite(content, 1, len, f);
	fclose(f);
}

static inline void tu_symlink(const char *target, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (symlink(target, path) != 0) {
		perror(path);
		abort();
	}
}

static int tu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static inline void tu_rmtree(const char *path)
{
	nftw(path, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
