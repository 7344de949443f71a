/* test_webconfig.c - the exporter-toolkit web config subset. */
#include <socklife/webconfig.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define HASH "$2y$10$ImO0sfcRMxR6mXT3WYdGgeX9i3T.JlX391nhlRLBTC3ao/3k/b5MS"

static int parse(const char *text, struct web_config *wc, char *why)
{
	return webconfig_parse(text, strlen(text), wc, why, 256);
}

static void test_full(void **state)
{
	(void)state;
	struct web_config wc;
	char why[256];
	const char *text = "# comment\ntls_server_config:\n  cert_file: /c.pem\n  key_file: /k.pem\n"
			   "  min_version: TLS13\nbasic_auth_users:\n  prom: " HASH "\n"
			   "  \"grafana\": '" HASH "'\n";
	assert_int_equal(parse(text, &wc, why), 0);
	assert_string_equal(wc.cert_file, "/c.pem");
	assert_string_equal(wc.key_file, "/k.pem");
	assert_true(wc.tls13_only);
	assert_int_equal(wc.nusers, 2);
	assert_string_equal(wc.users[1].name, "grafana");
	assert_string_equal(wc.users[1].hash, HASH);
	webconfig_free(&wc);

	assert_int_equal(parse("basic_auth_users:\n  a: " HASH "\n", &wc, why), 0);
	assert_null(wc.cert_file);
	webconfig_free(&wc);
	assert_int_equal(parse("", &wc, why), 0); /* empty: nothing configured */
	webconfig_free(&wc);
}

static void expect_error(const char *text, const char *needle)
{
	struct web_config wc;
	char why[256] = "";
	assert_int_equal(parse(text, &wc, why), -EINVAL);
	assert_non_null(strstr(why, needle));
	assert_null(wc.users);
}

static void test_errors_name_the_problem(void **state)
{
	(void)state;
	expect_error("tls_server_config:\n  cert_file: /c.pem\n", "both cert_file and key_file");
	expect_error("tls_server_config:\n  certfile: /c.pem\n", "unsupported key tls_server_config.certfile");
	expect_error("tls_config:\n  a: b\n", "unknown section tls_config");
	expect_error("basic_auth_users:\n  u: plaintext\n", "not a bcrypt hash");
	expect_error("basic_auth_users:\n  u: " HASH "\n  u: " HASH "\n", "user listed twice");
	expect_error("basic_auth_users:\n  'a:b': " HASH "\n", "may not be empty or hold ':'");
	expect_error("tls_server_config:\n  min_version: TLS10\n", "min_version must be TLS12 or TLS13");
	expect_error("tls_server_config: [1, 2]\n", "lists and aliases");
	expect_error("basic_auth_users:\n  u: {x: y}\n", "nested too deep");
	expect_error("basic_auth_users:\n  u: \"unterminated\n", "line");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors_name_the_problem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
