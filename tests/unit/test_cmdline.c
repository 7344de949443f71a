/* test_cmdline.c - the program an interpreter runs, from its arguments. */
#include <socklife/cmdline.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define ARGS(s) s, sizeof(s) - 1 /* NUL-separated, as /proc/PID/cmdline */

static void expect(const char *comm, const char *args, size_t len, const char *want)
{
	char out[CMDLINE_PROGRAM_MAX];
	cmdline_program(comm, args, len, out);
	if (strcmp(out, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", comm, out, want);
}

static void test_programs(void **state)
{
	(void)state;
	expect("python3", ARGS("/usr/bin/python3\0-u\0/srv/app/worker.py\0--port\0" "80"), "worker.py");
	expect("python3.11", ARGS("python3\0-W\0ignore\0-m\0celery\0worker"), "celery");
	expect("python3", ARGS("python3\0-c\0import socket"), "");
	expect("python3", ARGS("python3"), ""); /* an interactive session */
	expect("node", ARGS("node\0--max-old-space-size=512\0-r\0dotenv/config\0server.js"), "server.js");
	expect("node", ARGS("node\0-e\0require('net')"), "");
	expect("java", ARGS("java\0-Xmx1g\0-cp\0/a.jar:/b.jar\0com.example.Main"), "com.example.Main");
	expect("java", ARGS("java\0-Dx=y\0-jar\0/opt/app/service-1.2.jar\0--spring"), "service-1.2.jar");
	expect("ruby", ARGS("ruby\0-I\0lib\0bin/worker.rb"), "worker.rb");
	expect("perl", ARGS("/usr/bin/perl\0-MCarp\0/usr/sbin/munin-node"), "munin-node");
	expect("php", ARGS("php\0-d\0memory_limit=1G\0artisan\0queue:work"), "artisan");
	/* Not an interpreter: nothing is read. */
	expect("nginx", ARGS("nginx: worker process"), "");
	assert_false(cmdline_is_interpreter("nginx"));
	assert_true(cmdline_is_interpreter("python3.12"));
}

static void test_hostile_and_truncated(void **state)
{
	(void)state;
	/* A missing final NUL, an option at the very end, an empty argument. */
	expect("python3", ARGS("python3\0\0app.py"), "app.py");
	expect("python3", ARGS("python3\0-m"), "");
	expect("java", ARGS("java\0-cp"), "");
	/* A path ending in '/' keeps what it has; a long name is cut. */
	expect("python3", ARGS("python3\0/srv/dir/"), "/srv/dir/");
	char args[300] = "python3";
	memset(args + 8, 'x', 200);
	char out[CMDLINE_PROGRAM_MAX];
	cmdline_program("python3", args, 208, out);
	assert_int_equal(strlen(out), CMDLINE_PROGRAM_MAX - 1);
	cmdline_program("python3", "", 0, out);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_programs),
		cmocka_unit_test(test_hostile_and_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
