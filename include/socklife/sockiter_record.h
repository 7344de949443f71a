/* sockiter_record.h - the records the task_file iterator writes, shared
 * by the BPF program (daemon/bpf/sockiter.bpf.c) and its parser.
 *
 * The iterator's output is a byte stream of fixed-size records, each
 * starting with a kind and a version byte; the size follows from the kind.
 * Fields are fixed-width in host byte order (the program runs on the
 * reader's own kernel), every gap is an explicit, zeroed pad field, and
 * sizes are checked below so the two sides can never disagree silently.
 *
 * Only <linux/types.h> is included: the header is compiled with
 * `-target bpf`, where the C library's headers are not usable. */
#ifndef SOCKLIFE_SOCKITER_RECORD_H
#define SOCKLIFE_SOCKITER_RECORD_H

#include <linux/types.h>

/* Bumped whenever a record's layout or meaning changes. */
#define SOCKITER_VERSION 2

enum sockiter_kind {
	SOCKITER_KIND_NONE = 0, /* never written: a zeroed buffer is not a record */
	SOCKITER_KIND_SOCK = 1, /* struct sockiter_sock: one socket fd */
	SOCKITER_KIND_TASK = 2, /* struct sockiter_task: one file table, after its fds */
	SOCKITER_KIND_END = 3,  /* struct sockiter_end: the walk is complete */
	SOCKITER_KIND_COUNT,
};

/* sockiter_sock.flags */
#define SOCKITER_F_PEER 0x01  /* UNIX: the socket has a peer; peer_ino is its inode (0: closed) */
#define SOCKITER_F_TIMES 0x02 /* TCP: last_*_ms are valid (the kernel's HZ is known) */
#define SOCKITER_F_TCP 0x04   /* a full TCP socket: rqueue and wqueue are valid */

/* The TCP states whose ages are read (TCP_FIN_WAIT2, TCP_CLOSE_WAIT): the
 * leak rules' silence (source.h TIMED_STATES).  Three more fields of a
 * tcp_sock, on lines of their own, for every established socket of the
 * host would cost the walk about a tenth. */
#define SOCKITER_TIMED_STATES ((1u << 5) | (1u << 8))

/* Ages above this (49.7 days) read as this. */
#define SOCKITER_MS_MAX 0xffffffffu

/* One fd that refers to a socket.  112 bytes. */
struct sockiter_sock {
	__u8 kind;     /* SOCKITER_KIND_SOCK */
	__u8 version;  /* SOCKITER_VERSION */
	__u8 family;   /* sk_family: AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, ... */
	__u8 state;    /* sk_state, the kernel's TCP_* numbers (UNIX uses them too) */
	__u16 protocol; /* sk_protocol: IPPROTO_TCP, IPPROTO_UDP, ...; 0 for UNIX */
	__u8 type;     /* sk_type: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, ... */
	__u8 shutdown; /* sk_shutdown: 1 no more receives, 2 no more sends */
	__u32 tgid;    /* the holder's process, as numbered in the initial pid namespace */
	__u32 fd;
	__u32 ino;     /* the socket's inode (sockfs inode numbers are 32 bits) */
	__u32 netns;   /* the socket's network namespace inode */
	__u64 cookie;  /* the same cookie sock_diag reports */
	__u8 laddr[16]; /* AF_INET: the address in the first 4 bytes, network order */
	__u8 raddr[16];
	__u16 lport;   /* host order */
	__u16 rport;
	/* TCP (SOCKITER_F_TCP), as inet_diag reports them: received but not read
	 * (rcv_nxt - copied_seq: a FIN counts 1 until it is read) and sent but not
	 * acknowledged (write_seq - snd_una); for a listener the accept queue
	 * length and the backlog. */
	__u32 rqueue;
	__u32 wqueue;
	__u32 rmem;    /* sk_rmem_alloc: receive buffer bytes held */
	__u32 wmem;    /* sk_wmem_queued: send buffer bytes queued */
	/* TCP (SOCKITER_F_TIMES, set in the SOCKITER_TIMED_STATES only):
	 * milliseconds since data was last received, data was last sent, and
	 * an ACK was last received, as tcp_info's
	 * tcpi_last_data_recv, tcpi_last_data_sent, tcpi_last_ack_recv. */
	__u32 last_recv_ms;
	__u32 last_send_ms;
	__u32 last_ack_ms;
	__u32 peer_ino; /* UNIX with SOCKITER_F_PEER: what UNIX_DIAG_PEER says */
	__u8 flags;    /* SOCKITER_F_* */
	__u8 pad[3];
	/* A TCP listener: its request socks (SYN_RECV), which no fd refers to
	 * and sockstat does not count. */
	__u32 syn_queue;
	__u32 pad2;
};

/* sockiter_task.flags */
#define SOCKITER_T_THREAD 0x01 /* the table of a thread (tid != tgid), not the leader's */

/* One file table, written after all its fds.  A process normally has one;
 * a thread that has its own (clone without CLONE_FILES, unshare(CLONE_FILES))
 * gets its own record with the same tgid.  24 bytes. */
struct sockiter_task {
	__u8 kind;    /* SOCKITER_KIND_TASK */
	__u8 version;
	__u8 flags;   /* SOCKITER_T_* */
	__u8 pad;
	__u32 tgid;
	__u32 tid;    /* the task whose table this is (the leader's: tid == tgid) */
	__u32 fds;    /* every fd the walk saw in this table, sockets or not */
	__u32 netns;  /* the task's own network namespace inode; 0 if it is exiting */
	__u32 nofile; /* its soft RLIMIT_NOFILE */
};

/* The last record of a complete walk.  Counts what the walk wrote, so a
 * reader can tell a whole pass from a cut one.  24 bytes. */
struct sockiter_end {
	__u8 kind;     /* SOCKITER_KIND_END */
	__u8 version;
	__u16 pad;
	__u32 sockets; /* sockiter_sock records written */
	__u32 tasks;   /* sockiter_task records written */
	__u32 shared;  /* tables skipped: already walked through another thread */
	__u32 hz;      /* the tick rate the ages were computed with; 0 unknown */
	__u32 pad2;
};

_Static_assert(sizeof(struct sockiter_sock) == 112, "sockiter_sock layout");
_Static_assert(sizeof(struct sockiter_task) == 24, "sockiter_task layout");
_Static_assert(sizeof(struct sockiter_end) == 24, "sockiter_end layout");
_Static_assert(__builtin_offsetof(struct sockiter_sock, cookie) == 24, "cookie is 8-aligned");
_Static_assert(__builtin_offsetof(struct sockiter_sock, flags) == 100, "no hidden padding");

/* The largest record: the parser's carry-over buffer. */
#define SOCKITER_MAX_RECORD sizeof(struct sockiter_sock)

#endif
