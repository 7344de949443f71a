/* test_stopper.c - stop signals taken by a thread; a program that does not
 * stop within the grace period is ended anyway. */
#include <socklife/stopper.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_signal_is_told(void **state)
{
	(void)state;
	struct stopper *s;
	struct stopper_options o = {5, 9, NULL, NULL};
	assert_int_equal(stopper_start(&s, &o), 0);
	assert_int_equal(stopper_requested(s), 0);
	double t0 = now();
	assert_int_equal(stopper_wait(s, 0.1), 0); /* nothing yet: the time runs out */
	assert_true(now() - t0 >= 0.09);
	kill(getpid(), SIGTERM); /* to the process: only the stopper's thread takes it */
	assert_int_equal(stopper_wait(s, -1), SIGTERM);
	assert_int_equal(stopper_requested(s), SIGTERM);
	stopper_free(s); /* in time: the process goes on */

	/* Stopped before any signal: the thread is woken and joined. */
	assert_int_equal(stopper_start(&s, &o), 0);
	stopper_free(s);
	stopper_free(NULL);
}

static int abandon_pipe = -1;

static void abandoned(void *arg, int sig)
{
	(void)arg;
	char c = sig == SIGINT ? 'i' : '?';
	if (write(abandon_pipe, &c, 1) != 1)
		_exit(99);
}

/* A program stuck after the signal is ended `grace` seconds later, with
 * the exit status given, after `abandon` ran. */
static void test_stuck_program_is_ended(void **state)
{
	(void)state;
	int said[2], held[2];
	assert_int_equal(pipe(said), 0);
	assert_int_equal(pipe(held), 0);
	double t0 = now();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(said[0]);
		close(held[0]);
		abandon_pipe = said[1];
		struct stopper *s;
		struct stopper_options o = {0.3, 42, abandoned, NULL};
		if (stopper_start(&s, &o) < 0)
			_exit(98);
		kill(getpid(), SIGINT);
		for (;;)
			pause(); /* stuck: never stops by itself */
	}
	close(said[1]);
	close(held[1]);
	char c = 0;
	assert_int_equal(read(said[0], &c, 1), 1);
	assert_int_equal(c, 'i');
	assert_int_equal(read(held[0], &c, 1), 0); /* gone with the process */
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 42);
	double took = now() - t0;
	assert_true(took >= 0.25 && took < 3);
	close(said[0]);
	close(held[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_is_told),
		cmocka_unit_test(test_stuck_program_is_ended),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
