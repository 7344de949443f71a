/* httpgate.c - admit, cut and resume libmicrohttpd's connections; see
 * httpgate.h. */
#include <socklife/httpgate.h>

#include <socklife/acceptor.h>
#include <socklife/sample.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct httpgate {
	struct httpgate_options opt;
	struct MHD_Daemon *mhd;
	struct acceptor *acceptor;
	pthread_mutex_t lock; /* everything below */
	struct slots slots;
	double planned;       /* when the acceptor will next call tick() */
	bool closing;
	struct httpgate_stats stats;
	/* Room for one of each per slot, so one call takes all that is due. */
	struct slot_due *due;
	struct MHD_Connection **resume;
};

/* A socket is identified by its inode (unique host-wide; sockfs): the fd
 * number alone may have been closed and reused. */
static uint64_t inode_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? (uint64_t)st.st_ino : 0;
}

/* Close without FIN_WAIT or TIME_WAIT on our side: with SO_LINGER at 0,
 * close() sends a reset and frees the socket at once (socket(7)).  A
 * connection we refuse or cut is hostile or broken; it gets no grace. */
static void set_abortive(int fd)
{
	struct linger now = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
}

/* Under the lock, so the server cannot close the socket in between: its
 * close notification needs the lock, and comes before its close(). */
static bool cut_socket(int fd, uint64_t ino)
{
	if (ino == 0 || inode_of(fd) != ino)
		return false;
	set_abortive(fd);
	/* The server's epoll sees end of file and closes the connection. */
	shutdown(fd, SHUT_RDWR);
	return true;
}

/* Under the lock: something new is due at `when`; wake the acceptor if it
 * would sleep past it. */
static void due_by(struct httpgate *g, double when)
{
	if (when < g->planned && g->acceptor) {
		g->planned = when;
		acceptor_wake(g->acceptor);
	}
}

static void refuse(int fd)
{
	set_abortive(fd);
	close(fd);
}

static void accepted(void *cls, int fd, const struct sockaddr *sa, socklen_t len, double now)
{
	struct httpgate *g = cls;
	struct addrkey key;
	addrkey_of(sa, len, g->opt.v4_prefix, g->opt.v6_prefix, &key);
	uint64_t ino = inode_of(fd);

	pthread_mutex_lock(&g->lock);
	/* accept() returned this number, so a slot still holding it is for a
	 * socket the server closed without telling. */
	int stale = slots_find_fd(&g->slots, fd);
	if (stale >= 0) {
		slots_release(&g->slots, stale);
		g->stats.lost++;
	}
	struct slot_admission a = slots_admit(&g->slots, &key, fd, ino, now);
	if (a.victim >= 0) {
		struct slot *v = &g->slots.slot[a.victim];
		cut_socket(v->fd, v->ino);
		g->stats.evicted++;
	}
	if (a.id < 0)
		g->stats.refused[a.why]++;
	else
		g->stats.accepted++;
	pthread_mutex_unlock(&g->lock);

	if (a.id < 0) {
		refuse(fd);
		return;
	}
	/* On failure libmicrohttpd has closed the socket. */
	if (MHD_add_connection(g->mhd, fd, sa, len) != MHD_YES) {
		pthread_mutex_lock(&g->lock);
		slots_release(&g->slots, a.id);
		g->stats.lost++;
		pthread_mutex_unlock(&g->lock);
	}
}

/* Under the lock: act on what is due; connections to resume are left in
 * g->resume, to be resumed without the lock.  Returns how many. */
static size_t take_due(struct httpgate *g, double now)
{
	unsigned long *counted[] = {
		[SLOT_DUE_HEADERS] = &g->stats.header_deadline,
		[SLOT_DUE_ANSWER] = &g->stats.request_deadline,
		[SLOT_DUE_RECHECK] = NULL,
		[SLOT_DUE_RESUME] = NULL,
	};
	size_t n = slots_take_due(&g->slots, now, g->due, g->slots.cap), k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct slot_due *d = &g->due[i];
		if (d->action == SLOT_DUE_RESUME) {
			g->resume[k++] = d->owner;
			continue;
		}
		if (counted[d->action])
			(*counted[d->action])++;
		if (!cut_socket(d->fd, d->ino)) {
			slots_release(&g->slots, d->id);
			g->stats.lost++;
		}
	}
	return k;
}

/* Without the lock: resuming takes libmicrohttpd's own locks.  A held
 * connection stays suspended until resumed here, so its handle is valid. */
static void resume_all(struct httpgate *g, size_t k)
{
	for (size_t i = 0; i < k; i++)
		MHD_resume_connection(g->resume[i]);
}

static double tick(void *cls, double now)
{
	struct httpgate *g = cls;
	pthread_mutex_lock(&g->lock);
	size_t k = take_due(g, now);
	double next = slots_next_due(&g->slots);
	g->planned = next;
	pthread_mutex_unlock(&g->lock);
	resume_all(g, k);
	return next;
}

static void failed(void *cls, int err)
{
	struct httpgate *g = cls;
	(void)err;
	pthread_mutex_lock(&g->lock);
	g->stats.accept_errors++;
	pthread_mutex_unlock(&g->lock);
}

static const struct acceptor_ops ops = {
	.accepted = accepted,
	.tick = tick,
	.failed = failed,
};

int httpgate_new(struct httpgate **out, const struct httpgate_options *o)
{
	struct httpgate *g = calloc(1, sizeof(*g));
	if (!g || slots_init(&g->slots, &o->limits) < 0 ||
	    !(g->due = calloc(g->slots.cap, sizeof(*g->due))) ||
	    !(g->resume = calloc(g->slots.cap, sizeof(*g->resume)))) {
		if (g) {
			slots_free(&g->slots);
			free(g->due);
		}
		free(g);
		close(o->listen_fd);
		return -ENOMEM;
	}
	g->opt = *o;
	g->planned = INFINITY;
	pthread_mutex_init(&g->lock, NULL);
	*out = g;
	return 0;
}

int httpgate_open(struct httpgate *g, struct MHD_Daemon *mhd)
{
	g->mhd = mhd;
	return acceptor_start(&g->acceptor, g->opt.listen_fd, &ops, g);
}

unsigned httpgate_capacity(const struct httpgate *g)
{
	return g->slots.cap;
}

/* The socket context holds id + 1, so that NULL is "not ours". */
void httpgate_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		     enum MHD_ConnectionNotificationCode code)
{
	struct httpgate *g = cls;
	pthread_mutex_lock(&g->lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		int id = fd ? slots_find_fd(&g->slots, fd->connect_fd) : -1;
		*socket_context = (void *)(intptr_t)(id + 1);
	} else if (*socket_context) {
		slots_release(&g->slots, (int)(intptr_t)*socket_context - 1);
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&g->lock);
}

int httpgate_id(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? (int)(intptr_t)i->socket_context - 1 : -1;
}

void httpgate_key(struct httpgate *g, int id, struct addrkey *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->slots.slot[id].key;
	pthread_mutex_unlock(&g->lock);
}

bool httpgate_begin_request(struct httpgate *g, int id)
{
	double now = now_monotonic();
	pthread_mutex_lock(&g->lock);
	bool ok = slots_begin_request(&g->slots, id, now);
	if (ok)
		due_by(g, slots_next_due(&g->slots));
	pthread_mutex_unlock(&g->lock);
	return ok;
}

void httpgate_end_request(struct httpgate *g, int id, bool authorised)
{
	double now = now_monotonic();
	pthread_mutex_lock(&g->lock);
	slots_end_request(&g->slots, id, authorised, now);
	due_by(g, slots_next_due(&g->slots));
	pthread_mutex_unlock(&g->lock);
}

bool httpgate_hold(struct httpgate *g, int id, struct MHD_Connection *c, double until)
{
	pthread_mutex_lock(&g->lock);
	bool ok = !g->closing && slots_hold(&g->slots, id, until, c);
	if (ok)
		due_by(g, until);
	pthread_mutex_unlock(&g->lock);
	return ok;
}

void httpgate_resume_at(struct httpgate *g, int id, double until)
{
	pthread_mutex_lock(&g->lock);
	struct slot *t = &g->slots.slot[id];
	if (t->state == SLOT_HELD && slots_hold(&g->slots, id, until, t->owner))
		due_by(g, until);
	pthread_mutex_unlock(&g->lock);
}

void httpgate_close(struct httpgate *g)
{
	acceptor_stop(g->acceptor); /* closes the listening socket */
	g->acceptor = NULL;
	pthread_mutex_lock(&g->lock);
	g->closing = true;
	/* Everything is due at INFINITY: held connections are resumed (and
	 * waiting ones cut, which the server's stop does anyway). */
	size_t k = take_due(g, INFINITY);
	pthread_mutex_unlock(&g->lock);
	resume_all(g, k);
}

void httpgate_free(struct httpgate *g)
{
	if (!g)
		return;
	if (g->acceptor)
		acceptor_stop(g->acceptor);
	else if (!g->closing)
		close(g->opt.listen_fd);
	slots_free(&g->slots);
	free(g->due);
	free(g->resume);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void httpgate_stats(struct httpgate *g, struct httpgate_stats *out)
{
	double now = now_monotonic();
	pthread_mutex_lock(&g->lock);
	*out = g->stats;
	out->connections = g->slots.live;
	out->strangers = g->slots.strangers;
	out->known_addresses = 0;
	for (unsigned i = 0; i < g->slots.known_cap; i++)
		out->known_addresses += now - g->slots.known[i].last <= g->slots.lim.known_for;
	pthread_mutex_unlock(&g->lock);
}
