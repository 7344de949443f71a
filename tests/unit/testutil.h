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

/* A process in a fake proc tree at `root`: stat (comm, start time) and
 * limits (soft "Max open files", a number or "unlimited"), an empty fd/. */
static inline void tu_proc(const char *root, int pid, const char *comm, unsigned long long start,
			   const char *limit)
{
	char buf[512];
	tu_mkdirs("%s/%d/fd", root, pid);
	tu_mkdirs("%s/%d/ns", root, pid);
	int n = snprintf(buf, sizeof(buf),
			 "%d (%s) S 1 %d %d 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 %llu "
			 "1000000 200 18446744073709551615\n",
			 pid, comm, pid, pid, start);
	tu_write(buf, (size_t)n, "%s/%d/stat", root, pid);
	n = snprintf(buf, sizeof(buf),
		     "Limit                     Soft Limit           Hard Limit           Units     \n"
		     "Max cpu time              unlimited            unlimited            seconds   \n"
		     "Max open files            %-20s 524288               files     \n",
		     limit);
	tu_write(buf, (size_t)n, "%s/%d/limits", root, pid);
}

/* fd `fd` of `pid` pointing at `target`, replacing what was there. */
static inline void tu_fd(const char *root, int pid, int fd, const char *target)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%d/fd/%d", root, pid, fd);
	unlink(path);
	tu_symlink(target, "%s", path);
}

/* The same for a socket: "socket:[inode]"; inode 0 makes it /dev/null. */
static inline void tu_socket_fd(const char *root, int pid, int fd, unsigned inode)
{
	char target[32];
	snprintf(target, sizeof(target), inode ? "socket:[%u]" : "/dev/null", inode);
	tu_fd(root, pid, fd, target);
}

#endif
