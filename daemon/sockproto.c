/* sockproto.c - protocol names of sockets, read from sockfs xattrs. */
#include <socklife/sockproto.h>

#include <socklife/proto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

uint8_t sockproto_parse(const char *name, size_t len)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} names[] = {
		{"TCP", PROTO_TCP},          {"TCPv6", PROTO_TCP},
		{"UDP", PROTO_UDP},          {"UDPv6", PROTO_UDP},
		{"UNIX", PROTO_UNIX},        {"UNIX-STREAM", PROTO_UNIX},
		{"UNIX-DGRAM", PROTO_UNIX},  {"UNIX-SEQPACKET", PROTO_UNIX},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0)
			return names[i].proto;
	return SOCKPROTO_OTHER;
}

static bool used_last_pass(const void *entry, void *ctx)
{
	return ((const struct sockproto_entry *)entry)->pass == *(const uint32_t *)ctx;
}

/* Drop the entries the last pass did not use. */
void sockproto_begin(struct sockproto_cache *c)
{
	uint32_t prev = c->pass++;
	hashmap_retain(&c->map, used_last_pass, &prev); /* out of memory: stale entries stay */
}

static uint8_t read_proto(const char *proc_root, int32_t pid, uint32_t fd)
{
	char path[4096], name[64];
	snprintf(path, sizeof(path), "%s/%d/fd/%u", proc_root, (int)pid, fd);
	ssize_t n = getxattr(path, "system.sockprotoname", name, sizeof(name) - 1);
	if (n <= 0)
		return SOCKPROTO_OTHER;
	name[n] = '\0';
	return sockproto_parse(name, strnlen(name, (size_t)n));
}

uint8_t sockproto_of(struct sockproto_cache *c, const char *proc_root, int32_t pid, uint32_t fd,
		     uint64_t inode)
{
	bool added;
	struct sockproto_entry *e = hashmap_put(&c->map, &inode, &added);
	if (!e)
		return read_proto(proc_root, pid, fd); /* out of memory: uncached */
	if (added)
		e->proto = read_proto(proc_root, pid, fd);
	e->pass = c->pass;
	return e->proto;
}

void sockproto_free(struct sockproto_cache *c)
{
	hashmap_free(&c->map);
	c->pass = 0;
}
