/* config.c - the option table, and the getopt_long loop it drives. */
#include <socklife/config.h>
#include <socklife/duration.h>
#include <socklife/listen.h>
#include <socklife/log.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A setter returns NULL on success or a short reason the value is wrong. */
typedef const char *(*setter)(struct config *cfg, const char *arg);

struct option_spec {
	const char *name;  /* long name, without "--" */
	char short_name;   /* 0 when there is none */
	const char *arg;   /* argument placeholder, NULL for a switch */
	const char *def;   /* default, applied through the setter; NULL = none */
	const char *help;
	setter set;
};

static const char *set_listen(struct config *c, const char *a)
{
	char host[LISTEN_HOST_MAX], port[LISTEN_PORT_MAX];
	if (listen_parse(a, host, port) < 0)
		return "must be ADDR:PORT, [IPv6]:PORT or :PORT, with a port from 0 to 65535";
	c->listen_address = a;
	return NULL;
}

static const char *parse_count(const char *a, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(a, &end, 10);
	if (errno || end == a || *end || *a == '-' || v == 0 || v > 100000)
		return "must be a whole number from 1 to 100000";
	*out = (unsigned)v;
	return NULL;
}

static const char *set_web_config(struct config *c, const char *a)
{
	if (!*a)
		return "must be a file";
	c->web_config_file = a;
	return NULL;
}

static const char *set_max_conn(struct config *c, const char *a)
{
	return parse_count(a, &c->web_max_connections);
}

static const char *set_max_conn_ip(struct config *c, const char *a)
{
	return parse_count(a, &c->web_max_connections_per_ip);
}

static const char *set_web_timeout(struct config *c, const char *a)
{
	if (duration_parse(a, &c->web_timeout) < 0 || c->web_timeout < 1)
		return "must be a duration of at least 1s (e.g. 10s)";
	return NULL;
}

static const char *set_interval(struct config *c, const char *a)
{
	if (duration_parse(a, &c->interval) < 0 || c->interval < 0.01 || c->interval > 86400)
		return "must be a duration from 10ms to 24h (e.g. 15s, 500ms)";
	return NULL;
}

static const char *set_group_by(struct config *c, const char *a)
{
	if (strcmp(a, "comm") == 0)
		c->group_by = GROUP_BY_COMM;
	else if (strcmp(a, "pid") == 0)
		c->group_by = GROUP_BY_PID;
	else
		return "must be comm or pid";
	return NULL;
}

static const char *set_once(struct config *c, const char *a)
{
	(void)a;
	c->once = true;
	return NULL;
}

static const char *set_proc_root(struct config *c, const char *a)
{
	if (!*a)
		return "must be a directory";
	c->proc_root = a;
	return NULL;
}

static const char *set_user(struct config *c, const char *a)
{
	if (!*a)
		return "must be a user name";
	c->user = a;
	return NULL;
}

static const char *set_netns(struct config *c, const char *a)
{
	if (strcmp(a, "all") == 0)
		c->all_netns = true;
	else if (strcmp(a, "host") == 0)
		c->all_netns = false;
	else
		return "must be all or host";
	return NULL;
}

static const char *set_log_level(struct config *c, const char *a)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	for (int i = 0; i < 4; i++) {
		if (strcmp(a, names[i]) == 0) {
			c->log_level = i;
			return NULL;
		}
	}
	return "must be error, warn, info or debug";
}

/* A duration flag that must be positive, stored at the given offset. */
#define DURATION_SETTER(fn, field)                                                                 \
	static const char *fn(struct config *c, const char *a)                                    \
	{                                                                                          \
		if (duration_parse(a, &c->field) < 0 || c->field <= 0)                             \
			return "must be a positive duration (e.g. 30s, 5m)";                       \
		return NULL;                                                                       \
	}

DURATION_SETTER(set_watch, watch)
DURATION_SETTER(set_cw_age, leak_close_wait_age)
DURATION_SETTER(set_fw2_age, leak_fin_wait2_age)
DURATION_SETTER(set_unhashed_age, leak_unhashed_age)
DURATION_SETTER(set_unix_age, leak_unix_peer_gone_age)
DURATION_SETTER(set_growth_window, leak_growth_window)

static const char *set_cw_growth(struct config *c, const char *a)
{
	return parse_count(a, &c->leak_close_wait_growth);
}

static const char *set_socket_growth(struct config *c, const char *a)
{
	return parse_count(a, &c->leak_socket_growth);
}

static const char *set_fd_ratio(struct config *c, const char *a)
{
	char *end;
	errno = 0;
	c->leak_fd_ratio = strtod(a, &end);
	if (errno || end == a || *end || !(c->leak_fd_ratio > 0 && c->leak_fd_ratio <= 1))
		return "must be a number above 0 and at most 1 (e.g. 0.8)";
	return NULL;
}

static const char *set_verify(struct config *c, const char *a)
{
	if (parse_count(a, &c->verify_passes) || c->verify_passes > 1000)
		return "must be a whole number from 1 to 1000";
	return NULL;
}

static const char *set_tw_ports(struct config *c, const char *a)
{
	if (parse_count(a, &c->time_wait_top_ports) || c->time_wait_top_ports > 50)
		return "must be a whole number from 1 to 50";
	return NULL;
}

/* Pseudo-setters for the two flags that print and exit. */
static const char *set_help(struct config *c, const char *a) { (void)c, (void)a; return NULL; }
static const char *set_version(struct config *c, const char *a) { (void)c, (void)a; return NULL; }

static const struct option_spec options[] = {
	{"web.listen-address", 0, "ADDR:PORT", ":9917",
	 "where to serve /metrics, / and /healthz; [IPv6]:PORT works,\n"
	 "        :PORT means every address", set_listen},
	{"listen", 'l', "ADDR:PORT", NULL, "short alias of --web.listen-address", set_listen},
	{"web.config.file", 0, "FILE", NULL,
	 "TLS and basic auth settings (exporter-toolkit format: tls_server_config,\n"
	 "        basic_auth_users)", set_web_config},
	{"web.max-connections", 0, "N", "64", "connections served at once, in all", set_max_conn},
	{"web.max-connections-per-ip", 0, "N", "8", "connections served at once from one address",
	 set_max_conn_ip},
	{"web.timeout", 0, "DURATION", "10s", "close a connection idle this long", set_web_timeout},
	{"interval", 'i', "DURATION", "15s", "time between sampling passes (e.g. 15s, 500ms)",
	 set_interval},
	{"group-by", 'g', "comm|pid", "comm",
	 "a process group is a command name (comm), or each pid\n"
	 "        (adds a pid label)", set_group_by},
	{"once", '1', NULL, NULL, "run one pass, print the exposition on stdout and exit", set_once},
	{"proc-root", 0, "DIR", "/proc", "where procfs is mounted", set_proc_root},
	{"user", 'u', "USER", NULL,
	 "after binding the port, become USER, keeping only the capabilities\n"
	 "        socklife needs", set_user},
	{"netns", 0, "all|host", "all",
	 "dump every network namespace, or only the one socklife runs\n"
	 "        in", set_netns},
	{"log.level", 0, "LEVEL", "info", "error, warn, info or debug", set_log_level},
	{"resolve.verify-passes", 0, "N", "20",
	 "read every process's fds again at least every N passes, to catch\n"
	 "        sockets handed from one process to another (1: every pass)", set_verify},
	{"time-wait.top-ports", 0, "N", "10",
	 "TIME_WAIT is reported for this many busiest ports per side, the rest\n"
	 "        summed as \"other\"", set_tw_ports},
	{"leak.close-wait-age", 0, "DURATION", "5m",
	 "flag a process holding a CLOSE_WAIT socket this old", set_cw_age},
	{"leak.fin-wait2-age", 0, "DURATION", "5m",
	 "flag a process holding a FIN_WAIT2 socket this old", set_fw2_age},
	{"leak.unhashed-age", 0, "DURATION", "2m",
	 "flag socket fds that no dump lists (reset, never connected)\n"
	 "        held this long",
	 set_unhashed_age},
	{"leak.unix-peer-gone-age", 0, "DURATION", "2m",
	 "flag UNIX stream sockets whose peer closed this long ago", set_unix_age},
	{"leak.growth-window", 0, "DURATION", "10m",
	 "window over which CLOSE_WAIT or socket fds must only rise", set_growth_window},
	{"leak.close-wait-growth", 0, "N", "5",
	 "least rise of CLOSE_WAIT over the window that flags a\n"
	 "        process", set_cw_growth},
	{"leak.socket-growth", 0, "N", "50",
	 "least rise of socket fds over the window that flags a\n"
	 "        process", set_socket_growth},
	{"leak.fd-ratio", 0, "RATIO", "0.8",
	 "flag a process using this share of its soft fd limit", set_fd_ratio},
	{"watch", 'w', "DURATION", NULL, "top: refresh every DURATION instead of once", set_watch},
	{"version", 'V', NULL, NULL, "print the version and exit", set_version},
	{"help", 'h', NULL, NULL, "print this help and exit", set_help},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *out)
{
	fprintf(out, "Usage: socklife [OPTION]...\n"
		     "       socklife top [--watch DURATION] [OPTION]...\n"
		     "Count sockets by state per process, container and network namespace,\n"
		     "flag processes that leak them, and serve Prometheus metrics; `top`\n"
		     "shows the same diagnosis in a terminal.\n\n");
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_spec *o = &options[i];
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

enum config_result config_parse(struct config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
	struct option longopts[N_OPTIONS + 1];
	char shortopts[2 * N_OPTIONS * 2 + 2] = ":"; /* ':' first: report missing arguments */
	size_t ns = 1;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option_spec *o = &options[i];
		if (o->def && o->set(cfg, o->def))
			fatal("built-in default of --%s is invalid", o->name);
		longopts[i] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
					      (int)(256 + i)};
		if (o->short_name) {
			shortopts[ns++] = o->short_name;
			if (o->arg)
				shortopts[ns++] = ':';
		}
	}
	longopts[N_OPTIONS] = (struct option){0};
	shortopts[ns] = '\0';

	/* A subcommand comes first, before any flag. */
	if (argc > 1 && strcmp(argv[1], "top") == 0) {
		cfg->command = CMD_TOP;
		argv++;
		argc--;
	}
	opterr = 0;
	optind = 1;
	for (;;) {
		int c = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			const char *what = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
			fprintf(err, "socklife: %s flag %s (see --help)\n",
				c == '?' ? "unknown" : "missing value for", what);
			return CONFIG_USAGE;
		}
		size_t i = N_OPTIONS;
		if (c >= 256)
			i = (size_t)(c - 256);
		else
			for (i = 0; i < N_OPTIONS && options[i].short_name != c; i++)
				;
		if (i >= N_OPTIONS)
			return CONFIG_USAGE;
		const struct option_spec *o = &options[i];
		if (o->set == set_help) {
			usage(out);
			return CONFIG_EXIT;
		}
		if (o->set == set_version) {
			fprintf(out, "socklife %s (revision %s)\n", SOCKLIFE_VERSION, SOCKLIFE_REVISION);
			return CONFIG_EXIT;
		}
		const char *why = o->set(cfg, optarg);
		if (why) {
			fprintf(err, "socklife: --%s %s: %s\n", o->name, optarg ? optarg : "", why);
			return CONFIG_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(err, "socklife: unexpected argument '%s' (see --help)\n", argv[optind]);
		return CONFIG_USAGE;
	}
	return CONFIG_RUN;
}
