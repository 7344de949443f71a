/* netstat.c - TCP counters of a namespace from /proc/PID/net; see netstat.h. */
#include <socklife/netstat.h>

#include <socklife/fileio.h>
#include <socklife/lex.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *section, *field;
} wanted[NETSTAT_COUNT] = {
	[NETSTAT_LISTEN_OVERFLOWS] = {"TcpExt:", "ListenOverflows"},
	[NETSTAT_LISTEN_DROPS] = {"TcpExt:", "ListenDrops"},
	[NETSTAT_RETRANS_SEGS] = {"Tcp:", "RetransSegs"},
	[NETSTAT_OUT_RSTS] = {"Tcp:", "OutRsts"},
};

/* Walk a header and its value line side by side, keeping the wanted
 * fields of `section`.  A value that is no unsigned number (Tcp MaxConn is
 * -1) is no counter of ours; a value line shorter than its header gives
 * what it covers. */
static int take_pair(struct lex_span names, struct lex_span values, struct lex_span section,
		     struct netstat *out)
{
	struct lex_span name, value;
	int found = 0;
	while (lex_word(&names, &name) && lex_word(&values, &value)) {
		for (int c = 0; c < NETSTAT_COUNT; c++) {
			uint64_t v;
			if (lex_eq(section, wanted[c].section) && lex_eq(name, wanted[c].field) &&
			    lex_u64(value, 10, &v)) {
				out->value[c] = v;
				out->known |= 1u << c;
				found++;
			}
		}
	}
	return found;
}

int netstat_parse(const char *buf, size_t len, struct netstat *out)
{
	struct lex_span rest = lex_span(buf, len), header, values, hsec, vsec;
	int found = 0;
	/* Only whole lines: a file cut short by its buffer must not give a
	 * number cut short. */
	while (lex_cut(&rest, '\n', &header)) {
		struct lex_span save = rest;
		if (!lex_word(&header, &hsec) || !lex_suffix(hsec, ":", NULL))
			continue;
		if (!lex_cut(&rest, '\n', &values))
			break;
		if (!lex_word(&values, &vsec) || vsec.n != hsec.n || memcmp(vsec.p, hsec.p, hsec.n)) {
			rest = save; /* not its value line: it may be the next header */
			continue;
		}
		found += take_pair(header, values, hsec, out);
	}
	return found;
}

/* Read and parse one file; -errno when it cannot be read. */
static int read_one(const char *path, struct netstat *out)
{
	char buf[16384]; /* netstat is 4 KiB on 6.x; kernels add fields */
	ssize_t n = read_small_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	netstat_parse(buf, (size_t)n, out);
	return 0;
}

int netstat_read(const char *proc_root, int32_t pid, bool self, const struct netns_id *id,
		 struct netstat *out)
{
	static const char *const files[] = {"snmp", "netstat"};
	char dir[4096], path[4200];
	struct netstat got = {0};

	memset(out, 0, sizeof(*out));
	if (pid)
		snprintf(dir, sizeof(dir), "%s/%d", proc_root, (int)pid);
	else if (self)
		snprintf(dir, sizeof(dir), "%s/thread-self", proc_root);
	else
		return -ENOENT; /* a /run/netns namespace no process lives in */
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/net/%s", dir, files[i]);
		int err = read_one(path, &got);
		if (err)
			return err;
	}
	/* The process may have exited and its pid gone to a process of
	 * another namespace since the namespaces were listed. */
	struct netns_id now;
	snprintf(path, sizeof(path), "%s/ns/net", dir);
	int err = netns_id_of(path, &now);
	if (err)
		return err;
	if (now.dev != id->dev || now.ino != id->ino)
		return -ESRCH;
	*out = got;
	return 0;
}
