/* fileio.c - small file reads and directory walks; see fileio.h. */
#include <socklife/fileio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

ssize_t read_small_at(int dirfd, const char *name, char *buf, size_t cap)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	while (len < cap - 1) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

void dirwalk_start(struct dirwalk *w, int fd, char *buf, size_t size)
{
	*w = (struct dirwalk){fd, buf, size, 0, 0};
}

const char *dirwalk_next(struct dirwalk *w, int *err)
{
	*err = 0;
	for (;;) {
		if (w->off >= w->got) {
			w->got = getdents64(w->fd, w->buf, w->size);
			w->off = 0;
			if (w->got <= 0) {
				*err = w->got < 0 ? -errno : 0;
				w->got = 0;
				return NULL;
			}
		}
		const struct dirent64 *de = (const struct dirent64 *)(w->buf + w->off);
		w->off += de->d_reclen;
		if (de->d_name[0] != '.')
			return de->d_name;
	}
}
