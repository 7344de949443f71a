/* strbuf.h - a growable byte buffer for building exposition text and pages.
 *
 * Appends never fail loudly: on allocation failure the buffer remembers it in
 * `failed` and ignores further appends, so a caller checks once at the end
 * instead of after every line.  sb_reset() keeps the allocation, so a buffer
 * reused pass after pass stops allocating once it has grown to size. */
#ifndef SOCKLIFE_STRBUF_H
#define SOCKLIFE_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;   /* NUL-terminated when len > 0 or after any append */
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed; contents are incomplete */
};

#define STRBUF_INIT {NULL, 0, 0, false}

void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_append(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append `n` bytes of untrusted text as valid UTF-8: every invalid sequence
 * becomes U+FFFD, and every ASCII byte b with esc[b] != NULL is replaced by
 * the string esc[b].  The escape table is the only thing that differs between
 * a Prometheus label value and HTML text. */
void sb_append_escaped(struct strbuf *sb, const char *s, size_t n, const char *const esc[128]);

#endif
