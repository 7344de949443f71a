/* listen.h - the listening socket for --web.listen-address.
 *
 * socklife binds the socket itself, before anything else, so that "port in
 * use" is reported at once and precisely, then hands the fd to the HTTP
 * server. */
#ifndef SOCKLIFE_LISTEN_H
#define SOCKLIFE_LISTEN_H

#include <stddef.h>

#define LISTEN_HOST_MAX 256
#define LISTEN_PORT_MAX 8

/* Split "ADDR:PORT", "[IPv6]:PORT" or ":PORT" (every address) into host and
 * port.  host is "" for every address.  Returns 0 or -EINVAL. */
int listen_parse(const char *address, char host[LISTEN_HOST_MAX], char port[LISTEN_PORT_MAX]);

/* Bind and listen.  Returns the socket, or -errno (-EADDRINUSE when the port
 * is taken, -EADDRNOTAVAIL / -ENOENT when the address is not ours or does
 * not resolve). */
int listen_open(const char *address);

#endif
