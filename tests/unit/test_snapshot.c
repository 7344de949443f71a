/* test_snapshot.c - copies, gzip (not zlib) format, reference counting. */
#include <socklife/snapshot.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

static void test_gzip_roundtrip(void **state)
{
	(void)state;
	struct strbuf m = STRBUF_INIT, p = STRBUF_INIT;
	for (int i = 0; i < 1000; i++)
		sb_printf(&m, "metric{i=\"%d\"} %d\n", i, i * 7);
	sb_puts(&p, "<html></html>");

	struct snapshot *s;
	assert_int_equal(snapshot_new(&s, &m, &p, 123.5), 0);
	assert_int_equal(s->metrics_len, m.len);
	assert_memory_equal(s->metrics, m.buf, m.len);
	assert_string_equal(s->page, "<html></html>");
	assert_true(s->taken_at == 123.5);
	/* gzip magic, not a zlib header: Content-Encoding: gzip means RFC 1952. */
	assert_int_equal(s->metrics_gz[0], 0x1f);
	assert_int_equal(s->metrics_gz[1], 0x8b);
	assert_true(s->metrics_gz_len < m.len / 4);

	z_stream zs = {0};
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	unsigned char *back = malloc(m.len + 1);
	zs.next_in = s->metrics_gz;
	zs.avail_in = (uInt)s->metrics_gz_len;
	zs.next_out = back;
	zs.avail_out = (uInt)m.len + 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, m.len);
	assert_memory_equal(back, m.buf, m.len);
	inflateEnd(&zs);
	free(back);

	/* Two more holders; the memory lives until the last one lets go
	 * (ASan and valgrind check that nothing leaks or is freed early). */
	snapshot_ref(s);
	snapshot_ref(s);
	snapshot_unref(s);
	snapshot_unref(s);
	assert_int_equal(atomic_load(&s->refs), 1);
	snapshot_unref(s);
	sb_free(&m);
	sb_free(&p);
}

static void test_empty_and_failed(void **state)
{
	(void)state;
	struct strbuf m = STRBUF_INIT, p = STRBUF_INIT;
	struct snapshot *s;
	assert_int_equal(snapshot_new(&s, &m, &p, 0), 0);
	assert_int_equal(s->metrics_len, 0);
	assert_string_equal(s->metrics, "");
	snapshot_unref(s);
	m.failed = true;
	assert_int_equal(snapshot_new(&s, &m, &p, 0), -12 /* ENOMEM */);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_roundtrip),
		cmocka_unit_test(test_empty_and_failed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
