/* config.c - the typed option table, and the getopt_long loop it drives. */
#include <socklife/config.h>
#include <socklife/duration.h>
#include <socklife/lex.h>
#include <socklife/listen.h>
#include <socklife/log.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The kinds of value a flag takes. */
enum kind {
	COUNT,    /* a whole number in [min, max], into an unsigned */
	DURATION, /* "15s", "500ms", "2m": seconds above 0, at least min, at most max (0: none), into a double */
	RATIO,    /* a number above 0 and at most 1, into a double */
	CHOICE,   /* one of `choices`, its index into an int-sized enum */
	TEXT,     /* a non-empty string, optionally checked, into a const char * */
	SWITCH,   /* no value: sets a bool */
	HELP,     /* print the help and exit */
	VERSION,  /* print the version and exit */
};

struct option_spec {
	const char *name;  /* long name, without "--" */
	char short_name;   /* 0 when there is none */
	enum kind kind;
	size_t field;      /* offset of the value in struct config */
	const char *def;   /* default, parsed like a value; NULL = none (zero) */
	double min, max;   /* COUNT and DURATION */
	const char *const *choices; /* CHOICE: names in enum order, NULL-terminated */
	/* TEXT: NULL when the value is acceptable, else why not. */
	const char *(*check)(const char *arg);
	const char *arg;   /* the value's placeholder in --help */
	const char *help;
};

static const char *check_listen(const char *a)
{
	char host[LISTEN_HOST_MAX], port[LISTEN_PORT_MAX];
	return listen_parse(a, host, port) < 0
		       ? "must be ADDR:PORT, [IPv6]:PORT or :PORT, with a port from 0 to 65535"
		       : NULL;
}

static const char *const group_by_names[] = {"comm", "pid", NULL};
static const char *const socket_source_names[] = {"auto", "bpf", "netlink", NULL};
static const char *const netns_names[] = {"host", "all", NULL};
static const char *const log_level_names[] = {"error", "warn", "info", "debug", NULL};

#define F(field) offsetof(struct config, field)
#define MORE "\n        " /* a help text's next line */

static const struct option_spec options[] = {
	{"web.listen-address", 0, TEXT, F(listen_address), ":9917", .check = check_listen,
	 .arg = "ADDR:PORT",
	 .help = "where to serve /metrics, / and /healthz; [IPv6]:PORT works," MORE
		 ":PORT means every address"},
	{"listen", 'l', TEXT, F(listen_address), NULL, .check = check_listen, .arg = "ADDR:PORT",
	 .help = "short alias of --web.listen-address"},
	{"web.config.file", 0, TEXT, F(web_config_file), NULL, .arg = "FILE",
	 .help = "TLS and basic auth settings (exporter-toolkit format: tls_server_config," MORE
		 "basic_auth_users)"},
	{"web.max-connections", 0, COUNT, F(web_max_connections), "64", 1, 100000, .arg = "N",
	 .help = "connections served at once, in all"},
	{"web.max-connections-per-ip", 0, COUNT, F(web_max_connections_per_ip), "8", 1, 100000,
	 .arg = "N", .help = "connections served at once from one address"},
	{"web.timeout", 0, DURATION, F(web_timeout), "10s", 1, 0, .arg = "DURATION",
	 .help = "close a connection idle this long"},
	{"web.reserved-connections", 0, COUNT, F(web_reserved_connections), "0", 0, 99999,
	 .arg = "N", .help = "connections kept for known clients (0: a quarter of" MORE
		 "--web.max-connections)"},
	{"web.known-client-for", 0, DURATION, F(web_known_for), "10m", 1, 0, .arg = "DURATION",
	 .help = "a client that completed an authorised request stays" MORE "known this long"},
	{"web.header-timeout", 0, DURATION, F(web_header_timeout), "5s", 0.1, 3600,
	 .arg = "DURATION", .help = "a request's headers must arrive this soon after accept"},
	{"web.request-timeout", 0, DURATION, F(web_request_timeout), "30s", 0.1, 3600,
	 .arg = "DURATION", .help = "an answer must be sent this soon after its headers"},
	{"web.ipv4-prefix", 0, COUNT, F(web_ipv4_prefix), "32", 1, 32, .arg = "BITS",
	 .help = "per-address limits count IPv4 clients by this prefix"},
	{"web.ipv6-prefix", 0, COUNT, F(web_ipv6_prefix), "64", 1, 128, .arg = "BITS",
	 .help = "per-address limits count IPv6 clients by this prefix"},
	{"web.auth.failure-delay", 0, DURATION, F(web_auth_failure_delay), "1s", 0.001, 60,
	 .arg = "DURATION", .help = "a refused password is answered this long after its" MORE
		 "headers, however long its check took"},
	{"interval", 'i', DURATION, F(interval), "15s", 0.01, 86400, .arg = "DURATION",
	 .help = "time between sampling passes (e.g. 15s, 500ms)"},
	{"group-by", 'g', CHOICE, F(group_by), "comm", .choices = group_by_names, .arg = "comm|pid",
	 .help = "a process group is a command name (comm), or each pid" MORE "(adds a pid label)"},
	{"once", '1', SWITCH, F(once), NULL,
	 .help = "run one pass, print the exposition on stdout and exit"},
	{"proc-root", 0, TEXT, F(proc_root), "/proc", .arg = "DIR", .help = "where procfs is mounted"},
	{"kubernetes.pod-logs", 0, TEXT, F(pod_logs), "/var/log/pods", .arg = "DIR",
	 .help = "the kubelet's pod log directories, which name each pod" MORE
		 "(<namespace>_<name>_<uid>)"},
	{"user", 'u', TEXT, F(user), NULL, .arg = "USER",
	 .help = "after binding the port, become USER, keeping only the capabilities" MORE
		 "socklife needs"},
	{"socket-source", 0, CHOICE, F(socket_source), "auto", .choices = socket_source_names,
	 .arg = "auto|bpf|netlink",
	 .help = "bpf: one walk of every fd table (a BPF iterator); netlink:" MORE
		 "sock_diag in each namespace; auto: bpf where it loads"},
	{"netns.read-budget", 0, DURATION, F(netns_read_budget), NULL, 0.001, 0, .arg = "DURATION",
	 .help = "time a pass may spend reading other namespaces; past it the" MORE
		 "stalest are read first, the rest served from their last read" MORE
		 "(default: a quarter of --interval)"},
	{"netns", 0, CHOICE, F(netns), "all", .choices = netns_names, .arg = "all|host",
	 .help = "dump every network namespace, or only the one socklife runs" MORE "in"},
	{"log.level", 0, CHOICE, F(log_level), "info", .choices = log_level_names, .arg = "LEVEL",
	 .help = "error, warn, info or debug"},
	{"resolve.verify-passes", 0, COUNT, F(verify_passes), "20", 1, 1000, .arg = "N",
	 .help = "read every process's fds again at least every N passes, to catch" MORE
		 "sockets handed from one process to another (1: every pass)"},
	{"time-wait.breakdown-interval", 0, DURATION, F(time_wait_breakdown), "1m", 0.001, 0,
	 .arg = "DURATION", .help = "bpf source: TIME_WAIT is counted every pass, broken down" MORE
		 "by port (a dump) this often"},
	{"max-groups", 0, COUNT, F(max_groups), "500", 1, 1000000, .arg = "N",
	 .help = "report at most N process groups apart (and every group with a" MORE
		 "suspect), the smallest folded into process=\"other\""},
	{"time-wait.top-ports", 0, COUNT, F(time_wait_top_ports), "10", 1, 50, .arg = "N",
	 .help = "TIME_WAIT is reported for this many busiest ports per side, the rest" MORE
		 "summed as \"other\""},
	{"metrics.all-states", 0, SWITCH, F(metrics_all_states), NULL,
	 .help = "serve every state and count of every namespace, group and" MORE
		 "listener, zeros included (see the README for the cost)"},
	{"metrics.netns-scan", 0, SWITCH, F(metrics_netns_scan), NULL,
	 .help = "serve each namespace's scan duration and scan mode (2 series" MORE
		 "a namespace)"},
	{"leak.close-wait-age", 0, DURATION, F(leak.close_wait_age), "5m", .arg = "DURATION",
	 .help = "a CLOSE_WAIT socket with nothing sent or received this long" MORE "is stale"},
	{"leak.close-wait-idle", 0, COUNT, F(leak.close_wait_idle), "3", 0, 100000, .arg = "N",
	 .help = "stale CLOSE_WAIT sockets a process may hold unflagged: what an" MORE
		 "idle connection pool keeps until its next request"},
	{"leak.fin-wait2-age", 0, DURATION, F(leak.fin_wait2_age), "5m", .arg = "DURATION",
	 .help = "flag a process holding a FIN_WAIT2 socket silent this long"},
	{"leak.unhashed-age", 0, DURATION, F(leak.unhashed_age), "2m", .arg = "DURATION",
	 .help = "flag socket fds that no dump lists (reset, never connected)" MORE "held this long"},
	{"leak.unix-peer-gone-age", 0, DURATION, F(leak.unix_peer_gone_age), "2m",
	 .arg = "DURATION", .help = "flag UNIX stream sockets whose peer closed this long ago"},
	{"leak.growth-window", 0, DURATION, F(leak.growth_window), "10m", .arg = "DURATION",
	 .help = "window over which CLOSE_WAIT or socket fds must only rise"},
	{"leak.close-wait-growth", 0, COUNT, F(leak.close_wait_growth), "5", 1, 100000, .arg = "N",
	 .help = "least rise of CLOSE_WAIT over the window that flags a" MORE "process"},
	{"leak.socket-growth", 0, COUNT, F(leak.socket_growth), "50", 1, 100000, .arg = "N",
	 .help = "least rise of socket fds over the window that flags a" MORE "process"},
	{"leak.fd-ratio", 0, RATIO, F(leak.fd_ratio), "0.8", .arg = "RATIO",
	 .help = "flag a process using this share of its soft fd limit"},
	{"watch", 'w', DURATION, F(watch), NULL, .arg = "DURATION",
	 .help = "top: refresh every DURATION instead of once"},
	{"pid", 'p', COUNT, F(pid), NULL, 1, 4194304, .arg = "PID",
	 .help = "top: every socket of process PID, with its state, peer and rule"},
	{"version", 'V', VERSION, 0, NULL, .help = "print the version and exit"},
	{"help", 'h', HELP, 0, NULL, .help = "print this help and exit"},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* "10ms", "1s", "24h": a duration the way a user writes it. */
static void say_duration(double s, char out[24])
{
	if (s < 1)
		snprintf(out, 24, "%gms", s * 1000);
	else if (fmod(s, 3600) == 0)
		snprintf(out, 24, "%gh", s / 3600);
	else if (fmod(s, 60) == 0)
		snprintf(out, 24, "%gm", s / 60);
	else
		snprintf(out, 24, "%gs", s);
}

/* "must be a, b or c" */
static void say_choices(const char *const *choices, char why[160])
{
	size_t n = 0, len = (size_t)snprintf(why, 160, "must be");
	while (choices[n])
		n++;
	for (size_t i = 0; i < n && len < 160; i++)
		len += (size_t)snprintf(why + len, 160 - len, "%s%s",
					i == 0 ? " " : i + 1 == n ? " or " : ", ", choices[i]);
}

/* Why `arg` is not a value of option `o` (into `why`), or NULL when it is
 * one; then it is stored in `cfg`. */
static const char *set(struct config *cfg, const struct option_spec *o, const char *arg,
		       char why[160])
{
	char *field = (char *)cfg + o->field, *end, lo[24], hi[24];
	double v;
	switch (o->kind) {
	case COUNT: {
		uint64_t n;
		if (!lex_u64(lex_span(arg, strlen(arg)), 10, &n) || n < o->min || n > o->max) {
			snprintf(why, 160, "must be a whole number from %.0f to %.0f", o->min, o->max);
			return why;
		}
		*(unsigned *)field = (unsigned)n;
		return NULL;
	}
	case DURATION:
		say_duration(o->min, lo);
		say_duration(o->max, hi);
		if (duration_parse(arg, &v) < 0 || v <= 0 || v < o->min || (o->max && v > o->max)) {
			if (o->max)
				snprintf(why, 160, "must be a duration from %s to %s (e.g. 15s, 500ms)", lo, hi);
			else if (o->min)
				snprintf(why, 160, "must be a duration of at least %s (e.g. 10s)", lo);
			else
				snprintf(why, 160, "must be a positive duration (e.g. 30s, 5m)");
			return why;
		}
		*(double *)field = v;
		return NULL;
	case RATIO:
		errno = 0;
		v = strtod(arg, &end);
		if (errno || end == arg || *end || !(v > 0 && v <= 1))
			return "must be a number above 0 and at most 1 (e.g. 0.8)";
		*(double *)field = v;
		return NULL;
	case CHOICE:
		for (int i = 0; o->choices[i]; i++) {
			if (strcmp(arg, o->choices[i]) == 0) {
				*(int *)field = i;
				return NULL;
			}
		}
		say_choices(o->choices, why);
		return why;
	case TEXT: {
		const char *bad = *arg ? (o->check ? o->check(arg) : NULL) : "must not be empty";
		if (!bad)
			*(const char **)field = arg;
		return bad;
	}
	case SWITCH:
		*(bool *)field = true;
		return NULL;
	default:
		return NULL;
	}
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: socklife [OPTION]...\n"
		     "       socklife top [--watch DURATION] [OPTION]...\n"
		     "Count sockets by state per process, container and network namespace,\n"
		     "flag processes that leak them, and serve Prometheus metrics; `top`\n"
		     "shows the same diagnosis in a terminal.\n\n");
	for (const struct option_spec *o = options; o < options + N_OPTIONS; o++) {
		if (o->short_name)
			fprintf(out, "  -%c, --%s", o->short_name, o->name);
		else
			fprintf(out, "      --%s", o->name);
		if (o->arg)
			fprintf(out, " %s", o->arg);
		fprintf(out, "\n        %s", o->help);
		if (o->def)
			fprintf(out, " (default %s)", o->def);
		fputc('\n', out);
	}
	fprintf(out, "\nExit status: 0 on success or clean stop (SIGTERM/SIGINT), 1 when it cannot\n"
		     "start (e.g. the port is in use), 2 for a bad command line.\n");
}

double config_stale_after(const struct config *cfg)
{
	/* Three missed passes, with a floor so a tiny interval does not flap. */
	double t = 3 * cfg->interval;
	return t < 5 ? 5 : t;
}

/* Defaults first, and the getopt tables. */
static void prepare(struct config *cfg, struct option longopts[N_OPTIONS + 1], char *shortopts)
{
	char why[160];
	size_t ns = 1;
	memset(cfg, 0, sizeof(*cfg));
	shortopts[0] = ':'; /* report missing arguments */
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_spec *o = &options[i];
		bool takes = o->arg != NULL;
		if (o->def && set(cfg, o, o->def, why))
			fatal("built-in default of --%s is invalid", o->name);
		longopts[i] = (struct option){o->name, takes ? required_argument : no_argument, NULL,
					      (int)(256 + i)};
		if (o->short_name) {
			shortopts[ns++] = o->short_name;
			if (takes)
				shortopts[ns++] = ':';
		}
	}
	longopts[N_OPTIONS] = (struct option){0};
	shortopts[ns] = '\0';
}

static const struct option_spec *by_short_name(int c)
{
	for (const struct option_spec *o = options; o < options + N_OPTIONS; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

enum config_result config_parse(struct config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
	struct option longopts[N_OPTIONS + 1];
	char shortopts[3 * N_OPTIONS + 2], why[160];
	prepare(cfg, longopts, shortopts);

	/* A subcommand comes first, before any flag. */
	if (argc > 1 && strcmp(argv[1], "top") == 0) {
		cfg->command = CMD_TOP;
		argv++;
		argc--;
	}
	opterr = 0;
	optind = 1;
	for (int c; (c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1;) {
		if (c == '?' || c == ':') {
			const char *what = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
			fprintf(err, "socklife: %s flag %s (see --help)\n",
				c == '?' ? "unknown" : "missing value for", what);
			return CONFIG_USAGE;
		}
		const struct option_spec *o = c >= 256 ? &options[c - 256] : by_short_name(c);
		if (!o)
			return CONFIG_USAGE;
		if (o->kind == HELP) {
			usage(out);
			return CONFIG_EXIT;
		}
		if (o->kind == VERSION) {
			fprintf(out, "socklife %s (revision %s)\n", SOCKLIFE_VERSION, SOCKLIFE_REVISION);
			return CONFIG_EXIT;
		}
		const char *bad = set(cfg, o, optarg, why);
		if (bad) {
			fprintf(err, "socklife: --%s %s: %s\n", o->name, optarg ? optarg : "", bad);
			return CONFIG_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(err, "socklife: unexpected argument '%s' (see --help)\n", argv[optind]);
		return CONFIG_USAGE;
	}
	/* The one rule between two flags: strangers must keep a connection. */
	if (cfg->web_reserved_connections >= cfg->web_max_connections) {
		fprintf(err, "socklife: --web.reserved-connections %u: must be below "
			     "--web.max-connections (%u)\n",
			cfg->web_reserved_connections, cfg->web_max_connections);
		return CONFIG_USAGE;
	}
	return CONFIG_RUN;
}
