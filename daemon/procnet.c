/* procnet.c - parse /proc/net socket tables; see procnet.h. */
#include <socklife/procnet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROCNET_KEY_BIT (1ULL << 63)
#define ACCEPTCON 0x10000 /* __SO_ACCEPTCON: a listening UNIX socket */
#define SS_CONNECTED 3

/* Split a line into whitespace-separated fields. */
static size_t fields(const char *line, const char *end, const char **f, size_t *flen, size_t max)
{
	size_t n = 0;
	const char *p = line;
	while (p < end && n < max) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		f[n] = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		flen[n] = (size_t)(p - f[n]);
		n++;
	}
	return n;
}

static bool number(const char *s, size_t n, int base, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		int d;
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return true;
}

/* "0100007F:0277" -> port 0x277 */
static bool port_of(const char *s, size_t n, uint16_t *port)
{
	const char *colon = memchr(s, ':', n);
	uint64_t v;
	if (!colon || !number(colon + 1, (size_t)(s + n - colon - 1), 16, &v) || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Key the socket by inode (no cookies here) and hand it over. */
static void deliver(struct sockdiag_parser *p, struct sl_socket *s)
{
	s->cookie = s->inode ? (PROCNET_KEY_BIT | s->inode) : 0;
	sockdiag_deliver(p, s); /* an error is kept in p->err; procnet_read returns it */
}

/* "  sl  local rem st tx:rx tr:when retr uid timeout inode ..." */
static void inet_line(struct sockdiag_parser *p, const char *line, const char *end, uint8_t family)
{
	const char *f[12];
	size_t fl[12];
	uint64_t state, inode, uid;
	struct sl_socket s = {.family = family, .proto = (uint8_t)p->proto};

	if (fields(line, end, f, fl, 12) < 10 || !port_of(f[1], fl[1], &s.sport) ||
	    !port_of(f[2], fl[2], &s.dport) || !number(f[3], fl[3], 16, &state) ||
	    !number(f[7], fl[7], 10, &uid) || !number(f[9], fl[9], 10, &inode) ||
	    !proto_has_state(p->proto, (unsigned)state)) {
		p->stats.unknown_states++;
		return;
	}
	const char *colon = memchr(f[4], ':', fl[4]);
	uint64_t tx = 0, rx = 0;
	if (colon) {
		number(f[4], (size_t)(colon - f[4]), 16, &tx);
		number(colon + 1, (size_t)(f[4] + fl[4] - colon - 1), 16, &rx);
	}
	s.state = (uint8_t)state;
	s.inode = inode;
	s.uid = (uint32_t)uid;
	s.wqueue = (uint32_t)tx;
	s.rqueue = (uint32_t)rx;
	deliver(p, &s);
}

/* "Num RefCount Protocol Flags Type St Inode [Path]" */
static void unix_line(struct sockdiag_parser *p, const char *line, const char *end)
{
	const char *f[8];
	size_t fl[8];
	uint64_t flags, type, st, inode;
	struct sl_socket s = {.family = AF_UNIX, .proto = PROTO_UNIX};

	if (fields(line, end, f, fl, 8) < 7 || !number(f[3], fl[3], 16, &flags) ||
	    !number(f[4], fl[4], 16, &type) || !number(f[5], fl[5], 16, &st) ||
	    !number(f[6], fl[6], 10, &inode)) {
		p->stats.unknown_states++;
		return;
	}
	s.type = (uint8_t)type;
	s.state = (flags & ACCEPTCON) ? ST_LISTEN : st == SS_CONNECTED ? ST_ESTABLISHED : ST_CLOSE;
	s.inode = inode;
	deliver(p, &s);
}

/* Feed every complete line of buf[0..len) to the parser; returns how many
 * bytes were consumed (a trailing partial line is left). */
static size_t lines(struct sockdiag_parser *p, const char *buf, size_t len, uint8_t family,
		    bool *header)
{
	const char *q = buf, *end = buf + len;
	for (;;) {
		const char *eol = memchr(q, '\n', (size_t)(end - q));
		if (!eol)
			return (size_t)(q - buf);
		if (*header)
			*header = false;
		else if (p->proto == PROTO_UNIX)
			unix_line(p, q, eol);
		else
			inet_line(p, q, eol, family);
		q = eol + 1;
	}
}

void procnet_parse_inet(struct sockdiag_parser *p, const char *buf, size_t len, uint8_t family)
{
	bool header = true;
	size_t used = lines(p, buf, len, family, &header);
	if (used < len && !header)
		inet_line(p, buf + used, buf + len, family); /* a last line without '\n' */
}

void procnet_parse_unix(struct sockdiag_parser *p, const char *buf, size_t len)
{
	bool header = true;
	size_t used = lines(p, buf, len, AF_UNIX, &header);
	if (used < len && !header)
		unix_line(p, buf + used, buf + len);
}

int procnet_read(struct sockdiag_parser *p, const char *path, uint8_t family)
{
	char buf[65536];
	size_t have = 0;
	bool header = true;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		size_t used = lines(p, buf, have, family, &header);
		if (used == 0 && have == sizeof(buf)) {
			close(fd);
			return -EBADMSG; /* a line longer than the buffer: not a socket table */
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	close(fd);
	if (have && !header) {
		if (p->proto == PROTO_UNIX)
			unix_line(p, buf, buf + have);
		else
			inet_line(p, buf, buf + have, family);
	}
	return p->err;
}
