/* acceptor.c - accept loop and timer thread; see acceptor.h. */
#include <socklife/acceptor.h>

#include <socklife/sample.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Accepting is interleaved with tick() at least this often, so that a
 * flood of connections cannot delay cutting the ones that overstay. */
#define ACCEPT_BATCH 64
#define PAUSE_SECONDS 0.1

struct acceptor {
	pthread_t thread;
	int listen_fd, wake_fd;
	const struct acceptor_ops *ops;
	void *cls;
	atomic_bool stopping;
	double paused_until;
};

/* Errors that say a connection was lost before we took it, not that
 * accept() is in trouble (accept(2): pass them by). */
static bool peer_gone(int err)
{
	return err == ECONNABORTED || err == EPROTO || err == EPERM || err == EINTR ||
	       err == ENETDOWN || err == ENOPROTOOPT || err == EHOSTDOWN || err == ENONET ||
	       err == EHOSTUNREACH || err == EOPNOTSUPP || err == ENETUNREACH;
}

static void accept_some(struct acceptor *a)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(a->listen_fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			a->ops->accepted(a->cls, fd, (struct sockaddr *)&ss, len, now_monotonic());
			continue;
		}
		int err = errno;
		if (err == EAGAIN || err == EWOULDBLOCK)
			return;
		if (peer_gone(err))
			continue;
		a->ops->failed(a->cls, -err);
		/* Out of fds or memory: the socket stays readable, so polling
		 * it at once would spin.  Leave the connections queued. */
		a->paused_until = now_monotonic() + PAUSE_SECONDS;
		return;
	}
}

static int timeout_ms(double next, double now)
{
	if (next == INFINITY)
		return -1;
	double ms = ceil((next - now) * 1000);
	return ms <= 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

static void *acceptor_main(void *arg)
{
	struct acceptor *a = arg;
	double now = now_monotonic(), next = a->ops->tick(a->cls, now);

	while (!atomic_load(&a->stopping)) {
		bool paused = now < a->paused_until;
		struct pollfd p[2] = {{.fd = a->wake_fd, .events = POLLIN},
				      {.fd = paused ? -1 : a->listen_fd, .events = POLLIN}};
		if (paused && a->paused_until < next)
			next = a->paused_until;
		int n = poll(p, 2, timeout_ms(next, now));
		if (n > 0 && (p[0].revents & POLLIN)) {
			uint64_t v;
			if (read(a->wake_fd, &v, sizeof(v)) < 0)
				(void)0; /* EAGAIN: another read took it */
		}
		if (n > 0 && (p[1].revents & POLLIN))
			accept_some(a);
		now = now_monotonic();
		next = a->ops->tick(a->cls, now);
	}
	return NULL;
}

int acceptor_start(struct acceptor **out, int listen_fd, const struct acceptor_ops *ops,
		   void *cls)
{
	struct acceptor *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->listen_fd = listen_fd;
	a->ops = ops;
	a->cls = cls;
	atomic_init(&a->stopping, false);
	int flags = fcntl(listen_fd, F_GETFL);
	a->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0 || a->wake_fd < 0) {
		int err = -errno;
		if (a->wake_fd >= 0)
			close(a->wake_fd);
		free(a);
		return err;
	}
	int err = pthread_create(&a->thread, NULL, acceptor_main, a);
	if (err) {
		close(a->wake_fd);
		free(a);
		return -err;
	}
	*out = a;
	return 0;
}

void acceptor_wake(struct acceptor *a)
{
	uint64_t one = 1;
	/* Fails only when the counter is about to overflow: woken anyway. */
	if (write(a->wake_fd, &one, sizeof(one)) < 0)
		(void)0;
}

void acceptor_stop(struct acceptor *a)
{
	if (!a)
		return;
	atomic_store(&a->stopping, true);
	acceptor_wake(a);
	pthread_join(a->thread, NULL);
	close(a->wake_fd);
	close(a->listen_fd);
	free(a);
}
