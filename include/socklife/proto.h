/* proto.h - the protocols socklife counts and the states each can be in.
 *
 * States are kept as the kernel's numbers (include/net/tcp_states.h) so a
 * count array indexed by state needs no translation; the table in proto.c
 * says which states each protocol emits and what they are called.  Names
 * are node_exporter's, so existing dashboards read the same. */
#ifndef SOCKLIFE_PROTO_H
#define SOCKLIFE_PROTO_H

#include <stdbool.h>
#include <stdint.h>

enum sl_proto { PROTO_TCP, PROTO_UDP, PROTO_UNIX, PROTO_COUNT };

enum sl_state {
	ST_ESTABLISHED = 1,
	ST_SYN_SENT,
	ST_SYN_RECV,
	ST_FIN_WAIT1,
	ST_FIN_WAIT2,
	ST_TIME_WAIT,
	ST_CLOSE,
	ST_CLOSE_WAIT,
	ST_LAST_ACK,
	ST_LISTEN,
	ST_CLOSING,
	ST_NEW_SYN_RECV, /* request sockets; sock_diag reports them as SYN_RECV */
	ST_COUNT,        /* count arrays are [ST_COUNT], index 0 unused */
};

/* "tcp", "udp", "unix" */
const char *proto_name(enum sl_proto p);

/* The states protocol `p` emits, in exposition order, ending with 0. */
const uint8_t *proto_states(enum sl_proto p);

/* Is `state` one that protocol `p` reports? */
bool proto_has_state(enum sl_proto p, unsigned state);

/* "established", "close_wait", ...; NULL for a number that is no state. */
const char *state_name(unsigned state);

#endif
