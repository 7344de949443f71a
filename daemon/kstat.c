/* kstat.c - read /proc/net/sockstat and numeric sysctls. */
#include <socklife/kstat.h>

#include <socklife/fileio.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* In one line "KEY: name v name v ...", find the value after `name`. */
static bool field(const char *line, const char *eol, const char *name, uint64_t *out)
{
	size_t nl = strlen(name);
	for (const char *p = line; p + nl < eol; p++) {
		if ((p == line || p[-1] == ' ') && memcmp(p, name, nl) == 0 && p[nl] == ' ') {
			const char *v = p + nl + 1;
			if (v >= eol || !isdigit((unsigned char)*v))
				return false;
			uint64_t n = 0;
			for (; v < eol && isdigit((unsigned char)*v); v++) {
				if (n > (UINT64_MAX - 9) / 10)
					return false;
				n = n * 10 + (uint64_t)(*v - '0');
			}
			*out = n;
			return true;
		}
	}
	return false;
}

int kstat_parse_sockstat(const char *buf, size_t len, struct sockstat *out)
{
	const char *p = buf, *end = buf + len;
	bool tcp = false;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > 4 && memcmp(p, "TCP: ", 5) == 0) {
			tcp = field(p + 5, eol, "inuse", &out->tcp_inuse);
			field(p + 5, eol, "orphan", &out->tcp_orphan);
			field(p + 5, eol, "tw", &out->tcp_tw);
		} else if ((size_t)(eol - p) > 4 && memcmp(p, "UDP: ", 5) == 0) {
			field(p + 5, eol, "inuse", &out->udp_inuse);
		}
		p = eol + 1;
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
	if (n == 0 || !isdigit((unsigned char)buf[0]))
		return -EINVAL;
	uint64_t v = 0;
	for (const char *p = buf; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

int kstat_read_port_range(const char *path, uint16_t *lo, uint16_t *hi)
{
	char buf[64];
	ssize_t n = read_small_at(AT_FDCWD, path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	unsigned long v[2];
	char *p = buf, *end;
	for (int i = 0; i < 2; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		v[i] = strtoul(p, &end, 10);
		if (v[i] > 65535)
			return -EINVAL;
		p = end;
	}
	if (v[0] > v[1])
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
	const char *p = buf, *end = buf + len;

	memset(out, 0, sizeof(*out));
	if (len < 8 || memcmp(buf, "protocol", 8) != 0)
		return -EINVAL;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		/* "NAME  size sockets ..." */
		const char *name_end = p;
		while (name_end < eol && *name_end != ' ')
			name_end++;
		size_t nl = (size_t)(name_end - p);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) != nl || memcmp(p, names[i].name, nl) != 0)
				continue;
			/* Columns after the name: size, then sockets. */
			char field[32] = "";
			const char *q = name_end;
			int col = 0;
			for (; col < 2; col++) {
				while (q < eol && *q == ' ')
					q++;
				if (q >= eol)
					break;
				size_t fl = 0;
				while (q < eol && *q != ' ' && fl < sizeof(field) - 1)
					field[fl++] = *q++;
				field[fl] = '\0';
			}
			/* A count that is not a number must not read as "none in
			 * use": the caller would then skip a dump it needs. */
			if (col != 2 || !field[0] || strspn(field, "0123456789") != strlen(field))
				return -EINVAL;
			*(uint64_t *)((char *)out + names[i].offset) += strtoull(field, NULL, 10);
		}
		p = eol + 1;
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
