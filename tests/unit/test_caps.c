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
#include <sys/capability.h>
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
	assert_string_equal(caps_name(SL_CAP_BPF), "cap_bpf");
}

/* Drop CAP_SYS_ADMIN (21) from every set, as a unit without it would. */
static int without_sys_admin(void)
{
	cap_t c = cap_get_proc();
	cap_value_t v = CAP_SYS_ADMIN;
	int rc = !c || cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) ||
		 cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_CLEAR) || cap_set_proc(c);
	cap_free(c);
	return rc;
}

/* Restrict in a child (the test process keeps its own): with the bpf
 * source and without CAP_SYS_ADMIN, CAP_BPF (39) stays too; otherwise it
 * goes (CAP_SYS_ADMIN does all it would). */
static void restrict_in_a_child(bool bpf)
{
	if (geteuid() != 0) {
		skip(); /* only root has capabilities to drop */
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char why[256];
		if (bpf && without_sys_admin())
			_exit(9);
		if (caps_restrict(NULL, bpf, why, sizeof(why)) < 0)
			_exit(10);
		const unsigned long long want = (1ULL << 2) | (1ULL << 19) |
						(bpf ? 1ULL << 39 : 1ULL << 21);
		/* CAP_SYS_ADMIN stays in the bounding set: socklife wants it there. */
		const unsigned long long bound = want | (1ULL << 21);
		if (status_hex("CapEff:") != want || status_hex("CapPrm:") != want ||
		    status_hex("CapBnd:") != bound || status_hex("CapInh:") != 0)
			_exit(11);
		struct caps_state c;
		caps_read(&c, bpf);
		if (!c.held[0] || !c.held[1] || c.held[2] == bpf || c.held[SL_CAP_BPF] != bpf ||
		    c.needed[SL_CAP_BPF] != bpf)
			_exit(12);
		/* A second call finds nothing to do and makes no call at all. */
		if (caps_restrict(NULL, bpf, why, sizeof(why)) < 0)
			_exit(13);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_restrict_in_a_child(void **state)
{
	(void)state;
	restrict_in_a_child(false);
}

static void test_restrict_keeps_bpf(void **state)
{
	(void)state;
	restrict_in_a_child(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_restrict_in_a_child),
		cmocka_unit_test(test_restrict_keeps_bpf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
