/* stopper.c - a thread that takes the stop signals and, past a grace
 * period, ends the process; see stopper.h. */
#include <socklife/stopper.h>

#include <socklife/clock.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct stopper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	sigset_t sigs;
	int sig;             /* the stop signal taken; 0: none yet */
	bool done;           /* the program stopped in time */
	struct stopper_options o;
};

/* Past the grace period: nothing the program holds needs releasing, and
 * its fds go now, even if a thread stuck in the kernel keeps the fd table
 * alive after _exit. */
static void give_up(struct stopper *s, int sig)
{
	if (s->o.abandon)
		s->o.abandon(s->o.arg, sig);
	closefrom(STDERR_FILENO + 1);
	_exit(s->o.code);
}

static void *watch(void *arg)
{
	struct stopper *s = arg;
	int sig = 0;
	while (sigwait(&s->sigs, &sig) != 0)
		;
	pthread_mutex_lock(&s->lock);
	if (!s->done) {
		s->sig = sig;
		pthread_cond_broadcast(&s->cond);
		struct timespec end = monotonic_deadline(s->o.grace);
		while (!s->done && pthread_cond_timedwait(&s->cond, &s->lock, &end) != ETIMEDOUT)
			;
	}
	bool done = s->done;
	pthread_mutex_unlock(&s->lock);
	if (!done)
		give_up(s, sig);
	return NULL;
}

int stopper_start(struct stopper **out, const struct stopper_options *o)
{
	struct stopper *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	sigemptyset(&s->sigs);
	sigaddset(&s->sigs, SIGTERM);
	sigaddset(&s->sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &s->sigs, NULL); /* every thread made from now on too */
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	int err = pthread_create(&s->thread, NULL, watch, s);
	if (err) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return -err;
	}
	*out = s;
	return 0;
}

int stopper_requested(struct stopper *s)
{
	pthread_mutex_lock(&s->lock);
	int sig = s->sig;
	pthread_mutex_unlock(&s->lock);
	return sig;
}

int stopper_wait(struct stopper *s, double seconds)
{
	struct timespec end = monotonic_deadline(seconds < 0 ? 0 : seconds);
	pthread_mutex_lock(&s->lock);
	while (!s->sig) {
		int err = seconds < 0 ? pthread_cond_wait(&s->cond, &s->lock)
				      : pthread_cond_timedwait(&s->cond, &s->lock, &end);
		if (err == ETIMEDOUT)
			break;
	}
	int sig = s->sig;
	pthread_mutex_unlock(&s->lock);
	return sig;
}

void stopper_free(struct stopper *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->done = true;
	bool waiting = !s->sig; /* still in sigwait: wake it with a signal of its set */
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (waiting)
		pthread_kill(s->thread, SIGTERM);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
