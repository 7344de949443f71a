/* render.c - Prometheus text exposition from a tally and the scan stats.
 *
 * One table names every metric family with its type and help; the emitters
 * below only write samples.  Every state of a protocol is written for every
 * namespace and group that has that protocol, zeros included, so series do
 * not appear and vanish as sockets come and go. */
#include <socklife/render.h>

#include <inttypes.h>
#include <string.h>

enum family {
	F_SOCKETS,
	F_PROCESS_SOCKETS,
	F_PROCESS_OPEN_FDS,
	F_PROCESS_FD_USAGE,
	F_UNRESOLVED,
	F_UNIX_PEER_GONE,
	F_CONTAINER_INFO,
	F_NETNS_MODE,
	F_CW_CAUSE,
	F_CW_OLDEST,
	F_UNHASHED,
	F_LEAK,
	F_ORPHANS,
	F_MAX_ORPHANS,
	F_MAX_TW,
	F_TW_PORTS,
	F_HIST_OVERFLOW,
	F_SCAN_DURATION,
	F_SCANS,
	F_SCAN_ERRORS,
	F_LAST_SCAN,
	F_SKIPPED,
	F_VANISHED,
	F_SCAN_PROCS,
	F_SCAN_DENIED,
	F_SCAN_FDS_READ,
	F_CAPABILITY,
	F_BUILD_INFO,
	F_SELF_CPU,
	F_SELF_RSS,
	F_SELF_VSZ,
	F_SELF_FDS,
	F_SELF_MAX_FDS,
	F_SELF_START,
	F_COUNT,
};

static const struct {
	const char *name, *type, *help;
} families[F_COUNT] = {
	[F_SOCKETS] = {"socklife_sockets", "gauge",
		       "Sockets by network namespace, protocol and state; every socket counted once."},
	[F_PROCESS_SOCKETS] = {"socklife_process_sockets", "gauge",
			       "Sockets held by a process group, by protocol and state. A socket shared "
			       "by several members of a group counts once."},
	[F_PROCESS_OPEN_FDS] = {"socklife_process_open_fds", "gauge",
				"Open file descriptors of a process group (sum over its members)."},
	[F_PROCESS_FD_USAGE] = {"socklife_process_fd_usage_ratio", "gauge",
				"Highest ratio over the group's members of open fds to the soft "
				"RLIMIT_NOFILE (0 when unlimited)."},
	[F_UNRESOLVED] = {"socklife_unresolved_sockets", "gauge",
			  "Sockets with an inode that no readable fd holds (kernel sockets, fds in "
			  "flight, or processes socklife may not inspect)."},
	[F_UNIX_PEER_GONE] = {"socklife_process_unix_peer_gone_sockets", "gauge",
			      "UNIX stream sockets of the group whose peer has closed (the UNIX twin "
			      "of CLOSE_WAIT): only a close() here ends them."},
	[F_CONTAINER_INFO] = {"socklife_container_info", "gauge",
			      "Maps a container id to its runtime, cgroup path and Kubernetes pod "
			      "UID (join with kube-state-metrics on uid); always 1."},
	[F_NETNS_MODE] = {"socklife_netns_scan_mode", "gauge",
			  "How a namespace was read: sock_diag from inside it, procfs "
			  "(/proc/PID/net, without CAP_SYS_ADMIN) or none; always 1."},
	[F_CW_CAUSE] = {"socklife_process_close_wait_sockets", "gauge",
			"CLOSE_WAIT sockets of a process group by cause: eof_unread (the peer's EOF "
			"was never read) or eof_read (EOF read, close() never called)."},
	[F_CW_OLDEST] = {"socklife_process_close_wait_oldest_seconds", "gauge",
			 "How long the group's oldest CLOSE_WAIT socket has been in that state (a "
			 "lower bound: since first seen, or the kernel's time since the peer's last "
			 "ACK when first seen); 0 when it holds none."},
	[F_UNHASHED] = {"socklife_process_unhashed_socket_fds", "gauge",
			"Socket fds of the group whose socket is in no dump: reset by the peer while "
			"in CLOSE_WAIT, or never connected, and still held."},
	[F_LEAK] = {"socklife_leak_suspected", "gauge",
		    "1 while a process is suspected of leaking sockets, per reason."},
	[F_ORPHANS] = {"socklife_tcp_orphans", "gauge",
		       "TCP sockets no process holds any more that are still closing, kernel-wide."},
	[F_MAX_ORPHANS] = {"socklife_tcp_max_orphans", "gauge",
			   "net.ipv4.tcp_max_orphans: past it the kernel resets orphans."},
	[F_MAX_TW] = {"socklife_tcp_max_tw_buckets", "gauge",
		      "net.ipv4.tcp_max_tw_buckets of the namespace: past it TIME_WAIT is skipped."},
	[F_TW_PORTS] = {"socklife_time_wait_sockets", "gauge",
			"TIME_WAIT sockets by the local listening port they came from (side=local) "
			"or the remote service port they went to (side=remote); the rest as "
			"port=\"other\"."},
	[F_HIST_OVERFLOW] = {"socklife_history_overflow_total", "counter",
			     "Sockets whose age was not tracked because the history table was full."},
	[F_SCAN_DURATION] = {"socklife_scan_duration_seconds", "gauge",
			     "Duration of the last sampling pass, by phase; phase=\"netns\" series "
			     "give the time spent in each namespace."},
	[F_SCANS] = {"socklife_scans_total", "counter", "Sampling passes run."},
	[F_SCAN_ERRORS] = {"socklife_scan_errors_total", "counter",
			   "Sampling failures, by stage. Socket series keep the last good values."},
	[F_LAST_SCAN] = {"socklife_last_scan_timestamp_seconds", "gauge",
			 "When the served socket data was taken (Unix time)."},
	[F_SKIPPED] = {"socklife_sockets_skipped_total", "counter",
		       "Sockets left out of the counts: repeated within a dump (same cookie) or in "
		       "a state socklife does not know."},
	[F_VANISHED] = {"socklife_scan_vanished_total", "counter",
			"Processes, fds and network namespaces that went away while a pass was "
			"reading them."},
	[F_SCAN_PROCS] = {"socklife_scan_processes", "gauge",
			  "Processes with open fds seen by the last pass."},
	[F_SCAN_DENIED] = {"socklife_scan_denied_processes", "gauge",
			   "Processes whose fds could not be read (missing CAP_SYS_PTRACE or "
			   "CAP_DAC_READ_SEARCH): their sockets are not attributed."},
	[F_SCAN_FDS_READ] = {"socklife_scan_fds_read", "gauge",
			     "File descriptors the last pass read (one readlink each): processes are "
			     "read again only when new, changed, due in the rotation, or needed to "
			     "place a new socket."},
	[F_CAPABILITY] = {"socklife_capability", "gauge",
			  "1 for each capability socklife needs that it holds, 0 for one it lacks: "
			  "cap_dac_read_search and cap_sys_ptrace (other users' fds), cap_sys_admin "
			  "(entering other network namespaces)."},
	[F_BUILD_INFO] = {"socklife_build_info", "gauge",
			  "Version and revision socklife was built from; always 1."},
	[F_SELF_CPU] = {"process_cpu_seconds_total", "counter",
			"Total user and system CPU time spent in seconds."},
	[F_SELF_RSS] = {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes."},
	[F_SELF_VSZ] = {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes."},
	[F_SELF_FDS] = {"process_open_fds", "gauge", "Number of open file descriptors."},
	[F_SELF_MAX_FDS] = {"process_max_fds", "gauge", "Maximum number of open file descriptors."},
	[F_SELF_START] = {"process_start_time_seconds", "gauge",
			  "Start time of the process since unix epoch in seconds."},
};

static const char *const stage_names[STAGE_COUNT] = {
	[STAGE_PROC] = "proc", [STAGE_NETNS] = "netns", [STAGE_DUMP] = "dump",
	[STAGE_RENDER] = "render"};
static const char *const phase_names[PHASE_COUNT] = {
	[PHASE_PROC] = "proc", [PHASE_DUMP] = "dump", [PHASE_TOTAL] = "total"};

/* A label value may hold anything but these three, unescaped. */
static const char *const label_escapes[128] = {['\\'] = "\\\\", ['"'] = "\\\"", ['\n'] = "\\n"};

void render_label_value(struct strbuf *out, const char *s, size_t n)
{
	sb_append_escaped(out, s, n, label_escapes);
}

static void header(struct strbuf *out, enum family f)
{
	sb_printf(out, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
		  families[f].name, families[f].type);
}

/* Write `name{` and the labels that name a group; the caller closes it. */
static void group_labels(struct strbuf *out, enum family f, const struct group *g)
{
	sb_puts(out, families[f].name);
	sb_puts(out, "{process=\"");
	render_label_value(out, g->name, strlen(g->name));
	sb_puts(out, "\",container=\"");
	render_label_value(out, g->container, strlen(g->container));
	sb_putc(out, '"');
	if (g->pid >= 0) /* grouped by pid */
		sb_printf(out, ",pid=\"%" PRId32 "\"", g->pid);
}

static void render_namespaces(struct strbuf *out, const struct tally *t)
{
	header(out, F_SOCKETS);
	for (size_t i = 0; i < t->nns; i++) {
		const struct ns_tally *ns = &t->ns[i];
		for (int p = 0; p < PROTO_COUNT; p++) {
			if (!ns->dumped[p])
				continue;
			for (const uint8_t *st = proto_states(p); *st; st++) {
				sb_printf(out, "%s{netns=\"", families[F_SOCKETS].name);
				render_label_value(out, ns->label, strlen(ns->label));
				sb_printf(out, "\",proto=\"%s\",state=\"%s\"} %" PRIu32 "\n",
					  proto_name(p), state_name(*st), ns->count[p][*st]);
			}
		}
	}
	header(out, F_UNRESOLVED);
	for (size_t i = 0; i < t->nns; i++) {
		const struct ns_tally *ns = &t->ns[i];
		for (int p = 0; p < PROTO_COUNT; p++) {
			if (!ns->dumped[p])
				continue;
			sb_printf(out, "%s{netns=\"", families[F_UNRESOLVED].name);
			render_label_value(out, ns->label, strlen(ns->label));
			sb_printf(out, "\",proto=\"%s\"} %" PRIu32 "\n", proto_name(p),
				  ns->unresolved[p]);
		}
	}
}

static void render_groups(struct strbuf *out, const struct tally *t)
{
	header(out, F_PROCESS_SOCKETS);
	for (size_t i = 0; i < t->ngroups; i++) {
		const struct group *g = &t->groups[i];
		if (g->outside)
			continue;
		for (int p = 0; p < PROTO_COUNT; p++) {
			if (!g->h.has[p])
				continue;
			for (const uint8_t *st = proto_states(p); *st; st++) {
				group_labels(out, F_PROCESS_SOCKETS, g);
				sb_printf(out, ",proto=\"%s\",state=\"%s\"} %" PRIu32 "\n",
					  proto_name(p), state_name(*st), g->h.count[p][*st]);
			}
		}
	}
	header(out, F_PROCESS_OPEN_FDS);
	for (size_t i = 0; i < t->ngroups; i++) {
		if (t->groups[i].outside)
			continue;
		group_labels(out, F_PROCESS_OPEN_FDS, &t->groups[i]);
		sb_printf(out, "} %" PRIu64 "\n", t->groups[i].open_fds);
	}
	header(out, F_PROCESS_FD_USAGE);
	for (size_t i = 0; i < t->ngroups; i++) {
		if (t->groups[i].outside)
			continue;
		group_labels(out, F_PROCESS_FD_USAGE, &t->groups[i]);
		sb_printf(out, "} %.6g\n", t->groups[i].fd_usage_ratio);
	}
}

static void render_scans(struct strbuf *out, const struct scan_stats *s)
{
	header(out, F_SCAN_DURATION);
	for (int i = 0; i < PHASE_COUNT; i++)
		sb_printf(out, "%s{phase=\"%s\"} %.6f\n", families[F_SCAN_DURATION].name,
			  phase_names[i], s->duration[i]);
	for (size_t i = 0; i < s->n_ns_durations; i++) {
		sb_printf(out, "%s{phase=\"netns\",netns=\"", families[F_SCAN_DURATION].name);
		render_label_value(out, s->ns_durations[i].label, strlen(s->ns_durations[i].label));
		sb_printf(out, "\"} %.6f\n", s->ns_durations[i].seconds);
	}
	header(out, F_SCANS);
	sb_printf(out, "%s %" PRIu64 "\n", families[F_SCANS].name, s->scans);
	header(out, F_SCAN_ERRORS);
	for (int i = 0; i < STAGE_COUNT; i++)
		sb_printf(out, "%s{stage=\"%s\"} %" PRIu64 "\n", families[F_SCAN_ERRORS].name,
			  stage_names[i], s->errors[i]);
	header(out, F_LAST_SCAN);
	sb_printf(out, "%s %.3f\n", families[F_LAST_SCAN].name, s->last_success);
	header(out, F_SKIPPED);
	sb_printf(out, "%s{reason=\"duplicate\"} %" PRIu64 "\n", families[F_SKIPPED].name,
		  s->skipped_duplicates);
	sb_printf(out, "%s{reason=\"unknown_state\"} %" PRIu64 "\n", families[F_SKIPPED].name,
		  s->skipped_unknown_state);
	header(out, F_VANISHED);
	sb_printf(out, "%s{object=\"process\"} %" PRIu64 "\n", families[F_VANISHED].name,
		  s->vanished_procs);
	sb_printf(out, "%s{object=\"fd\"} %" PRIu64 "\n", families[F_VANISHED].name,
		  s->vanished_fds);
	sb_printf(out, "%s{object=\"netns\"} %" PRIu64 "\n", families[F_VANISHED].name,
		  s->vanished_netns);
	header(out, F_SCAN_PROCS);
	sb_printf(out, "%s %" PRIu32 "\n", families[F_SCAN_PROCS].name, s->procs);
	header(out, F_SCAN_DENIED);
	sb_printf(out, "%s %" PRIu32 "\n", families[F_SCAN_DENIED].name, s->denied_procs);
	header(out, F_SCAN_FDS_READ);
	sb_printf(out, "%s %" PRIu64 "\n", families[F_SCAN_FDS_READ].name, s->fds_read);
}

static void render_self(struct strbuf *out, const struct selfstat *s)
{
	header(out, F_BUILD_INFO);
	sb_printf(out, "%s{version=\"%s\",revision=\"%s\"} 1\n", families[F_BUILD_INFO].name,
		  SOCKLIFE_VERSION, SOCKLIFE_REVISION);
	header(out, F_SELF_CPU);
	sb_printf(out, "%s %.3f\n", families[F_SELF_CPU].name, s->cpu_seconds);
	header(out, F_SELF_RSS);
	sb_printf(out, "%s %" PRIu64 "\n", families[F_SELF_RSS].name, s->resident_bytes);
	header(out, F_SELF_VSZ);
	sb_printf(out, "%s %" PRIu64 "\n", families[F_SELF_VSZ].name, s->virtual_bytes);
	header(out, F_SELF_FDS);
	sb_printf(out, "%s %" PRIu64 "\n", families[F_SELF_FDS].name, s->open_fds);
	header(out, F_SELF_MAX_FDS);
	sb_printf(out, "%s %" PRIu64 "\n", families[F_SELF_MAX_FDS].name, s->max_fds);
	header(out, F_SELF_START);
	sb_printf(out, "%s %.3f\n", families[F_SELF_START].name, s->start_time);
}

void render_leaks(struct strbuf *out, const struct leak_tracker *lt, const struct procscan *ps,
		  const struct tally *t)
{
	header(out, F_CW_CAUSE);
	for (size_t i = 0; i < t->ngroups; i++) {
		const struct group *g = &t->groups[i];
		if (g->outside)
			continue;
		if (!g->h.has[PROTO_TCP])
			continue;
		uint32_t cw = g->h.count[PROTO_TCP][ST_CLOSE_WAIT];
		group_labels(out, F_CW_CAUSE, g);
		sb_printf(out, ",cause=\"eof_unread\"} %" PRIu32 "\n", g->h.cw_unread);
		group_labels(out, F_CW_CAUSE, g);
		sb_printf(out, ",cause=\"eof_read\"} %" PRIu32 "\n", cw - g->h.cw_unread);
	}
	header(out, F_CW_OLDEST);
	for (size_t i = 0; i < t->ngroups; i++) {
		if (t->groups[i].outside)
			continue;
		if (!t->groups[i].h.has[PROTO_TCP])
			continue;
		group_labels(out, F_CW_OLDEST, &t->groups[i]);
		sb_printf(out, "} %.3f\n", t->groups[i].h.cw_oldest);
	}
	header(out, F_UNHASHED);
	for (size_t i = 0; i < t->ngroups; i++) {
		if (t->groups[i].outside)
			continue;
		group_labels(out, F_UNHASHED, &t->groups[i]);
		sb_printf(out, "} %" PRIu32 "\n", t->groups[i].h.unhashed);
	}
	header(out, F_LEAK);
	for (size_t i = 0; i < lt->nprocs; i++) {
		const struct leak_proc *lp = &lt->procs[i];
		if (!lp->reasons)
			continue;
		const struct proc_info *pi = &ps->procs[lp->proc];
		const struct group *g = &t->groups[t->proc_group[lp->proc]];
		for (int r = 0; r < LEAK_REASON_COUNT; r++) {
			if (!(lp->reasons & (1u << r)))
				continue;
			sb_printf(out, "%s{process=\"", families[F_LEAK].name);
			render_label_value(out, pi->comm, strlen(pi->comm));
			sb_puts(out, "\",container=\"");
			render_label_value(out, g->container, strlen(g->container));
			sb_printf(out, "\",pid=\"%" PRId32 "\",reason=\"%s\"} 1\n", pi->pid,
				  leak_reason_name(r));
		}
	}
}

static void render_unix_and_containers(struct strbuf *out, const struct tally *t)
{
	static const char *const modes[] = {[NS_MODE_SOCK_DIAG] = "sock_diag",
					    [NS_MODE_PROCFS] = "procfs", [NS_MODE_NONE] = "none"};
	header(out, F_UNIX_PEER_GONE);
	for (size_t i = 0; i < t->ngroups; i++) {
		if (t->groups[i].outside)
			continue;
		if (!t->groups[i].h.has[PROTO_UNIX])
			continue;
		group_labels(out, F_UNIX_PEER_GONE, &t->groups[i]);
		sb_printf(out, "} %" PRIu32 "\n", t->groups[i].h.unix_peer_gone);
	}
	header(out, F_CONTAINER_INFO);
	for (size_t i = 1; i <= t->ps->ncontainers; i++) {
		const struct container_ref *c = &t->ps->containers[i];
		sb_printf(out, "%s{container=\"", families[F_CONTAINER_INFO].name);
		render_label_value(out, c->id, strlen(c->id));
		sb_puts(out, "\",runtime=\"");
		render_label_value(out, c->runtime, strlen(c->runtime));
		sb_puts(out, "\",pod_uid=\"");
		render_label_value(out, c->pod_uid, strlen(c->pod_uid));
		sb_puts(out, "\",cgroup=\"");
		render_label_value(out, c->cgroup, strlen(c->cgroup));
		sb_puts(out, "\"} 1\n");
	}
	header(out, F_NETNS_MODE);
	for (size_t i = 0; i < t->nns; i++) {
		sb_printf(out, "%s{netns=\"", families[F_NETNS_MODE].name);
		render_label_value(out, t->ns[i].label, strlen(t->ns[i].label));
		sb_printf(out, "\",mode=\"%s\"} 1\n", modes[t->ns[i].mode]);
	}
}

void render_sockets(struct strbuf *out, const struct tally *t)
{
	render_namespaces(out, t);
	render_groups(out, t);
	render_unix_and_containers(out, t);
}

static void ns_sample(struct strbuf *out, enum family f, const struct ns_tally *ns)
{
	sb_printf(out, "%s{netns=\"", families[f].name);
	render_label_value(out, ns->label, strlen(ns->label));
	sb_putc(out, '"');
}

void render_kernel(struct strbuf *out, const struct tally *t, bool orphans_known,
		   uint64_t orphans, bool max_known, uint64_t max_orphans)
{
	if (orphans_known) {
		header(out, F_ORPHANS);
		sb_printf(out, "%s %" PRIu64 "\n", families[F_ORPHANS].name, orphans);
	}
	if (max_known) {
		header(out, F_MAX_ORPHANS);
		sb_printf(out, "%s %" PRIu64 "\n", families[F_MAX_ORPHANS].name, max_orphans);
	}
	header(out, F_MAX_TW);
	for (size_t i = 0; i < t->nns; i++) {
		if (!t->ns[i].max_tw_buckets)
			continue;
		ns_sample(out, F_MAX_TW, &t->ns[i]);
		sb_printf(out, "} %" PRIu64 "\n", t->ns[i].max_tw_buckets);
	}
	header(out, F_TW_PORTS);
	for (size_t i = 0; i < t->nns; i++) {
		const struct ns_tally *ns = &t->ns[i];
		for (int r = 0; r < ns->ntw; r++) {
			const struct twport_row *row = &ns->tw[r];
			ns_sample(out, F_TW_PORTS, ns);
			sb_printf(out, ",side=\"%s\",port=\"", row->side == TW_LOCAL ? "local" : "remote");
			if (row->other)
				sb_puts(out, "other");
			else
				sb_printf(out, "%u", row->port);
			sb_printf(out, "\"} %" PRIu32 "\n", row->count);
		}
	}
}

void render_status(struct strbuf *out, const struct scan_stats *stats, const struct selfstat *self,
		   const struct caps_state *caps)
{
	render_scans(out, stats);
	header(out, F_CAPABILITY);
	for (int c = 0; c < SL_CAP_COUNT; c++)
		sb_printf(out, "%s{capability=\"%s\"} %d\n", families[F_CAPABILITY].name,
			  caps_name(c), caps->held[c] ? 1 : 0);
	header(out, F_HIST_OVERFLOW);
	sb_printf(out, "%s %" PRIu64 "\n", families[F_HIST_OVERFLOW].name, stats->history_overflow);
	render_self(out, self);
}
