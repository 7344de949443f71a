/* test_config.c - the option table: defaults, values, errors, help. */
#include <socklife/config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char outbuf[8192], errbuf[1024];

static enum config_result parse(struct config *c, int argc, const char **argv)
{
	FILE *out = fmemopen(outbuf, sizeof(outbuf), "w");
	FILE *err = fmemopen(errbuf, sizeof(errbuf), "w");
	memset(outbuf, 0, sizeof(outbuf));
	memset(errbuf, 0, sizeof(errbuf));
	enum config_result r = config_parse(c, argc, (char **)argv, out, err);
	fclose(out);
	fclose(err);
	return r;
}

static void test_defaults(void **state)
{
	(void)state;
	struct config c;
	const char *argv[] = {"socklife", NULL};
	assert_int_equal(parse(&c, 1, argv), CONFIG_RUN);
	assert_string_equal(c.listen_address, ":9917");
	assert_float_equal(c.interval, 15, 1e-9);
	assert_int_equal(c.group_by, GROUP_BY_COMM);
	assert_false(c.once);
	assert_string_equal(c.proc_root, "/proc");
	assert_int_equal(c.web_max_connections, 64);
	assert_int_equal(c.web_max_connections_per_ip, 8);
	assert_float_equal(c.web_timeout, 10, 1e-9);
	assert_float_equal(config_stale_after(&c), 45, 1e-9);
}

static void test_values(void **state)
{
	(void)state;
	struct config c;
	const char *argv[] = {"socklife", "--listen", "[::1]:9000", "-i", "250ms", "--group-by=pid",
			      "--once", "--proc-root", "/tmp/p", "--web.max-connections", "10", NULL};
	assert_int_equal(parse(&c, 11, argv), CONFIG_RUN);
	assert_string_equal(c.listen_address, "[::1]:9000");
	assert_float_equal(c.interval, 0.25, 1e-9);
	assert_int_equal(c.group_by, GROUP_BY_PID);
	assert_true(c.once);
	assert_string_equal(c.proc_root, "/tmp/p");
	assert_int_equal(c.web_max_connections, 10);
	assert_float_equal(config_stale_after(&c), 5, 1e-9); /* floor */

	const char *argv2[] = {"socklife", "--web.listen-address=127.0.0.1:1", NULL};
	assert_int_equal(parse(&c, 2, argv2), CONFIG_RUN);
	assert_string_equal(c.listen_address, "127.0.0.1:1");
}

static void expect_usage(const char **argv, int argc, const char *needle)
{
	struct config c;
	assert_int_equal(parse(&c, argc, argv), CONFIG_USAGE);
	assert_non_null(strstr(errbuf, needle));
	/* Exactly one line. */
	assert_non_null(strchr(errbuf, '\n'));
	assert_int_equal(strchr(errbuf, '\n')[1], '\0');
}

static void test_errors(void **state)
{
	(void)state;
	const char *a1[] = {"socklife", "--bogus", NULL};
	expect_usage(a1, 2, "unknown flag --bogus");
	const char *a2[] = {"socklife", "--interval", "soon", NULL};
	expect_usage(a2, 3, "--interval soon");
	const char *a3[] = {"socklife", "--group-by", "cgroup", NULL};
	expect_usage(a3, 3, "comm or pid");
	const char *a4[] = {"socklife", "--listen", "::1:80", NULL};
	expect_usage(a4, 3, "--listen");
	const char *a5[] = {"socklife", "--interval", NULL};
	expect_usage(a5, 2, "missing value");
	const char *a6[] = {"socklife", "extra", NULL};
	expect_usage(a6, 2, "unexpected argument");
	const char *a7[] = {"socklife", "--listen", "host:99999", NULL};
	expect_usage(a7, 3, "--listen");
	const char *a8[] = {"socklife", "--web.max-connections", "0", NULL};
	expect_usage(a8, 3, "whole number");
}

static void test_help_and_version(void **state)
{
	(void)state;
	struct config c;
	const char *h[] = {"socklife", "--help", NULL};
	assert_int_equal(parse(&c, 2, h), CONFIG_EXIT);
	/* Every flag of the table and its default appear. */
	const char *flags[] = {"--web.listen-address", "--listen", "--interval", "--group-by",
			       "--once", "--proc-root", "--version", "(default 15s)", NULL};
	for (const char **f = flags; *f; f++)
		assert_non_null(strstr(outbuf, *f));
	/* Readable at 80 columns. */
	for (char *line = strtok(outbuf, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(strlen(line) <= 80);

	const char *v[] = {"socklife", "-V", NULL};
	assert_int_equal(parse(&c, 2, v), CONFIG_EXIT);
	assert_non_null(strstr(outbuf, "socklife " SOCKLIFE_VERSION));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help_and_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
