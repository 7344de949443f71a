/* test_caps.c - capability names, and dropping to exactly three in a child
 * (the test process keeps its own). */
#include <socklife/caps.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static unsigned long long status_hex(const char *key)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/self/status", "r");
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtoull(line + strlen(key) + 1, NULL, 16);
	fclose(f);
	return v;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(caps_name(SL_CAP_SYS_PTRACE), "cap_sys_ptrace");
	assert_string_equal(caps_name(SL_CAP_DAC_READ_SEARCH), "cap_dac_read_search");
	assert_string_equal(caps_name(SL_CAP_SYS_ADMIN), "cap_sys_admin");
}

static void test_restrict_in_a_child(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip(); /* only root has capabilities to drop */
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char why[256];
		if (caps_restrict(NULL, why, sizeof(why)) < 0)
			_exit(10);
		const unsigned long long want = (1ULL << 2) | (1ULL << 19) | (1ULL << 21);
		if (status_hex("CapEff:") != want || status_hex("CapPrm:") != want ||
		    status_hex("CapBnd:") != want || status_hex("CapInh:") != 0)
			_exit(11);
		struct caps_state c;
		caps_read(&c);
		if (!c.held[0] || !c.held[1] || !c.held[2])
			_exit(12);
		/* A second call finds nothing to do and makes no call at all. */
		if (caps_restrict(NULL, why, sizeof(why)) < 0)
			_exit(13);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_restrict_in_a_child),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
