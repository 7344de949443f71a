/* config.h - command-line configuration.
 *
 * One typed table (in config.c) lists every flag: its kind of value (a
 * count, a duration, a ratio, one of a few names, a string, a switch), its
 * range, its default and its help.  It drives getopt_long, the checks, the
 * defaults and --help, so they can never disagree. */
#ifndef SOCKLIFE_CONFIG_H
#define SOCKLIFE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum group_by {
	GROUP_BY_COMM, /* one group per (container, comm): the default */
	GROUP_BY_PID,  /* one group per process; adds a pid label */
};

enum socket_source {
	SOURCE_AUTO,    /* bpf where the iterator loads, else netlink */
	SOURCE_BPF,     /* bpf, or fail at start-up */
	SOURCE_NETLINK, /* sock_diag in each namespace, /proc/PID/fd for holders */
};

enum netns_scope {
	NETNS_HOST, /* only the namespace socklife runs in */
	NETNS_ALL,  /* every namespace a process lives in or /run/netns names */
};

enum command {
	CMD_DAEMON, /* serve metrics (or --once) */
	CMD_TOP,    /* `socklife top`: the diagnosis in a terminal */
};

/* The thresholds of the leak rules (see leak.h). */
struct leak_params {
	double close_wait_age;      /* seconds of silence */
	unsigned close_wait_idle;   /* stale CLOSE_WAIT a process may hold: an idle pool */
	double fin_wait2_age;       /* seconds of silence */
	double unhashed_age;        /* seconds */
	double growth_window;       /* seconds */
	unsigned close_wait_growth; /* least rise over the window that counts */
	unsigned socket_growth;     /* the same for socket fds */
	double fd_ratio;            /* 0..1 */
	double unix_peer_gone_age;  /* seconds */
};

struct config {
	enum command command;
	const char *listen_address; /* "ADDR:PORT", "[v6]:PORT" or ":PORT" */
	const char *web_config_file; /* TLS and basic auth; NULL: plain, open */
	unsigned web_max_connections;
	unsigned web_max_connections_per_ip;
	double web_timeout;  /* seconds an idle connection may stay open */
	unsigned web_reserved_connections; /* for known clients; 0: a quarter */
	double web_known_for;              /* seconds a client stays known */
	double web_header_timeout, web_request_timeout;
	unsigned web_ipv4_prefix, web_ipv6_prefix;
	double web_auth_failure_delay;
	double interval;     /* seconds between sampling passes */
	enum group_by group_by;
	bool once;           /* one pass, exposition to stdout, exit */
	const char *proc_root;
	const char *pod_logs;  /* the kubelet's /var/log/pods: pod names by UID */
	const char *user;    /* --user: switch to this user after start-up; NULL = stay */
	enum netns_scope netns;
	enum socket_source socket_source;
	double netns_read_budget; /* seconds a pass may read other namespaces; 0: interval / 4 */
	double time_wait_breakdown; /* bpf: seconds between TIME_WAIT breakdowns by port */
	int log_level;       /* enum log_level */
	double watch;        /* top: refresh every this many seconds; 0 = once */
	int32_t pid;         /* top: every socket of this process; 0 = none */
	unsigned verify_passes; /* every process's fds are read at least this often */
	unsigned time_wait_top_ports; /* TIME_WAIT ports listed per side */
	unsigned max_groups;  /* process groups reported apart; the rest are folded */
	struct leak_params leak;
	bool metrics_all_states; /* every state and count, zeros included (see series.h) */
	bool metrics_netns_scan; /* every namespace's scan duration and mode */
};

enum config_result {
	CONFIG_RUN = 0,   /* go on and run */
	CONFIG_EXIT = 1,  /* --help or --version printed; exit 0 */
	CONFIG_USAGE = 2, /* bad command line, one line printed; exit 2 */
};

/* Fill `cfg` from defaults and argv ("socklife [top] [OPTION]...").  Help
 * and version go to `out`, errors to `err` as one line. */
enum config_result config_parse(struct config *cfg, int argc, char **argv, FILE *out, FILE *err);

/* Seconds after which a scan is stale and /healthz turns 503. */
double config_stale_after(const struct config *cfg);

#endif
