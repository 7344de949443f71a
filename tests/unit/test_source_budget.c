/* test_source_budget.c - reads within a pass's budget, the rest replayed:
 * an inner source whose reads take a set time (the clock is faked), and
 * what each read hands on. */
#include <socklife/clock.h>
#include <socklife/source_budget.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static double clock_now;

double __wrap_now_monotonic(void);
double __wrap_now_monotonic(void) { return clock_now; }

/* Each read takes 1 s and hands on a socket held by nobody (inode 0) and
 * one held (inode = the namespace's), telling their inodes ahead. */
static int inner_reads;

static int inner_read(struct source *src, const struct netns_entry *e,
		      const struct source_sink *sink, struct ns_read *out)
{
	(void)src;
	inner_reads++;
	clock_now += 1;
	struct sl_socket held = {.cookie = 1, .inode = e->id.ino, .proto = PROTO_TCP};
	struct sl_socket kernel = {.cookie = 2, .inode = 0, .proto = PROTO_TCP};
	if (sink->ahead) {
		sink->ahead(held.inode, sink->ctx);
		sink->ahead(kernel.inode, sink->ctx);
	}
	out->mode = NS_MODE_SOCK_DIAG;
	out->read[PROTO_TCP] = true;
	int err = sink->socket(&held, sink->ctx);
	return err ? err : sink->socket(&kernel, sink->ctx);
}

static struct source inner = {"inner", NULL, inner_read, NULL};

struct got {
	int n, cached, ahead;
};

static void on_ahead(uint64_t inode, void *ctx)
{
	(void)inode;
	((struct got *)ctx)->ahead++;
}

static int on_socket(const struct sl_socket *s, void *ctx)
{
	struct got *g = ctx;
	g->n++;
	g->cached += s->cached;
	return 0;
}

static struct got read_ns(struct source *src, uint64_t ino, bool self, struct ns_read *r)
{
	struct got g = {0};
	struct source_sink sink = {on_socket, NULL, &g, SOURCE_ALL_PROTOS, 0, on_ahead};
	struct netns_entry e = {.id = {4, ino}, .self = self};
	memset(r, 0, sizeof(*r));
	assert_int_equal(src->read_netns(src, &e, &sink, r), 0);
	return g;
}

static void test_past_the_budget_the_last_read_again(void **state)
{
	(void)state;
	struct source *src;
	struct ns_read r;
	assert_int_equal(source_budget_new(&src, &inner, false), 0);
	clock_now = 100;

	/* Pass 1, a budget of 1.5 s: our own (free), a, b; c is over. */
	source_budget_begin(src, clock_now, 1.5);
	read_ns(src, 1, true, &r);
	struct got g = read_ns(src, 10, false, &r);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.cached, 0);
	assert_int_equal(g.ahead, 2); /* told through the budget's tee */
	read_ns(src, 11, false, &r);
	g = read_ns(src, 12, false, &r); /* never read, over budget: not read now */
	assert_int_equal(r.mode, NS_MODE_NONE);
	assert_int_equal(g.n, 0);
	assert_int_equal(inner_reads, 3);
	assert_true(source_budget_read_at(src, &(struct netns_id){4, 12}) == 0);
	double a_read = source_budget_read_at(src, &(struct netns_id){4, 10});
	assert_true(a_read > 0);

	/* Pass 2, 1 s: c first (stalest), then a is over: replayed, cached, aged. */
	source_budget_begin(src, clock_now, 1.0);
	read_ns(src, 1, true, &r);
	read_ns(src, 12, false, &r);
	g = read_ns(src, 10, false, &r);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.cached, 2);
	assert_int_equal(g.ahead, 0); /* a replay has nothing to fetch ahead */
	assert_true(r.age > 0);
	assert_int_equal(r.mode, NS_MODE_SOCK_DIAG);
	assert_int_equal(inner_reads, 5);
	src->free(src);
}

/* kernel_only keeps and replays only the sockets no process holds. */
static void test_kernel_only(void **state)
{
	(void)state;
	struct source *src;
	struct ns_read r;
	assert_int_equal(source_budget_new(&src, &inner, true), 0);
	source_budget_begin(src, clock_now, 10);
	read_ns(src, 10, false, &r);
	source_budget_begin(src, clock_now, 0);
	struct got g = read_ns(src, 10, false, &r);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.cached, 1);
	src->free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_past_the_budget_the_last_read_again),
		cmocka_unit_test(test_kernel_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
