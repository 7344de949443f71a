/* listen.c - parse a listen address and open a listening TCP socket. */
#include <socklife/listen.h>

#include <socklife/lex.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int listen_parse(const char *address, char host[LISTEN_HOST_MAX], char port[LISTEN_PORT_MAX])
{
	const char *colon, *h = address;
	size_t hlen;

	if (address[0] == '[') {
		const char *close = strchr(address, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		h = address + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(address, ':');
		if (!colon || memchr(address, ':', (size_t)(colon - address)))
			return -EINVAL; /* a bare IPv6 address needs brackets */
		hlen = (size_t)(colon - address);
	}
	const char *p = colon + 1;
	size_t plen = strlen(p);
	if (plen == 0 || plen >= LISTEN_PORT_MAX || hlen >= LISTEN_HOST_MAX)
		return -EINVAL;
	uint64_t v;
	if (!lex_u64(lex_span(p, plen), 10, &v) || v > 65535)
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memcpy(port, p, plen + 1);
	return 0;
}

static int open_one(const struct addrinfo *ai)
{
	int one = 1, zero = 0;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int listen_open(const char *address)
{
	char host[LISTEN_HOST_MAX], port[LISTEN_PORT_MAX];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;

	if (listen_parse(address, host, port) < 0)
		return -EINVAL;
	/* Every address: prefer one dual-stack IPv6 socket, as Go exporters do. */
	if (!host[0])
		hints.ai_family = AF_INET6;
	int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0 && !host[0]) {
		hints.ai_family = AF_INET; /* no IPv6 on this host */
		rc = getaddrinfo(NULL, port, &hints, &res);
	}
	if (rc != 0)
		return rc == EAI_SYSTEM ? -errno : -ENOENT;

	int fd = -EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = open_one(ai);
		if (fd >= 0 || fd == -EADDRINUSE)
			break;
	}
	freeaddrinfo(res);
	if (fd == -EAFNOSUPPORT && !host[0]) {
		hints.ai_family = AF_INET;
		if (getaddrinfo(NULL, port, &hints, &res) == 0) {
			fd = open_one(res);
			freeaddrinfo(res);
		}
	}
	return fd;
}
