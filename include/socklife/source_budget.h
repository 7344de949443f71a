/* source_budget.h - a pass that stays bounded however many namespaces
 * there are.
 *
 * Every TCP dump of a namespace walks the host's whole hash, so a user
 * who may create network namespaces (any user, with `unshare -Urn`) could
 * stretch every pass without end by creating many, each with a socket.
 * This source wraps a per-namespace one (netlink, procfs) and gives each
 * pass a budget of seconds for reading namespaces other than socklife's
 * own.  The caller reads them stalest first (source_budget_read_at).
 * Within the budget a namespace is read and what was read is kept; past
 * it, the namespace's last read is handed on again, each socket marked
 * `cached` (attribution drops a cached socket no fd holds any more) and
 * the read's age in ns_read.age.  A namespace never read before that
 * comes past the budget is not read this pass (NS_MODE_NONE): it is first
 * in line for the next.
 *
 * With `kernel_only`, what is kept is only the sockets no process holds
 * (inode 0): the bpf source's dumper, whose caller has every held socket
 * from its walk anyway.  Replaying, it hands on only those, and says so
 * with a non-zero age. */
#ifndef SOCKLIFE_SOURCE_BUDGET_H
#define SOCKLIFE_SOURCE_BUDGET_H

#include <socklife/source.h>

/* A namespace not seen for this many passes is forgotten. */
#define SOURCE_BUDGET_FORGET 16

/* Wrap `inner` (not owned).  0 or -ENOMEM. */
int source_budget_new(struct source **out, struct source *inner, bool kernel_only);

/* Start a pass at monotonic time `now`, with `seconds` for namespaces
 * other than our own. */
void source_budget_begin(struct source *src, double now, double seconds);

/* When namespace `id` was last read for real (monotonic seconds); 0 when
 * never. */
double source_budget_read_at(const struct source *src, const struct netns_id *id);

#endif
