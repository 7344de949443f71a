/* lex.c - spans, lines, words and numbers for the /proc parsers; see lex.h. */
#include <socklife/lex.h>

#include <string.h>

/* Every digit's value plus one, so that the zero of every other byte reads
 * as "no digit" in any base (value - 1 wraps to UINT_MAX). */
static const unsigned char digit1[256] = {
	['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Drop the first k bytes.  k == 0 is a no-op, so an empty span built from
 * a NULL pointer is never offset (that is undefined even by zero). */
static void drop(struct lex_span *s, size_t k)
{
	if (k) {
		s->p += k;
		s->n -= k;
	}
}

bool lex_cut(struct lex_span *rest, char sep, struct lex_span *head)
{
	const char *at = rest->n ? memchr(rest->p, sep, rest->n) : NULL;
	if (!at)
		return false;
	*head = lex_span(rest->p, (size_t)(at - rest->p));
	drop(rest, head->n + 1);
	return true;
}

bool lex_line(struct lex_span *rest, struct lex_span *line)
{
	if (!rest->n)
		return false;
	if (!lex_cut(rest, '\n', line)) {
		*line = *rest;
		drop(rest, rest->n);
	}
	return true;
}

/* The next run of bytes that are neither a nor b, skipping runs that are;
 * words pass (' ', '\t'), tokens pass their separator twice. */
static bool run(struct lex_span *rest, char a, char b, struct lex_span *out)
{
	const char *p = rest->p;
	size_t i = 0, n = rest->n;
	while (i < n && (p[i] == a || p[i] == b))
		i++;
	size_t start = i;
	while (i < n && p[i] != a && p[i] != b)
		i++;
	drop(rest, i);
	if (i == start)
		return false;
	*out = lex_span(p + start, i - start);
	return true;
}

bool lex_word(struct lex_span *rest, struct lex_span *word)
{
	return run(rest, ' ', '\t', word);
}

bool lex_token(struct lex_span *rest, char sep, struct lex_span *token)
{
	return run(rest, sep, sep, token);
}

bool lex_skip(struct lex_span *rest, size_t n)
{
	struct lex_span w;
	while (n--)
		if (!lex_word(rest, &w))
			return false;
	return true;
}

size_t lex_words(struct lex_span line, struct lex_span *w, size_t max)
{
	size_t k = 0;
	while (k < max && lex_word(&line, &w[k]))
		k++;
	return k;
}

bool lex_prefix(struct lex_span s, const char *fix, struct lex_span *rest)
{
	size_t k = strlen(fix);
	if (s.n < k || (k && memcmp(s.p, fix, k) != 0))
		return false;
	if (rest) {
		*rest = s;
		drop(rest, k);
	}
	return true;
}

bool lex_suffix(struct lex_span s, const char *fix, struct lex_span *rest)
{
	size_t k = strlen(fix);
	if (s.n < k || (k && memcmp(s.p + s.n - k, fix, k) != 0))
		return false;
	if (rest)
		*rest = lex_span(s.p, s.n - k);
	return true;
}

bool lex_eq(struct lex_span s, const char *str)
{
	return s.n == strlen(str) && lex_prefix(s, str, NULL);
}

bool lex_lead_u64(struct lex_span *rest, unsigned base, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < rest->n; i++) {
		unsigned d = digit1[(unsigned char)rest->p[i]] - 1u;
		if (d >= base)
			break;
		/* One multiply and add with the carry checked: cheaper than
		 * dividing to test the bound, and exact at UINT64_MAX. */
		if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
			return false;
	}
	if (i == 0)
		return false;
	drop(rest, i);
	*out = v;
	return true;
}

bool lex_u64(struct lex_span s, unsigned base, uint64_t *out)
{
	uint64_t v;
	if (!lex_lead_u64(&s, base, &v) || s.n)
		return false;
	*out = v;
	return true;
}

bool lex_word_u64(struct lex_span *rest, unsigned base, uint64_t *out)
{
	struct lex_span w;
	return lex_word(rest, &w) && lex_u64(w, base, out);
}
