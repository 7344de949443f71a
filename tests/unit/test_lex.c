/* test_lex.c - the /proc lexer on its edges: empty input, missing final
 * newline, CRLF, separators at the ends, numbers at and past UINT64_MAX. */
#include <socklife/lex.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* A span over a string literal or array, without its NUL. */
#define S(str) lex_span((str), strlen(str))

static void assert_span(struct lex_span s, const char *want)
{
	assert_int_equal(s.n, strlen(want));
	assert_memory_equal(s.p, want, s.n);
}

static void test_lines(void **state)
{
	(void)state;
	struct lex_span rest = S(""), line;
	assert_false(lex_line(&rest, &line));
	rest = lex_span(NULL, 0); /* an empty read may come with no buffer */
	assert_false(lex_line(&rest, &line));

	rest = S("a\n\nlast");
	assert_true(lex_line(&rest, &line));
	assert_span(line, "a");
	assert_true(lex_line(&rest, &line));
	assert_span(line, ""); /* an empty line is a line */
	assert_true(lex_line(&rest, &line));
	assert_span(line, "last"); /* no final newline: still a line */
	assert_false(lex_line(&rest, &line));

	rest = S("one\n");
	assert_true(lex_line(&rest, &line));
	assert_span(line, "one");
	assert_false(lex_line(&rest, &line)); /* no empty line after the last '\n' */

	/* CRLF: the '\r' stays, so a number that ends the line is refused. */
	uint64_t v = 5;
	rest = S("12\r\n34");
	assert_true(lex_line(&rest, &line));
	assert_span(line, "12\r");
	assert_false(lex_u64(line, 10, &v));
	assert_int_equal(v, 5);
	assert_true(lex_line(&rest, &line));
	assert_span(line, "34");
}

static void test_cut(void **state)
{
	(void)state;
	struct lex_span rest = S(":a::b:"), head;
	assert_true(lex_cut(&rest, ':', &head));
	assert_span(head, ""); /* a separator at the start: an empty field */
	assert_true(lex_cut(&rest, ':', &head));
	assert_span(head, "a");
	assert_true(lex_cut(&rest, ':', &head));
	assert_span(head, "");
	assert_true(lex_cut(&rest, ':', &head));
	assert_span(head, "b");
	assert_span(rest, ""); /* ...and at the end: an empty rest */
	assert_false(lex_cut(&rest, ':', &head));

	/* No separator: false and nothing consumed, the partial-line case. */
	rest = S("partial");
	assert_false(lex_cut(&rest, '\n', &head));
	assert_span(rest, "partial");
	rest = lex_span(NULL, 0);
	assert_false(lex_cut(&rest, ':', &head));

	/* A cgroup line keeps the ':' inside its path. */
	rest = S("0::/a:b");
	assert_true(lex_cut(&rest, ':', &head) && lex_cut(&rest, ':', &head));
	assert_span(rest, "/a:b");
}

static void test_words_and_tokens(void **state)
{
	(void)state;
	struct lex_span rest = S(" \t a  b\tc \t"), w;
	assert_true(lex_word(&rest, &w));
	assert_span(w, "a");
	assert_true(lex_word(&rest, &w));
	assert_span(w, "b");
	assert_true(lex_word(&rest, &w));
	assert_span(w, "c");
	assert_false(lex_word(&rest, &w)); /* trailing blanks make no word */
	assert_int_equal(rest.n, 0);
	rest = S("");
	assert_false(lex_word(&rest, &w));
	rest = S("   ");
	assert_false(lex_word(&rest, &w));
	rest = S("a\rb");
	assert_true(lex_word(&rest, &w));
	assert_span(w, "a\rb"); /* only ' ' and '\t' are blanks */

	rest = S("//a//b/");
	assert_true(lex_token(&rest, '/', &w));
	assert_span(w, "a");
	assert_true(lex_token(&rest, '/', &w));
	assert_span(w, "b");
	assert_false(lex_token(&rest, '/', &w));
	rest = S("/");
	assert_false(lex_token(&rest, '/', &w));
}

static void test_skip_and_words(void **state)
{
	(void)state;
	struct lex_span rest = S("f3 f4 f5 f6"), w;
	assert_true(lex_skip(&rest, 0));
	assert_true(lex_skip(&rest, 2));
	assert_true(lex_word(&rest, &w));
	assert_span(w, "f5");
	assert_false(lex_skip(&rest, 2)); /* only one left */
	rest = S("");
	assert_true(lex_skip(&rest, 0));
	assert_false(lex_skip(&rest, 1));

	struct lex_span f[3];
	assert_int_equal(lex_words(S("  x y  z w "), f, 3), 3); /* stops at max */
	assert_span(f[0], "x");
	assert_span(f[2], "z");
	assert_int_equal(lex_words(S("one"), f, 3), 1);
	assert_int_equal(lex_words(S(" \t "), f, 3), 0);
	assert_int_equal(lex_words(S(""), f, 3), 0);
}

static void test_prefix_suffix_eq(void **state)
{
	(void)state;
	struct lex_span rest;
	assert_true(lex_prefix(S("socket:[12]"), "socket:[", &rest));
	assert_span(rest, "12]");
	assert_true(lex_suffix(rest, "]", &rest)); /* rest may be the input */
	assert_span(rest, "12");
	assert_true(lex_prefix(S("abc"), "abc", &rest));
	assert_span(rest, "");
	assert_true(lex_prefix(S("abc"), "", NULL));
	assert_true(lex_prefix(lex_span(NULL, 0), "", NULL));
	assert_false(lex_prefix(S("ab"), "abc", NULL)); /* longer than the span */
	assert_false(lex_prefix(S("xbc"), "abc", NULL));
	assert_true(lex_suffix(S("x.scope"), ".scope", NULL));
	assert_false(lex_suffix(S("scope"), ".scope", NULL));
	assert_false(lex_suffix(S("x.scopE"), ".scope", NULL));

	assert_true(lex_eq(S("TCP"), "TCP"));
	assert_false(lex_eq(S("TCPv6"), "TCP"));
	assert_false(lex_eq(S("TC"), "TCP"));
	assert_true(lex_eq(S(""), ""));
	assert_true(lex_eq(lex_span(NULL, 0), ""));
	/* A span is not a C string: a NUL inside it is just a byte. */
	assert_false(lex_eq(lex_span("a\0b", 3), "a"));
}

static void test_numbers(void **state)
{
	(void)state;
	uint64_t v = 0;
	assert_true(lex_u64(S("0"), 10, &v));
	assert_int_equal(v, 0);
	assert_true(lex_u64(S("00042"), 10, &v));
	assert_int_equal(v, 42);
	assert_true(lex_u64(S("18446744073709551615"), 10, &v));
	assert_true(v == UINT64_MAX);
	assert_true(lex_u64(S("ffffffffFFFFFFFF"), 16, &v));
	assert_true(v == UINT64_MAX);
	assert_true(lex_u64(S("00000000000000000000ffffffffffffffff"), 16, &v));
	assert_true(v == UINT64_MAX);
	assert_true(lex_u64(S("0100007F"), 16, &v));
	assert_int_equal(v, 0x0100007f);
	assert_true(lex_u64(S("0a0B"), 16, &v));
	assert_int_equal(v, 0xa0b);

	v = 7; /* failures leave the output alone */
	const char *bad10[] = {"", "18446744073709551616", "99999999999999999999999", "+1", "-1",
			       " 1", "1 ", "1a", "a", "0x10", "1\n"};
	for (size_t i = 0; i < sizeof(bad10) / sizeof(bad10[0]); i++)
		assert_false(lex_u64(S(bad10[i]), 10, &v));
	const char *bad16[] = {"", "10000000000000000", "+f", "-f", " f", "f ", "g", "0x1f", "1:2"};
	for (size_t i = 0; i < sizeof(bad16) / sizeof(bad16[0]); i++)
		assert_false(lex_u64(S(bad16[i]), 16, &v));
	assert_int_equal(v, 7);
	assert_false(lex_u64(lex_span(NULL, 0), 10, &v));
	/* A NUL ends nothing: "1\0" is not the number 1. */
	assert_false(lex_u64(lex_span("1\0", 2), 10, &v));
}

static void test_word_number(void **state)
{
	(void)state;
	uint64_t a = 0, b = 0;
	struct lex_span rest = S(" 32768\t60999 x");
	assert_true(lex_word_u64(&rest, 10, &a));
	assert_true(lex_word_u64(&rest, 10, &b));
	assert_int_equal(a, 32768);
	assert_int_equal(b, 60999);
	assert_false(lex_word_u64(&rest, 10, &a)); /* "x": moved past all the same */
	assert_int_equal(rest.n, 0);
	assert_false(lex_word_u64(&rest, 10, &a)); /* nothing left */
	assert_int_equal(a, 32768);
	rest = S("0A ff");
	assert_true(lex_word_u64(&rest, 16, &a) && lex_word_u64(&rest, 16, &b));
	assert_int_equal(a, 10);
	assert_int_equal(b, 255);
}

static void test_leading_number(void **state)
{
	(void)state;
	uint64_t v = 0;
	struct lex_span rest = S("262144\n");
	assert_true(lex_lead_u64(&rest, 10, &v));
	assert_int_equal(v, 262144);
	assert_span(rest, "\n");
	rest = S("12ab:x");
	assert_true(lex_lead_u64(&rest, 16, &v));
	assert_int_equal(v, 0x12ab);
	assert_span(rest, ":x");
	rest = S("18446744073709551615 more");
	assert_true(lex_lead_u64(&rest, 10, &v));
	assert_true(v == UINT64_MAX);

	v = 7;
	const char *bad[] = {"", "x1", "-1", "+1", " 1", "18446744073709551616x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rest = S(bad[i]);
		assert_false(lex_lead_u64(&rest, 10, &v));
		assert_span(rest, bad[i]); /* nothing consumed */
	}
	assert_int_equal(v, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_words_and_tokens),
		cmocka_unit_test(test_skip_and_words),
		cmocka_unit_test(test_prefix_suffix_eq),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_word_number),
		cmocka_unit_test(test_leading_number),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
