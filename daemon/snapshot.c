/* snapshot.c - immutable published data, and its gzip copy. */
#include <socklife/snapshot.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* gzip (RFC 1952, not zlib format) `len` bytes into a new buffer. */
static int gzip_compress(const void *in, size_t len, unsigned char **out, size_t *out_len)
{
	z_stream zs = {0};

	/* windowBits 15 + 16 asks zlib for a gzip header and trailer; plain 15
	 * would be the zlib format, which "Content-Encoding: gzip" is not. */
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -EIO;
	size_t cap = deflateBound(&zs, (uLong)len);
	unsigned char *buf = malloc(cap);
	if (!buf) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)cap;
	int rc = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*out_len = zs.total_out;
	return 0;
}

int snapshot_new(struct snapshot **out, const struct strbuf *metrics, const struct strbuf *page,
		 double taken_at)
{
	if (metrics->failed || page->failed)
		return -ENOMEM;
	struct snapshot *s = malloc(sizeof(*s) + metrics->len + 1 + page->len + 1);
	if (!s)
		return -ENOMEM;
	atomic_init(&s->refs, 1);
	s->metrics = (char *)(s + 1);
	s->metrics_len = metrics->len;
	memcpy(s->metrics, metrics->len ? metrics->buf : "", metrics->len + 1);
	s->page = s->metrics + metrics->len + 1;
	s->page_len = page->len;
	memcpy(s->page, page->len ? page->buf : "", page->len + 1);
	s->taken_at = taken_at;
	s->failed_stage = -1;
	s->failed_errno = 0;
	int err = gzip_compress(s->metrics, s->metrics_len, &s->metrics_gz, &s->metrics_gz_len);
	if (err) {
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void snapshot_unref(struct snapshot *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
		free(s->metrics_gz);
		free(s);
	}
}
