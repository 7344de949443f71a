/* procnet.c - parse /proc/net socket tables; see procnet.h. */
#include <socklife/procnet.h>

#include <socklife/lex.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROCNET_KEY_BIT (1ULL << 63)
#define ACCEPTCON 0x10000 /* __SO_ACCEPTCON: a listening UNIX socket */
#define SS_CONNECTED 3

/* "0100007F:0277" -> 127.0.0.1, port 0x277.  The kernel prints each
 * 32-bit word of the address as a host-order number ("%08X" of a __be32),
 * so a word parsed back and stored in host order is the network bytes. */
static bool endpoint_of(struct lex_span s, uint8_t addr[16], uint16_t *port)
{
	struct lex_span hex;
	uint64_t v;
	if (!lex_cut(&s, ':', &hex) || !lex_u64(s, 16, &v) || v > UINT16_MAX ||
	    (hex.n != 8 && hex.n != 32))
		return false;
	*port = (uint16_t)v;
	for (size_t w = 0; w < hex.n / 8; w++) {
		uint64_t word;
		if (!lex_u64(lex_span(hex.p + 8 * w, 8), 16, &word))
			return false;
		uint32_t host = (uint32_t)word;
		memcpy(addr + 4 * w, &host, 4);
	}
	return true;
}

/* Key the socket by inode (no cookies here) and hand it over. */
static void deliver(struct sockdiag_parser *p, struct sl_socket *s)
{
	s->cookie = s->inode ? (PROCNET_KEY_BIT | s->inode) : 0;
	sockdiag_deliver(p, s); /* an error is kept in p->err; procnet_read returns it */
}

/* "  sl  local rem st tx:rx tr:when retr uid timeout inode ..." */
static void inet_line(struct sockdiag_parser *p, struct lex_span line, uint8_t family)
{
	struct lex_span f[10], txs;
	uint64_t state, inode, uid;
	struct sl_socket s = {.family = family, .proto = (uint8_t)p->proto};

	if (lex_words(line, f, 10) < 10 || !endpoint_of(f[1], s.saddr, &s.sport) ||
	    !endpoint_of(f[2], s.daddr, &s.dport) ||
	    !lex_u64(f[3], 16, &state) || state > UINT8_MAX || !lex_u64(f[7], 10, &uid) ||
	    uid > UINT32_MAX || !lex_u64(f[9], 10, &inode) ||
	    !proto_has_state(p->proto, (unsigned)state)) {
		p->stats.unknown_states++;
		return;
	}
	uint64_t tx = 0, rx = 0;
	if (lex_cut(&f[4], ':', &txs)) {
		lex_u64(txs, 16, &tx);
		lex_u64(f[4], 16, &rx);
	}
	s.state = (uint8_t)state;
	s.inode = inode;
	s.uid = (uint32_t)uid;
	s.wqueue = (uint32_t)tx;
	s.rqueue = (uint32_t)rx;
	/* UDP prints its charged memory here; TCP the payload still to read
	 * and to send (a lower bound of its memory); a listener its accept
	 * queue, which is no memory. */
	if (s.state != ST_LISTEN) {
		s.rmem_bytes = s.rqueue;
		s.wmem_bytes = s.wqueue;
	}
	deliver(p, &s);
}

/* "Num RefCount Protocol Flags Type St Inode [Path]" */
static void unix_line(struct sockdiag_parser *p, struct lex_span line)
{
	struct lex_span f[7];
	uint64_t flags, type, st, inode;
	struct sl_socket s = {.family = AF_UNIX, .proto = PROTO_UNIX};

	if (lex_words(line, f, 7) < 7 || !lex_u64(f[3], 16, &flags) || !lex_u64(f[4], 16, &type) ||
	    type > UINT8_MAX || !lex_u64(f[5], 16, &st) || !lex_u64(f[6], 10, &inode)) {
		p->stats.unknown_states++;
		return;
	}
	s.type = (uint8_t)type;
	s.state = (flags & ACCEPTCON) ? ST_LISTEN : st == SS_CONNECTED ? ST_ESTABLISHED : ST_CLOSE;
	s.inode = inode;
	deliver(p, &s);
}

static void table_line(struct sockdiag_parser *p, struct lex_span line, uint8_t family)
{
	if (p->proto == PROTO_UNIX)
		unix_line(p, line);
	else
		inet_line(p, line, family);
}

/* Every line of a whole table but its header. */
static void table(struct sockdiag_parser *p, const char *buf, size_t len, uint8_t family)
{
	struct lex_span rest = lex_span(buf, len), line;
	if (!lex_line(&rest, &line))
		return;
	while (lex_line(&rest, &line))
		table_line(p, line, family);
}

/* Feed every complete line of buf[0..len) to the parser; returns how many
 * bytes were consumed (a trailing partial line is left). */
static size_t lines(struct sockdiag_parser *p, const char *buf, size_t len, uint8_t family,
		    bool *header)
{
	struct lex_span rest = lex_span(buf, len), line;
	while (lex_cut(&rest, '\n', &line)) {
		if (*header)
			*header = false;
		else
			table_line(p, line, family);
	}
	return len - rest.n;
}

void procnet_parse_inet(struct sockdiag_parser *p, const char *buf, size_t len, uint8_t family)
{
	table(p, buf, len, family);
}

void procnet_parse_unix(struct sockdiag_parser *p, const char *buf, size_t len)
{
	table(p, buf, len, AF_UNIX);
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
	if (have && !header)
		table_line(p, lex_span(buf, have), family); /* a last line without '\n' */
	return p->err;
}
