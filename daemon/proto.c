/* proto.c - protocol and state name tables. */
#include <socklife/proto.h>

#include <stddef.h>

static const char *const proto_names[PROTO_COUNT] = {"tcp", "udp", "unix"};

static const char *const state_names[ST_COUNT] = {
	[ST_ESTABLISHED] = "established", [ST_SYN_SENT] = "syn_sent",
	[ST_SYN_RECV] = "syn_recv",       [ST_FIN_WAIT1] = "fin_wait1",
	[ST_FIN_WAIT2] = "fin_wait2",     [ST_TIME_WAIT] = "time_wait",
	[ST_CLOSE] = "close",             [ST_CLOSE_WAIT] = "close_wait",
	[ST_LAST_ACK] = "last_ack",       [ST_LISTEN] = "listen",
	[ST_CLOSING] = "closing",
};

/* Every TCP state, in node_exporter's order, so no series ever vanishes. */
static const uint8_t tcp_states[] = {
	ST_ESTABLISHED, ST_SYN_SENT, ST_SYN_RECV,  ST_FIN_WAIT1, ST_FIN_WAIT2, ST_TIME_WAIT,
	ST_CLOSE,       ST_CLOSE_WAIT, ST_LAST_ACK, ST_LISTEN,   ST_CLOSING,   0,
};
/* UDP has no handshake: a socket is connected ("established") or not ("close"). */
static const uint8_t udp_states[] = {ST_ESTABLISHED, ST_CLOSE, 0};
/* UNIX: listening, connected, or neither (unconnected or peer gone). */
static const uint8_t unix_states[] = {ST_ESTABLISHED, ST_LISTEN, ST_CLOSE, 0};

static const uint8_t *const proto_state_lists[PROTO_COUNT] = {tcp_states, udp_states, unix_states};

const char *proto_name(enum sl_proto p) { return p < PROTO_COUNT ? proto_names[p] : "unknown"; }

const uint8_t *proto_states(enum sl_proto p)
{
	return p < PROTO_COUNT ? proto_state_lists[p] : tcp_states + 11;
}

const char *state_name(unsigned state) { return state < ST_COUNT ? state_names[state] : NULL; }

bool proto_has_state(enum sl_proto p, unsigned state)
{
	if (state == 0)
		return false;
	for (const uint8_t *st = proto_states(p); *st; st++)
		if (*st == state)
			return true;
	return false;
}
