/* worker.c - a thread and a ring of jobs; see worker.h. */
#include <socklife/worker.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct job {
	worker_fn *fn;
	void *arg;
};

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	unsigned head, n, cap; /* a ring of cap jobs, n of them from head */
	struct job jobs[];
};

static bool next(struct worker *w, struct job *j)
{
	pthread_mutex_lock(&w->lock);
	while (w->n == 0 && !w->stopping)
		pthread_cond_wait(&w->wake, &w->lock);
	bool got = w->n > 0;
	if (got) {
		*j = w->jobs[w->head];
		w->head = (w->head + 1) % w->cap;
		w->n--;
	}
	bool run = !w->stopping, more = got || !w->stopping;
	pthread_mutex_unlock(&w->lock);
	if (got)
		j->fn(j->arg, run);
	return more;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct job j;
	while (next(w, &j))
		;
	return NULL;
}

int worker_start(struct worker **out, unsigned queue)
{
	struct worker *w = calloc(1, sizeof(*w) + (queue ? queue : 1) * sizeof(struct job));
	if (!w)
		return -ENOMEM;
	w->cap = queue ? queue : 1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	int err = pthread_create(&w->thread, NULL, worker_main, w);
	if (err) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -err;
	}
	*out = w;
	return 0;
}

int worker_submit(struct worker *w, worker_fn *fn, void *arg)
{
	int err = 0;
	pthread_mutex_lock(&w->lock);
	if (w->stopping)
		err = -ESHUTDOWN;
	else if (w->n == w->cap)
		err = -EAGAIN;
	else {
		w->jobs[(w->head + w->n) % w->cap] = (struct job){fn, arg};
		w->n++;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	return err;
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
