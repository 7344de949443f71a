/* sockiter_dump.c - sl-sockiter-dump: load the BPF socket iterator, read
 * it, and print every record as one line of key=value text, for the
 * integration test (test_sockiter.py) and for a person at a terminal.
 *
 *   sl-sockiter-dump [--pin PATH] [--keep-caps LIST] [--drop-caps]
 *                    [--user NAME] [--reads N] [--wait] [--bench] [--measure-hz]
 *                    [--fail-load ERRNO]
 *
 *   --keep-caps LIST  before loading, keep only these capabilities
 *                     ("cap_bpf,cap_perfmon"; "" keeps none)
 *   --user NAME       after loading, become NAME (owning the pin, if any)
 *   --drop-caps       after loading, drop every capability (still uid 0
 *                     unless --user)
 *   --reads N         read N passes; records are printed for the last
 *   --wait            after loading, wait for a line on stdin before reading
 *                     (so a test can time what it does right before a pass)
 *   --bench           print no records, but each pass's wall and CPU seconds
 *
 * Output: "hz N measured=0|1", then "sock ...", "task ..." lines, and an
 * "end ..." line per pass.  Exit status: 0, 2 usage, 3 open failed,
 * 4 read failed, 5 could not change privileges; failures print the errno. */
#include <socklife/sockiter.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static void print_sock(const struct sockiter_sock *r, void *ctx)
{
	char l[INET6_ADDRSTRLEN] = "-", d[INET6_ADDRSTRLEN] = "-";
	struct sl_socket s;
	int inet = r->family == AF_INET || r->family == AF_INET6;

	(void)ctx;
	if (inet) {
		inet_ntop(r->family, r->laddr, l, sizeof(l));
		inet_ntop(r->family, r->raddr, d, sizeof(d));
	}
	int gone = sockiter_to_socket(r, &s) == 0 && sockdiag_unix_peer_gone(&s);
	printf("sock tgid=%u fd=%u ino=%u netns=%u family=%u protocol=%u type=%u state=%u "
	       "shutdown=%u cookie=%llu laddr=%s lport=%u raddr=%s rport=%u rqueue=%u wqueue=%u "
	       "rmem=%u wmem=%u recv_ms=%u send_ms=%u ack_ms=%u flags=%u peer_ino=%u peer_gone=%d\n",
	       r->tgid, r->fd, r->ino, r->netns, r->family, r->protocol, r->type, r->state,
	       r->shutdown, (unsigned long long)r->cookie, l, r->lport, d, r->rport, r->rqueue,
	       r->wqueue, r->rmem, r->wmem, r->last_recv_ms, r->last_send_ms, r->last_ack_ms,
	       r->flags, r->peer_ino, gone);
}

static void print_task(const struct sockiter_task *r, void *ctx)
{
	(void)ctx;
	printf("task tgid=%u tid=%u fds=%u netns=%u nofile=%u thread=%d\n", r->tgid, r->tid, r->fds,
	       r->netns, r->nofile, (r->flags & SOCKITER_T_THREAD) != 0);
}

/* Wall and CPU (user + system) seconds of this process so far. */
static void clocks(double *wall, double *cpu)
{
	struct timespec ts;
	struct rusage ru;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	getrusage(RUSAGE_SELF, &ru);
	*wall = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int fail(int status, const char *what, int err)
{
	fprintf(stderr, "sl-sockiter-dump: %s: %s (errno %d)\n", what, strerror(err), err);
	return status;
}

/* Keep exactly the named capabilities, effective and permitted. */
static int keep_caps(const char *list)
{
	cap_t c = cap_init(); /* all clear */
	char *copy = strdup(list), *save = NULL;
	int err = c && copy ? 0 : ENOMEM;

	for (char *name = strtok_r(copy, ",", &save); !err && name; name = strtok_r(NULL, ",", &save)) {
		cap_value_t v;
		if (cap_from_name(name, &v) < 0)
			err = EINVAL;
		else if (cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0 ||
			 cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET) < 0)
			err = errno;
	}
	if (!err && cap_set_proc(c) < 0)
		err = errno;
	free(copy);
	cap_free(c);
	return err;
}

/* Become `user`; setresuid() from uid 0 clears every capability. */
static int become(const char *user, const char *pin)
{
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return ENOENT;
	if ((pin && chown(pin, pw->pw_uid, pw->pw_gid) < 0) || setgroups(0, NULL) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return errno;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"pin", required_argument, NULL, 'p'},
		{"keep-caps", required_argument, NULL, 'k'},
		{"drop-caps", no_argument, NULL, 'd'},
		{"user", required_argument, NULL, 'u'},
		{"reads", required_argument, NULL, 'r'},
		{"wait", no_argument, NULL, 'w'},
		{"bench", no_argument, NULL, 'b'},
		{"measure-hz", no_argument, NULL, 'm'},
		{"fail-load", required_argument, NULL, 'f'},
		{0},
	};
	struct sockiter_opts o = {0};
	const char *keep = NULL, *user = NULL;
	int drop = 0, wait = 0, bench = 0, reads = 1, c, err;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'p': o.pin_path = optarg; break;
		case 'k': keep = optarg; break;
		case 'd': drop = 1; break;
		case 'u': user = optarg; break;
		case 'r': reads = atoi(optarg); break;
		case 'w': wait = 1; break;
		case 'b': bench = 1; break;
		case 'm': o.measure_hz = true; break;
		case 'f': o.fail_load = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: sl-sockiter-dump [--pin PATH] [--keep-caps LIST] "
					"[--drop-caps] [--user NAME] [--reads N] [--wait] [--bench] [--measure-hz] "
					"[--fail-load ERRNO]\n");
			return 2;
		}
	}
	if (keep && (err = keep_caps(keep)))
		return fail(5, "keep-caps", err);

	struct sockiter *it;
	if ((err = sockiter_open_opts(&it, &o)) < 0)
		return fail(3, "open", -err);
	if (user && (err = become(user, o.pin_path)))
		return fail(5, "user", err);
	if (drop && (err = keep_caps("")))
		return fail(5, "drop-caps", err);

	bool measured;
	uint32_t hz = sockiter_hz(it, &measured);
	printf("hz %u measured=%d\n", hz, measured);
	fflush(stdout);
	if (wait) {
		char line[16];
		if (!fgets(line, sizeof(line), stdin))
			return fail(2, "wait", EPIPE);
	}
	struct sockiter_sink quiet = {0}, loud = {.sock = print_sock, .task = print_task};
	for (int i = 0; i < reads; i++) {
		double wall0, cpu0, wall1, cpu1;
		clocks(&wall0, &cpu0);
		err = sockiter_read(it, i == reads - 1 && !bench ? &loud : &quiet);
		clocks(&wall1, &cpu1);
		if (err < 0) {
			fflush(stdout);
			sockiter_close(it);
			return fail(4, "read", -err);
		}
		const struct sockiter_stats *st = sockiter_last_stats(it);
		if (bench)
			printf("pass wall=%.6f cpu=%.6f\n", wall1 - wall0, cpu1 - cpu0);
		printf("end sockets=%llu tasks=%llu shared=%llu hz=%u bytes=%llu\n",
		       (unsigned long long)st->sockets, (unsigned long long)st->tasks,
		       (unsigned long long)st->shared, st->hz, (unsigned long long)st->bytes);
	}
	sockiter_close(it);
	return 0;
}
