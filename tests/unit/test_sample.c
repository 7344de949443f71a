/* test_sample.c - whole passes through the socket-source seam.
 *
 * The sampler builds its sources itself; here the netlink source is
 * replaced at link time (-Wl,--wrap=source_netlink_new) by a fake one that
 * hands out canned sockets per namespace, and can say a namespace is gone
 * or fail outright.  The processes are a fake proc tree.  Several passes
 * change the world between them and each is checked through what it
 * publishes: the exposition a scrape gets. */
#include <socklife/config.h>
#include <socklife/netns.h>
#include <socklife/sample.h>
#include <socklife/source_netlink.h>

#include "testutil.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>

static char root[64];

/* --- the fake source -------------------------------------------------------- */

enum { NS_SELF, NS_B, NS_COUNT };

#define MAX_CANNED 16

static struct fake {
	struct sl_socket socks[NS_COUNT][MAX_CANNED];
	size_t n[NS_COUNT];
	int fail[NS_COUNT]; /* the error read_netns returns for it, 0 for none */
	struct netns_id b;  /* namespace B's identity (a file of the fake tree) */
	unsigned reads;
} fake;

static void canned(int ns, uint64_t cookie, uint64_t inode, uint8_t state)
{
	fake.socks[ns][fake.n[ns]++] =
		(struct sl_socket){.cookie = cookie, .inode = inode, .state = state,
				   .proto = PROTO_TCP, .family = AF_INET};
}

static void forget(int ns, uint64_t inode)
{
	for (size_t i = 0; i < fake.n[ns]; i++)
		if (fake.socks[ns][i].inode == inode)
			fake.socks[ns][i] = fake.socks[ns][--fake.n[ns]];
}

static int fake_read(struct source *src, const struct netns_entry *e,
		     const struct source_sink *sink, struct ns_read *out)
{
	(void)src;
	int ns = e->self ? NS_SELF : e->id.ino == fake.b.ino && e->id.dev == fake.b.dev ? NS_B : -1;
	fake.reads++;
	if (ns < 0)
		return -ENOENT;
	out->mode = NS_MODE_SOCK_DIAG;
	for (size_t i = 0; i < fake.n[ns]; i++) {
		/* A failure mid-dump: some sockets are already handed on. */
		if (fake.fail[ns] && i == fake.n[ns] / 2)
			return fake.fail[ns];
		int err = sink->socket(&fake.socks[ns][i], sink->ctx);
		if (err)
			return err;
	}
	if (fake.fail[ns])
		return fake.fail[ns];
	for (int p = 0; p < PROTO_COUNT; p++)
		out->read[p] = true;
	return 0;
}

static void fake_free(struct source *src) { (void)src; }

static struct source fake_source = {"fake", NULL, fake_read, fake_free};

/* The bpf source, faked too: its walk makes a census from `walked`, or
 * fails with `walk_error`; its namespaces read as the fake netlink's. */
static struct {
	struct {
		int32_t pid;
		uint32_t fd, inode;
	} fds[8];
	size_t n;
	int walk_error;
	struct netns_id self;
} walked;

static int fake_walk(struct source *src, struct census *c)
{
	(void)src;
	if (walked.walk_error)
		return walked.walk_error;
	census_begin(c, walked.self.dev);
	for (size_t i = 0; i < walked.n; i++) {
		census_socket(c, walked.fds[i].pid, walked.fds[i].fd, walked.fds[i].inode, PROTO_TCP);
		census_table(c, walked.fds[i].pid, walked.fds[i].pid, 4, 1024, walked.self.ino);
	}
	return census_end(c);
}

static struct source fake_bpf = {"bpf", fake_walk, fake_read, fake_free};

int __wrap_source_bpf_new(struct source **out, struct sockiter *it, struct source *dumper,
			  struct source *fallback, struct source *prober, const char *proc_root,
			  uint64_t nsfs_dev, double breakdown_every);

int __wrap_source_bpf_new(struct source **out, struct sockiter *it, struct source *dumper,
			  struct source *fallback, struct source *prober, const char *proc_root,
			  uint64_t nsfs_dev, double breakdown_every)
{
	(void)it, (void)dumper, (void)fallback, (void)prober, (void)proc_root, (void)nsfs_dev;
	(void)breakdown_every;
	*out = &fake_bpf;
	return 0;
}

int __wrap_source_netlink_new(struct source **out, const char *proc_root, const char *run_dir);
int __wrap_netns_names_refresh(struct netns_names *n, const char *proc_root, const char *run_dir,
			       uint64_t nsfs_dev);
int __real_netns_names_refresh(struct netns_names *n, const char *proc_root, const char *run_dir,
			       uint64_t nsfs_dev);

int __wrap_source_netlink_new(struct source **out, const char *proc_root, const char *run_dir)
{
	(void)proc_root, (void)run_dir;
	*out = &fake_source;
	return 0;
}

/* The machine's real /run/netns holds other tests' namespaces: not ours. */
int __wrap_netns_names_refresh(struct netns_names *n, const char *proc_root, const char *run_dir,
			       uint64_t nsfs_dev)
{
	(void)run_dir;
	return __real_netns_names_refresh(n, proc_root, "/nonexistent/netns", nsfs_dev);
}

/* --- the fake proc tree ---------------------------------------------------- */

static void add_proc(int pid, const char *comm, unsigned long long start, int ns)
{
	tu_proc(root, pid, comm, start, "1024");
	tu_symlink(ns == NS_SELF ? "/proc/self/ns/net" : "../../netns-b", "%s/%d/ns/net", root, pid);
}

static void set_fd(int pid, int fd, unsigned inode) { tu_socket_fd(root, pid, fd, inode); }

static void remove_proc(int pid)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%d", root, pid);
	tu_rmtree(path);
}

/* --- helpers over what a pass publishes ------------------------------------- */

static struct sampler s;
static struct config cfg;
static char *published;

/* Run a pass; keep its exposition.  Returns the pass's error. */
static int pass(void)
{
	struct snapshot *snap;
	int err = sampler_pass(&s, &snap);
	assert_non_null(snap);
	free(published);
	published = strndup(snap->metrics, snap->metrics_len);
	snapshot_unref(snap);
	return err;
}

static bool has(const char *line) { return strstr(published, line) != NULL; }

/* The socket families only: what a failed pass must leave as it was. */
static char *socket_part(void)
{
	const char *end = strstr(published, "# HELP socklife_scan_duration_seconds");
	assert_non_null(end);
	return strndup(published, (size_t)(end - published));
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	memset(&walked, 0, sizeof(walked));
	assert_non_null(tu_mkdtemp(root));
	tu_write("b", 1, "%s/netns-b", root);
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/netns-b", root);
	assert_int_equal(stat(path, &st), 0);
	fake.b = (struct netns_id){st.st_dev, st.st_ino};
	char *argv[] = {"socklife", "--once", "--proc-root", root, "--resolve.verify-passes", "2",
			NULL};
	FILE *devnull = fopen("/dev/null", "w");
	assert_int_equal(config_parse(&cfg, 6, argv, devnull, stderr), CONFIG_RUN);
	fclose(devnull);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sampler_free(&s);
	free(published);
	published = NULL;
	tu_rmtree(root);
	return 0;
}

/* --- the passes ----------------------------------------------------------------- */

static void test_passes_through_the_seam(void **state)
{
	(void)state;
	add_proc(100, "api", 10, NS_SELF);
	set_fd(100, 3, 800);           /* a connection it will hand over */
	add_proc(101, "worker", 11, NS_SELF);
	set_fd(101, 3, 0);             /* an fd that will become a socket */
	add_proc(102, "helper", 12, NS_SELF);
	set_fd(102, 3, 0);
	add_proc(300, "old", 30, NS_B);
	set_fd(300, 3, 3000);
	canned(NS_SELF, 1, 800, ST_ESTABLISHED);
	canned(NS_SELF, 2, 999, ST_ESTABLISHED); /* nobody holds it */
	canned(NS_SELF, 3, 0, ST_TIME_WAIT);
	canned(NS_B, 4, 3000, ST_ESTABLISHED);
	assert_int_equal(sampler_init(&s, &cfg, 1700000000, NULL), 0);

	/* Pass 1: everyone is read; the unowned socket is searched for in vain. */
	assert_int_equal(pass(), 0);
	assert_true(has("socklife_process_sockets{process=\"api\",container=\"\",proto=\"tcp\","
			"state=\"established\"} 1\n"));
	assert_true(has("socklife_process_sockets{process=\"old\",container=\"\",proto=\"tcp\","
			"state=\"established\"} 1\n"));
	assert_true(has("socklife_unresolved_sockets{netns=\"host\",proto=\"tcp\"} 1\n"));
	assert_true(has("socklife_sockets{netns=\"host\",proto=\"tcp\",state=\"time_wait\"} 1\n"));

	/* Pass 2: worker's /dev/null fd becomes a socket (its fd count stays,
	 * so it is not due): found only by the search for the deferred one.
	 * pid 300 exits and a new process takes its pid. */
	set_fd(101, 3, 900);
	canned(NS_SELF, 5, 900, ST_CLOSE_WAIT);
	remove_proc(300);
	add_proc(300, "new", 31, NS_B);
	set_fd(300, 3, 3001);
	forget(NS_B, 3000);
	canned(NS_B, 6, 3001, ST_LISTEN);
	assert_int_equal(pass(), 0);
	assert_true(has("socklife_process_sockets{process=\"worker\",container=\"\",proto=\"tcp\","
			"state=\"close_wait\"} 1\n"));
	assert_true(s.stats.resolve_reads >= 1);
	/* The unresolvable one is not searched for again: still unresolved. */
	assert_true(has("socklife_unresolved_sockets{netns=\"host\",proto=\"tcp\"} 1\n"));
	/* The reused pid is a new process: nothing of the old one's. */
	assert_false(has("process=\"old\""));
	assert_true(has("socklife_process_sockets{process=\"new\",container=\"\",proto=\"tcp\","
			"state=\"listen\"} 1\n"));

	/* Pass 3-4: api hands its connection to helper (SCM_RIGHTS, dup2'ed
	 * over an fd: no fd count changes).  The rotation reads everyone
	 * within --resolve.verify-passes (2) passes. */
	set_fd(100, 3, 0);
	set_fd(102, 3, 800);
	assert_int_equal(pass(), 0);
	assert_int_equal(pass(), 0);
	assert_true(has("socklife_process_sockets{process=\"helper\",container=\"\",proto=\"tcp\","
			"state=\"established\"} 1\n"));
	assert_true(has("socklife_process_sockets{process=\"api\",container=\"\",proto=\"tcp\","
			"state=\"established\"} 0\n") ||
		    !has("process=\"api\",container=\"\",proto=\"tcp\""));

	/* Pass 5: namespace B vanishes while being read: no series, counted. */
	fake.fail[NS_B] = -ENOENT;
	assert_int_equal(pass(), 0);
	assert_true(has("socklife_scan_vanished_total{object=\"netns\"} 1\n"));
	char label[64];
	snprintf(label, sizeof(label), "socklife_sockets{netns=\"ns-%llu\"",
		 (unsigned long long)fake.b.ino);
	assert_false(has(label));
	fake.fail[NS_B] = 0;
	assert_int_equal(pass(), 0);
	assert_true(has(label));
	char *good = socket_part();

	/* Pass 7: the source fails mid-pass.  The last good counts keep being
	 * served and the failure is counted. */
	fake.fail[NS_B] = -EIO;
	forget(NS_SELF, 800); /* would change the counts if the failed pass leaked in */
	assert_int_equal(pass(), -EIO);
	assert_true(has("socklife_scan_errors_total{stage=\"dump\"} 1\n"));
	char *after = socket_part();
	assert_string_equal(after, good);
	free(good);
	free(after);
	assert_true(has("socklife_scans_total 7\n"));
}

/* With the bpf source, holders come from its walk's census, not from
 * /proc/PID/fd; a walk that fails reads that pass over netlink, counted. */
static void test_bpf_walk_and_its_fallback(void **state)
{
	(void)state;
	struct stat st;
	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	walked.self = (struct netns_id){st.st_dev, st.st_ino};
	add_proc(100, "api", 10, NS_SELF);
	set_fd(100, 3, 800);
	add_proc(101, "worker", 11, NS_SELF);
	set_fd(101, 3, 0); /* /proc shows no socket: only the walk knows */
	walked.fds[walked.n++] = (typeof(walked.fds[0])){100, 3, 800};
	walked.fds[walked.n++] = (typeof(walked.fds[0])){101, 4, 900};
	canned(NS_SELF, 1, 800, ST_ESTABLISHED);
	canned(NS_SELF, 2, 900, ST_CLOSE_WAIT);
	static char loaded; /* the iterator itself is never touched by the fake */
	assert_int_equal(sampler_init(&s, &cfg, 1700000000, (struct sockiter *)&loaded), 0);

	assert_int_equal(pass(), 0);
	assert_true(has("socklife_socket_source{source=\"bpf\"} 1\n"));
	assert_true(has("socklife_process_sockets{process=\"worker\",container=\"\",proto=\"tcp\","
			"state=\"close_wait\"} 1\n"));
	assert_true(has("socklife_scan_fds_read 0\n"));
	assert_true(has("socklife_unresolved_sockets{netns=\"host\",proto=\"tcp\"} 0\n"));

	walked.walk_error = -EIO;
	assert_int_equal(pass(), 0);
	assert_true(has("socklife_socket_source{source=\"netlink\"} 1\n"));
	assert_true(has("socklife_socket_source_fallbacks_total 1\n"));
	/* /proc's word now: worker's fd is no socket, 900 is nobody's. */
	assert_true(has("socklife_unresolved_sockets{netns=\"host\",proto=\"tcp\"} 1\n"));
	assert_true(has("socklife_process_sockets{process=\"api\",container=\"\",proto=\"tcp\","
			"state=\"established\"} 1\n"));

	walked.walk_error = 0;
	assert_int_equal(pass(), 0);
	assert_true(has("socklife_socket_source{source=\"bpf\"} 1\n"));
	assert_true(has("socklife_unresolved_sockets{netns=\"host\",proto=\"tcp\"} 0\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_passes_through_the_seam, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bpf_walk_and_its_fallback, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
