/* test_strbuf.c - growth, printf, and UTF-8-safe escaping. */
#include <socklife/strbuf.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const char *const esc[128] = {['"'] = "\\\"", ['\n'] = "\\n"};

static const char *escaped(struct strbuf *sb, const char *s, size_t n)
{
	sb_reset(sb);
	sb_append_escaped(sb, s, n, esc);
	return sb->buf;
}

static void test_append_and_printf(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	sb_puts(&sb, "a");
	sb_putc(&sb, 'b');
	sb_printf(&sb, "%d-%s", 42, "x");
	assert_string_equal(sb.buf, "ab42-x");
	/* A printf longer than the small stack buffer. */
	char big[1000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sb_printf(&sb, "%s!", big);
	assert_int_equal(sb.len, 6 + 999 + 1);
	assert_int_equal(sb.buf[sb.len - 1], '!');
	size_t cap = sb.cap;
	sb_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, cap);
	assert_false(sb.failed);
	sb_free(&sb);
}

static void test_escaping_and_utf8(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	assert_string_equal(escaped(&sb, "plain", 5), "plain");
	assert_string_equal(escaped(&sb, "a\"b\nc", 5), "a\\\"b\\nc");
	/* Valid multi-byte UTF-8 passes unchanged. */
	assert_string_equal(escaped(&sb, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
			    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* Each invalid byte becomes U+FFFD. */
	assert_string_equal(escaped(&sb, "a\xff" "b", 3), "a\xef\xbf\xbd" "b");
	/* Truncated sequence at the end. */
	assert_string_equal(escaped(&sb, "x\xe2\x82", 3), "x\xef\xbf\xbd\xef\xbf\xbd");
	/* Overlong '/', a UTF-16 surrogate, and a code point past U+10FFFF. */
	assert_string_equal(escaped(&sb, "\xc0\xaf", 2), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(escaped(&sb, "\xed\xa0\x80", 3), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(escaped(&sb, "\xf4\x90\x80\x80", 4),
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* An embedded NUL is a control character too (comm never has one, but
	 * be total). */
	sb_reset(&sb);
	sb_append_escaped(&sb, "a\0b", 3, esc);
	assert_int_equal(sb.len, 5);
	sb_free(&sb);
}

/* Control characters never pass: C0 (ESC moves a terminal's cursor), DEL
 * and C1 (U+009B is a CSI to some terminals) become U+FFFD, unless the
 * table has an escape of their own (the newline above). */
static void test_control_characters(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	assert_string_equal(escaped(&sb, "\x1b[2Jx", 5), "\xef\xbf\xbd[2Jx");
	assert_string_equal(escaped(&sb, "\x01\t\r\x1f\x7f", 5),
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(escaped(&sb, "\xc2\x9b" "1m\xc2\x80\xc2\x9f\xc2\xa0", 10),
			    "\xef\xbf\xbd" "1m\xef\xbf\xbd\xef\xbf\xbd\xc2\xa0"); /* NBSP stays */
	assert_string_equal(escaped(&sb, "~ \x7e", 3), "~ ~");
	sb_free(&sb);

	/* The same text into a fixed buffer: what a group is keyed by. */
	char out[16];
	assert_int_equal(sb_sanitize(out, sizeof(out), "a\xff\x1b", 3), 7);
	assert_string_equal(out, "a\xef\xbf\xbd\xef\xbf\xbd");
	char a[16], b[16];
	sb_sanitize(a, sizeof(a), "x\xfe", 2);
	sb_sanitize(b, sizeof(b), "x\x1b", 2);
	assert_string_equal(a, b);
	/* Cut at a character's boundary, never inside one. */
	assert_int_equal(sb_sanitize(out, 6, "ab\xff\xff", 4), 5);
	assert_string_equal(out, "ab\xef\xbf\xbd");
	assert_int_equal(sb_sanitize(out, 4, "\xc3\xa9\xc3\xa9", 4), 2);
	assert_true(sb_is_sane("caf\xc3\xa9", 5));
	assert_false(sb_is_sane("a\tb", 3));
	assert_false(sb_is_sane("a\xff", 2));
	assert_false(sb_is_sane("\xc2\x85", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_printf),
		cmocka_unit_test(test_escaping_and_utf8),
		cmocka_unit_test(test_control_characters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
