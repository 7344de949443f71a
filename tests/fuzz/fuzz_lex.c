/* fuzz_lex.c - the /proc lexer on arbitrary bytes: lines, then words,
 * ':' cuts and '/' tokens of each line, then every word as a number in
 * base 10 and 16.  Aborts when a span leaves the input, when a line or
 * word breaks the rules in lex.h, or when a number disagrees with a slow
 * reference parser or does not print back to its own digits. */
#include <socklife/lex.h>

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *lo, *hi; /* the input */

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void inside(struct lex_span s)
{
	check(s.n == 0 || (s.p >= lo && s.p <= hi && s.n <= (size_t)(hi - s.p)));
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The slow way: digits only, value with 128 bits, then the range. */
static bool reference(struct lex_span s, unsigned base, uint64_t *out)
{
	unsigned __int128 v = 0;
	if (s.n == 0)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		const char *digits = "0123456789abcdef", *at;
		char c = s.p[i] >= 'A' && s.p[i] <= 'F' ? (char)(s.p[i] - 'A' + 'a') : s.p[i];
		if (c == '\0' || !(at = strchr(digits, c)) || (unsigned)(at - digits) >= base)
			return false;
		v = v * base + (unsigned)(at - digits);
		if (v > UINT64_MAX)
			return false;
	}
	*out = (uint64_t)v;
	return true;
}

/* A parsed number prints back as its digits without leading zeros
 * (and in lower case for hex). */
static void number(struct lex_span w, unsigned base)
{
	uint64_t v = 0, ref = 0;
	bool ok = lex_u64(w, base, &v);
	check(ok == reference(w, base, &ref));
	if (!ok)
		return;
	check(v == ref);
	char text[32];
	int n = snprintf(text, sizeof(text), base == 10 ? "%" PRIu64 : "%" PRIx64, v);
	size_t z = 0;
	while (z + 1 < w.n && w.p[z] == '0')
		z++;
	check((size_t)n == w.n - z);
	for (int i = 0; i < n; i++)
		check(text[i] == (w.p[z + i] >= 'A' && w.p[z + i] <= 'F' ? w.p[z + i] - 'A' + 'a'
									 : w.p[z + i]));

	/* The same digits with something after them: the leading number. */
	struct lex_span rest = w;
	uint64_t lead;
	check(lex_lead_u64(&rest, base, &lead) && lead == v && rest.n == 0);
}

static void words(struct lex_span line)
{
	struct lex_span rest = line, w, f[4];
	size_t count = 0;
	while (lex_word(&rest, &w)) {
		inside(w);
		check(w.n > 0 && !blank(w.p[0]) && !blank(w.p[w.n - 1]));
		check(memchr(w.p, ' ', w.n) == NULL && memchr(w.p, '\t', w.n) == NULL);
		check(lex_eq(w, "") == false);
		number(w, 10);
		number(w, 16);
		count++;
	}
	check(rest.n == 0);
	size_t got = lex_words(line, f, 4);
	check(got == (count < 4 ? count : 4));
	rest = line;
	check(lex_skip(&rest, count) && !lex_skip(&rest, 1));
}

static void cuts(struct lex_span line)
{
	struct lex_span rest = line, head;
	size_t total = 0;
	while (lex_cut(&rest, ':', &head)) {
		inside(head);
		inside(rest);
		check(head.n == 0 || memchr(head.p, ':', head.n) == NULL);
		check(head.p + head.n + 1 == rest.p);
		total += head.n + 1;
	}
	check(total + rest.n == line.n); /* nothing lost, nothing made up */
	check(rest.n == 0 || memchr(rest.p, ':', rest.n) == NULL);

	rest = line;
	while (lex_token(&rest, '/', &head)) {
		inside(head);
		check(head.n > 0 && memchr(head.p, '/', head.n) == NULL);
	}
}

/* A prefix and suffix taken from the line itself must match it. */
static void fixes(struct lex_span line)
{
	char fix[9];
	size_t k = 0;
	while (k < line.n && k < 8 && line.p[k] != '\0')
		fix[k] = line.p[k], k++;
	fix[k] = '\0';
	struct lex_span rest;
	check(lex_prefix(line, fix, &rest) && rest.n == line.n - k);
	check(lex_eq(line, fix) == (line.n == k));
	if (memchr(line.p, '\0', line.n) == NULL && line.n >= k) {
		memcpy(fix, line.p + line.n - k, k);
		check(lex_suffix(line, fix, &rest) && rest.n == line.n - k && rest.p == line.p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lex_span all = lex_span((const char *)data, size), line;
	size_t seen = 0, lines = 0;
	lo = all.p;
	hi = all.p + size;
	while (lex_line(&all, &line)) {
		inside(line);
		check(line.n == 0 || memchr(line.p, '\n', line.n) == NULL);
		seen += line.n;
		lines++;
		words(line);
		cuts(line);
		fixes(line);
	}
	/* Every byte is in a line or is the '\n' ending one. */
	size_t nl = 0;
	for (size_t i = 0; i < size; i++)
		nl += data[i] == '\n';
	check(seen + nl == size);
	check(lines == nl + (size && data[size - 1] != '\n'));
	return 0;
}
