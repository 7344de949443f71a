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

/* Untrusted text (a process's name, a namespace's) is shown everywhere as
 * valid UTF-8 without control characters: every invalid sequence, and
 * every C0 control, DEL and C1 control (U+0080..U+009F), becomes U+FFFD.
 *
 * Append `n` bytes of untrusted text so: every ASCII byte b with esc[b] !=
 * NULL is replaced by the string esc[b] (a control with an escape of its
 * own keeps it).  The escape table is the only thing that differs between
 * a Prometheus label value and HTML text. */
void sb_append_escaped(struct strbuf *sb, const char *s, size_t n, const char *const esc[128]);

/* The same text, unescaped, into `out` (at most cap - 1 bytes and a NUL,
 * cut at a character's boundary); returns its length.  Texts that show
 * alike give equal results: group by it, and no two groups can share a
 * label value. */
size_t sb_sanitize(char *out, size_t cap, const char *s, size_t n);

/* Does `s` show as it is (valid UTF-8, no control character)? */
bool sb_is_sane(const char *s, size_t n);

#endif
