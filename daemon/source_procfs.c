/* source_procfs.c - sockets from /proc/PID/net tables; see source_procfs.h. */
#include <socklife/source_procfs.h>

#include <socklife/procnet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

struct procfs_source {
	struct source base;
	const char *proc_root;
};

static const struct {
	uint8_t proto, family;
	const char *file;
} tables[] = {
	{PROTO_TCP, AF_INET, "tcp"},  {PROTO_TCP, AF_INET6, "tcp6"},
	{PROTO_UDP, AF_INET, "udp"},  {PROTO_UDP, AF_INET6, "udp6"},
	{PROTO_UNIX, AF_UNIX, "unix"},
};

static int read_netns(struct source *base, const struct netns_entry *e,
		      const struct source_sink *sink, struct ns_read *out)
{
	struct procfs_source *src = (struct procfs_source *)base;
	char path[4096];

	out->mode = NS_MODE_PROCFS;
	if (!e->pid) {
		out->mode = NS_MODE_NONE; /* no process to read it through */
		return 0;
	}
	for (int proto = 0; proto < PROTO_COUNT; proto++) {
		struct sockdiag_parser p = {.proto = proto, .cb = sink->socket, .ctx = sink->ctx};
		if (!(sink->protos & (1u << proto)))
			continue;
		for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
			if (tables[i].proto != proto)
				continue;
			snprintf(path, sizeof(path), "%s/%d/net/%s", src->proc_root, (int)e->pid,
				 tables[i].file);
			int err = procnet_read(&p, path, tables[i].family);
			if (err == -ENOENT && tables[i].family == AF_INET6)
				continue; /* a kernel without IPv6 */
			if (err) {
				out->unknown_states += p.stats.unknown_states;
				return err; /* -ENOENT: its process exited, taking the way in */
			}
		}
		out->unknown_states += p.stats.unknown_states;
		out->read[proto] = true;
	}
	return 0;
}

static void free_source(struct source *base) { free(base); }

int source_procfs_new(struct source **out, const char *proc_root)
{
	struct procfs_source *src = malloc(sizeof(*src));
	if (!src)
		return -ENOMEM;
	*src = (struct procfs_source){{"procfs", NULL, read_netns, free_source}, proc_root};
	*out = &src->base;
	return 0;
}
