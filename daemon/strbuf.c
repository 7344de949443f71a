/* strbuf.c - growable buffer; see strbuf.h for the failure model. */
#include <socklife/strbuf.h>

#include <socklife/vec.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	*sb = (struct strbuf)STRBUF_INIT;
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->failed = false;
	if (sb->buf)
		sb->buf[0] = '\0';
}

/* Make room for `extra` more bytes plus the terminating NUL. */
static bool grow(struct strbuf *sb, size_t extra)
{
	if (sb->failed)
		return false;
	if (extra > SIZE_MAX - sb->len - 1 ||
	    vec_grow((void **)&sb->buf, &sb->cap, sb->len + extra + 1, 1) < 0) {
		sb->failed = true;
		return false;
	}
	return true;
}

void sb_append(struct strbuf *sb, const char *s, size_t n)
{
	if (!grow(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_puts(struct strbuf *sb, const char *s) { sb_append(sb, s, strlen(s)); }

void sb_putc(struct strbuf *sb, char c) { sb_append(sb, &c, 1); }

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char small[256];

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_append(sb, small, (size_t)n);
		return;
	}
	if (!grow(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if the
 * bytes there are not one: overlong forms, surrogates and code points above
 * U+10FFFF are all invalid (RFC 3629). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Control characters (C0, DEL, C1) move terminals' cursors, end lines in
 * logs and legends, and are invisible where shown: no output ever holds
 * one, however well formed. */
static bool is_control(const unsigned char *p, size_t len)
{
	return (len == 1 && (p[0] < 0x20 || p[0] == 0x7f)) ||
	       (len == 2 && p[0] == 0xc2 && p[1] < 0xa0); /* U+0080..U+009F */
}

/* The next piece of untrusted text at p (n bytes left): its length, and
 * whether it shows as U+FFFD (an invalid byte, or a control character
 * without an escape of its own). */
static size_t next_piece(const unsigned char *p, size_t n, const char *const esc[128],
			 bool *replaced)
{
	size_t len = utf8_seq_len(p, n);
	*replaced = len == 0 || (is_control(p, len) && !(len == 1 && esc && esc[p[0]]));
	return len ? len : 1;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void sb_append_escaped(struct strbuf *sb, const char *s, size_t n, const char *const esc[128])
{
	const unsigned char *p = (const unsigned char *)s;
	bool replaced;

	for (size_t i = 0, len; i < n; i += len) {
		len = next_piece(p + i, n - i, esc, &replaced);
		if (replaced)
			sb_append(sb, replacement, 3);
		else if (len == 1 && esc[p[i]])
			sb_puts(sb, esc[p[i]]);
		else
			sb_append(sb, s + i, len);
	}
}

size_t sb_sanitize(char *out, size_t cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	bool replaced;

	for (size_t i = 0, len; i < n; i += len) {
		len = next_piece(p + i, n - i, NULL, &replaced);
		const char *piece = replaced ? replacement : s + i;
		size_t plen = replaced ? 3 : len;
		if (o + plen >= cap)
			break; /* cut at a character's boundary */
		memcpy(out + o, piece, plen);
		o += plen;
	}
	if (cap)
		out[o] = '\0';
	return o;
}

bool sb_is_sane(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	bool replaced;
	for (size_t i = 0, len; i < n; i += len) {
		len = next_piece(p + i, n - i, NULL, &replaced);
		if (replaced)
			return false;
	}
	return true;
}
