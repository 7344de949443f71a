/* test_worker.c - jobs run in order on one thread; queued ones are
 * cancelled, not dropped, at stop. */
#include <socklife/worker.h>

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int order[16], ran, cancelled;
static pthread_t main_thread;

static void job(void *arg, bool run)
{
	pthread_mutex_lock(&lock);
	if (run)
		order[ran++] = (int)(intptr_t)arg;
	else
		cancelled++;
	pthread_mutex_unlock(&lock);
	assert_false(pthread_equal(pthread_self(), main_thread));
	if (run && (intptr_t)arg == 0)
		usleep(100000); /* hold the thread while the others queue */
}

static void test_order_queue_and_stop(void **state)
{
	(void)state;
	struct worker *w;
	main_thread = pthread_self();
	assert_int_equal(worker_start(&w, 3), 0);
	assert_int_equal(worker_submit(w, job, (void *)0), 0);
	usleep(20000); /* job 0 runs, the queue is empty again */
	assert_int_equal(worker_submit(w, job, (void *)1), 0);
	assert_int_equal(worker_submit(w, job, (void *)2), 0);
	assert_int_equal(worker_submit(w, job, (void *)3), 0);
	assert_int_equal(worker_submit(w, job, (void *)4), -EAGAIN);
	usleep(200000);
	pthread_mutex_lock(&lock);
	assert_int_equal(ran, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(order[i], i);
	pthread_mutex_unlock(&lock);

	assert_int_equal(worker_submit(w, job, (void *)0), 0);
	usleep(20000);
	assert_int_equal(worker_submit(w, job, (void *)5), 0);
	assert_int_equal(worker_submit(w, job, (void *)6), 0);
	worker_stop(w); /* 0 finishes; 5 and 6 are told they will not run */
	assert_int_equal(ran, 5);
	assert_int_equal(cancelled, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_queue_and_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
