/* acceptor.h - a thread that accepts connections and keeps time.
 *
 * The HTTP server accepts connections itself instead of leaving it to
 * libmicrohttpd, so that it can choose whom to serve and cut those that
 * overstay (slots.h); the same thread wakes at the times its owner asks
 * for, to cut and to resume connections. */
#ifndef SOCKLIFE_ACCEPTOR_H
#define SOCKLIFE_ACCEPTOR_H

#include <sys/socket.h>

struct acceptor;

struct acceptor_ops {
	/* A new connection, non-blocking and close-on-exec; the callee owns
	 * `fd`.  `now` is monotonic seconds. */
	void (*accepted)(void *cls, int fd, const struct sockaddr *sa, socklen_t len, double now);
	/* After every wake-up: do what is due and return when to be called
	 * next (INFINITY: only when woken). */
	double (*tick)(void *cls, double now);
	/* accept() failed with -err for a reason other than the peer giving
	 * up; after running out of fds or memory it pauses 100 ms. */
	void (*failed)(void *cls, int err);
};

/* Take over the listening socket `listen_fd` and start the thread.
 * 0 or -errno (then listen_fd is still the caller's). */
int acceptor_start(struct acceptor **out, int listen_fd, const struct acceptor_ops *ops,
		   void *cls);

/* Call tick() soon, from any thread. */
void acceptor_wake(struct acceptor *a);

/* Join the thread and close the listening socket.  NULL is fine. */
void acceptor_stop(struct acceptor *a);

#endif
