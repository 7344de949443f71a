/* fuzz_labels.c - a label value and the small text parsers on arbitrary
 * bytes.  An escaped label value must be valid UTF-8 with no raw quote,
 * backslash or control character: one bad byte would fail a whole scrape. */
#include <socklife/duration.h>
#include <socklife/http.h>
#include <socklife/listen.h>
#include <socklife/render.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_utf8_escaped(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
				  : (c & 0xf8) == 0xf0		   ? 4 : 0;
		if (!len || i + len > n)
			abort();
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				abort();
		if (c == '\n' || (c == '"' && (i == 0 || s[i - 1] != '\\')))
			abort();
		/* no control character: C0, DEL, C1 (U+0080..U+009F) */
		if (c < 0x20 || c == 0x7f || (c == 0xc2 && s[i + 1] < 0xa0))
			abort();
		i += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf sb = STRBUF_INIT;
	render_label_value(&sb, (const char *)data, size);
	if (!sb.failed && sb.len)
		check_utf8_escaped((const unsigned char *)sb.buf, sb.len);
	sb_free(&sb);

	char text[512];
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	double d;
	duration_parse(text, &d);
	http_accepts_gzip(text);
	char host[LISTEN_HOST_MAX], port[LISTEN_PORT_MAX];
	listen_parse(text, host, port);
	return 0;
}
