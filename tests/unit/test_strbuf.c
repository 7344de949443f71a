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
	/* An embedded NUL is just a byte (comm never has one, but be total). */
	sb_reset(&sb);
	sb_append_escaped(&sb, "a\0b", 3, esc);
	assert_int_equal(sb.len, 3);
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_printf),
		cmocka_unit_test(test_escaping_and_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
