/* config.h - command-line configuration.
 *
 * One table (in config.c) lists every flag with its argument, default and
 * help text; it drives getopt_long, the defaults and --help, so the three can
 * never disagree. */
#ifndef SOCKLIFE_CONFIG_H
#define SOCKLIFE_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

enum group_by {
	GROUP_BY_COMM, /* one group per (container, comm): the default */
	GROUP_BY_PID,  /* one group per process; adds a pid label */
};

struct config {
	const char *listen_address; /* "ADDR:PORT", "[v6]:PORT" or ":PORT" */
	unsigned web_max_connections;
	unsigned web_max_connections_per_ip;
	double web_timeout;  /* seconds an idle connection may stay open */
	double interval;     /* seconds between sampling passes */
	enum group_by group_by;
	bool once;           /* one pass, exposition to stdout, exit */
	const char *proc_root;
	int log_level;       /* enum log_level */
};

enum config_result {
	CONFIG_RUN = 0,   /* go on and run */
	CONFIG_EXIT = 1,  /* --help or --version printed; exit 0 */
	CONFIG_USAGE = 2, /* bad command line, one line printed; exit 2 */
};

/* Fill `cfg` from defaults and argv.  Help and version go to `out`, errors to
 * `err` as one line. */
enum config_result config_parse(struct config *cfg, int argc, char **argv, FILE *out, FILE *err);

/* Seconds after which a scan is stale and /healthz turns 503. */
double config_stale_after(const struct config *cfg);

#endif
