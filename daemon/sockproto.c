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

static size_t slot_of(uint64_t inode, size_t cap)
{
	return (size_t)((inode * 0x9e3779b97f4a7c15ULL) >> 32) & (cap - 1);
}

static struct sockproto_entry *lookup(struct sockproto_entry *slots, size_t cap, uint64_t inode)
{
	size_t i = slot_of(inode, cap);
	while (slots[i].inode && slots[i].inode != inode)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Rebuild without the entries the last pass did not use. */
void sockproto_begin(struct sockproto_cache *c)
{
	uint32_t prev = c->pass++;
	size_t live = 0;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].inode && c->slots[i].pass == prev)
			live++;
	if (live == c->count)
		return;
	size_t cap = 64;
	while (cap < 4 * live)
		cap *= 2;
	struct sockproto_entry *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return; /* keep the stale entries; they only cost memory */
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].inode && c->slots[i].pass == prev)
			*lookup(slots, cap, c->slots[i].inode) = c->slots[i];
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	c->count = live;
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
	if ((c->count + 1) * 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct sockproto_entry *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return read_proto(proc_root, pid, fd);
		for (size_t i = 0; i < c->cap; i++)
			if (c->slots[i].inode)
				*lookup(slots, cap, c->slots[i].inode) = c->slots[i];
		free(c->slots);
		c->slots = slots;
		c->cap = cap;
	}
	struct sockproto_entry *e = lookup(c->slots, c->cap, inode);
	if (!e->inode) {
		e->inode = inode;
		e->proto = read_proto(proc_root, pid, fd);
		c->count++;
	}
	e->pass = c->pass;
	return e->proto;
}

void sockproto_free(struct sockproto_cache *c)
{
	free(c->slots);
	memset(c, 0, sizeof(*c));
}
