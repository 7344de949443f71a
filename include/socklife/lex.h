/* lex.h - the small lexer every /proc text parser is built on.
 *
 * /proc text is untrusted (a process names itself, a container names its
 * cgroups), and it is not NUL-terminated where we cut it, so everything here
 * works on spans: a pointer and a length, never reading past p + n, never
 * writing, never allocating.  Two kinds of function:
 *
 *   cursors  take `struct lex_span *rest`, hand out the next piece and
 *            advance rest past it (lines, words, tokens, cuts);
 *   tests    take a span by value and answer (prefix, suffix, equality,
 *            numbers), writing their result only on success.
 *
 * Lines end at '\n'; a last line without one still counts, an empty input
 * has no lines.  A '\r' is data, not a line end: /proc never writes one, and
 * leaving it in the line makes a number that ends a CRLF line fail to parse
 * instead of being silently accepted.  Words are split on blanks (' ' and
 * '\t') within a line, so take the line first.
 *
 * Numbers are unsigned, base 10 or 16 (either case), digits only: no sign,
 * no blanks, no "0x"; a value above UINT64_MAX is rejected, not clamped. */
#ifndef SOCKLIFE_LEX_H
#define SOCKLIFE_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lex_span {
	const char *p;
	size_t n;
};

static inline struct lex_span lex_span(const char *p, size_t n)
{
	return (struct lex_span){p, n};
}

/* The next line, without its '\n'.  False when rest is empty. */
bool lex_line(struct lex_span *rest, struct lex_span *line);

/* Split rest at its first `sep`: head is what comes before (maybe empty),
 * rest what comes after.  False, and rest untouched, when there is no sep,
 * so a stream reader can keep a partial line.  head must not be rest. */
bool lex_cut(struct lex_span *rest, char sep, struct lex_span *head);

/* The next word: blanks before it are skipped, runs of blanks are one
 * separator, and blanks at either end make no empty words.  False when
 * only blanks are left. */
bool lex_word(struct lex_span *rest, struct lex_span *word);

/* The same with `sep` as the separator ("/a//b/" gives "a", "b"). */
bool lex_token(struct lex_span *rest, char sep, struct lex_span *token);

/* Skip n words.  False when fewer are left. */
bool lex_skip(struct lex_span *rest, size_t n);

/* Up to max words of line into w[]; returns how many. */
size_t lex_words(struct lex_span line, struct lex_span *w, size_t max);

/* Whether s starts (ends) with the C string `fix`; if so and rest is not
 * NULL, *rest is s without it. */
bool lex_prefix(struct lex_span s, const char *fix, struct lex_span *rest);
bool lex_suffix(struct lex_span s, const char *fix, struct lex_span *rest);

/* Whether s is exactly the C string str. */
bool lex_eq(struct lex_span s, const char *str);

/* All of s as a number in `base` (2 to 16).  False on an empty span, a
 * byte that is not a digit, or overflow. */
bool lex_u64(struct lex_span s, unsigned base, uint64_t *out);

/* The next word as a number (rest moves past the word either way). */
bool lex_word_u64(struct lex_span *rest, unsigned base, uint64_t *out);

/* The number at the start of rest (at least one digit), for files where
 * something may follow it; rest is advanced past the digits. */
bool lex_lead_u64(struct lex_span *rest, unsigned base, uint64_t *out);

#endif
