/* sockproto.h - the protocol of a socket fd, for sockets no dump listed.
 *
 * A socket fd whose inode no sock_diag dump reported is either of a kind
 * socklife does not dump (netlink, packet, raw) or a socket the kernel has
 * unhashed while the fd stays open: a CLOSE_WAIT socket reset by its peer,
 * or one never connected.  The sockfs attribute "system.sockprotoname" of
 * /proc/PID/fd/N tells them apart ("TCP", "TCPv6", "UDP", "UNIX-STREAM",
 * "NETLINK", ...).  Answers are cached by inode: a socket never changes
 * protocol, and most unlisted sockets are the same netlink sockets pass
 * after pass. */
#ifndef SOCKLIFE_SOCKPROTO_H
#define SOCKLIFE_SOCKPROTO_H

#include <socklife/hashmap.h>

#include <stddef.h>
#include <stdint.h>

#define SOCKPROTO_OTHER 0xff /* a protocol socklife does not dump */

/* The enum sl_proto of a protocol name, or SOCKPROTO_OTHER. */
uint8_t sockproto_parse(const char *name, size_t len);

struct sockproto_entry {
	uint64_t key; /* the socket's inode */
	uint32_t pass;
	uint8_t proto;
};

struct sockproto_cache {
	struct hashmap map; /* of struct sockproto_entry */
	uint32_t pass;
};

#define SOCKPROTO_INIT {HASHMAP_INIT(struct sockproto_entry), 0}

/* Start a pass; entries not looked up during it are dropped by the next. */
void sockproto_begin(struct sockproto_cache *c);

/* The protocol of socket `inode`, held as fd `fd` by `pid`: from the cache,
 * else read from <proc_root>/<pid>/fd/<fd>.  SOCKPROTO_OTHER when it cannot
 * be read (the fd closed meanwhile). */
uint8_t sockproto_of(struct sockproto_cache *c, const char *proc_root, int32_t pid, uint32_t fd,
		     uint64_t inode);

void sockproto_free(struct sockproto_cache *c);

#endif
