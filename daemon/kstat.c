/* kstat.c - read /proc/net/sockstat and numeric sysctls. */
#include <socklife/kstat.h>

#include <socklife/fileio.h>
#include <socklife/lex.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* In "name v name v ...", the value after `name`. */
static bool field(struct lex_span pairs, const char *name, uint64_t *out)
{
	struct lex_span key;
	while (lex_word(&pairs, &key)) {
		if (lex_eq(key, name))
			return lex_word_u64(&pairs, 10, out);
		lex_skip(&pairs, 1);
	}
	return false;
}

int kstat_parse_sockstat(const char *buf, size_t len, struct sockstat *out)
{
	struct lex_span rest = lex_span(buf, len), line;
	bool tcp = false;

	memset(out, 0, sizeof(*out));
	/* "TCP: inuse 3 orphan 0 tw 4 alloc 8 mem 1" */
	while (lex_line(&rest, &line)) {
		if (lex_prefix(line, "TCP: ", &line)) {
			tcp = field(line, "inuse", &out->tcp_inuse);
			field(line, "orphan", &out->tcp_orphan);
			field(line, "tw", &out->tcp_tw);
			field(line, "mem", &out->tcp_mem);
		} else if (lex_prefix(line, "UDP: ", &line)) {
			field(line, "inuse", &out->udp_inuse);
		}
	}
	return tcp ? 0 : -EINVAL;
}

int kstat_read_sockstat(const char *path, struct sockstat *out)
{
	char buf[1024];
	ssize_t n = read_small_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return kstat_parse_sockstat(buf, (size_t)n, out);
}

int kstat_read_u64(const char *path, uint64_t *out)
{
	char buf[64];
	ssize_t n = read_small_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	/* "262144\n"; a negative value (tcp_ehash_entries in a namespace
	 * sharing the host's table) is no number here. */
	struct lex_span s = lex_span(buf, (size_t)n);
	return lex_lead_u64(&s, 10, out) ? 0 : -EINVAL;
}

int kstat_read_port_range(const char *path, uint16_t *lo, uint16_t *hi)
{
	char buf[64];
	ssize_t n = read_small_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	/* "32768\t60999\n" */
	struct lex_span rest = lex_span(buf, (size_t)n), line;
	uint64_t v[2];
	if (!lex_line(&rest, &line) || !lex_word_u64(&line, 10, &v[0]) ||
	    !lex_word_u64(&line, 10, &v[1]) || v[1] > 65535 || v[0] > v[1])
		return -EINVAL;
	*lo = (uint16_t)v[0];
	*hi = (uint16_t)v[1];
	return 0;
}

int kstat_parse_protocols(const char *buf, size_t len, struct protocols *out)
{
	static const struct {
		const char *name;
		size_t offset;
	} names[] = {
		{"TCP", offsetof(struct protocols, tcp)},     {"TCPv6", offsetof(struct protocols, tcp)},
		{"UDP", offsetof(struct protocols, udp)},     {"UDPv6", offsetof(struct protocols, udp)},
		{"UNIX", offsetof(struct protocols, unix_)},
		{"UNIX-STREAM", offsetof(struct protocols, unix_)},
	};
	struct lex_span rest = lex_span(buf, len), line, name;

	memset(out, 0, sizeof(*out));
	if (!lex_prefix(rest, "protocol", NULL))
		return -EINVAL;
	/* "NAME  size sockets ..." */
	while (lex_line(&rest, &line)) {
		if (!lex_word(&line, &name))
			continue;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (!lex_eq(name, names[i].name))
				continue;
			/* A count that is not a number must not read as "none in
			 * use": the caller would then skip a dump it needs. */
			uint64_t n, *sum = (uint64_t *)((char *)out + names[i].offset);
			if (!lex_skip(&line, 1) || !lex_word_u64(&line, 10, &n) ||
			    __builtin_add_overflow(*sum, n, sum))
				return -EINVAL;
		}
	}
	return 0;
}

int kstat_read_protocols(const char *path, struct protocols *out)
{
	char buf[8192];
	ssize_t n = read_small_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return kstat_parse_protocols(buf, (size_t)n, out);
}

int kstat_parse_tcp_mem(const char *buf, size_t len, uint64_t out[TCP_MEM_LEVELS])
{
	struct lex_span rest = lex_span(buf, len), line;
	uint64_t v[TCP_MEM_LEVELS];
	if (!lex_line(&rest, &line))
		return -EINVAL;
	for (int i = 0; i < TCP_MEM_LEVELS; i++)
		if (!lex_word_u64(&line, 10, &v[i]) || (i > 0 && v[i] < v[i - 1]))
			return -EINVAL;
	memcpy(out, v, sizeof(v));
	return 0;
}

/* net.ipv4.tcp_mem is one for the whole kernel, shown in the host's
 * namespace only. */
static bool read_tcp_mem(uint64_t out[TCP_MEM_LEVELS])
{
	char buf[128];
	ssize_t n = read_small_at(AT_FDCWD, "/proc/sys/net/ipv4/tcp_mem", buf, sizeof(buf));
	return n >= 0 && kstat_parse_tcp_mem(buf, (size_t)n, out) == 0;
}

void kstat_read_figures(const char *proc_root, struct kernel_figures *k)
{
	struct sockstat st;
	char path[4096];

	snprintf(path, sizeof(path), "%s/net/sockstat", proc_root);
	k->orphans_known = kstat_read_sockstat(path, &st) == 0;
	k->tcp_orphans = k->orphans_known ? st.tcp_orphan : 0;
	k->tcp_mem_known = k->orphans_known;
	k->tcp_mem_pages = k->orphans_known ? st.tcp_mem : 0;
	k->max_orphans_known =
		kstat_read_u64("/proc/sys/net/ipv4/tcp_max_orphans", &k->tcp_max_orphans) == 0;
	k->tcp_mem_limit_known = read_tcp_mem(k->tcp_mem_limit);
}
