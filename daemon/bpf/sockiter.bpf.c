// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* sockiter.bpf.c - every socket fd of every task, in one walk.
 *
 * An iter/task_file program: the kernel calls it once per open fd of
 * every task in the reader's pid namespace (kernel/bpf/task_iter.c), then
 * once more with task == NULL when the walk is over.  For each fd that is
 * a socket it writes a struct sockiter_sock; after each file table a
 * struct sockiter_task; at the end a struct sockiter_end
 * (include/socklife/sockiter_record.h).
 *
 * Why the per-walk state is written the way it is: bpf_seq_read() keeps a
 * call's output only if all of it fits in the seq_file buffer; otherwise
 * it drops that output, returns what it has to read(), and calls the
 * program again for the same fd on the next read().  So a call commits
 * its changes to the walk state only after every write succeeded, and a
 * repeated call writes exactly what the dropped one would have.
 *
 * And the walk does not end for good at its last call: a read() after it
 * resumes from the last tid + 1, and a process created since then is
 * walked too.  A finished walk stays marked as such, so a late call
 * writes nothing after END. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <stdbool.h> /* the compiler's own; no C library under -target bpf */

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "sockiter_kern.h"
#include <socklife/sockiter_record.h>

/* The licence must be GPL-compatible: bpf_seq_write is gpl_only. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define TCP_LISTEN 10
#define RLIMIT_NOFILE 7
/* A thread group is searched for another user of a table at most this far. */
#define MAX_THREADS 65536

/* The kernel's tick rate, CONFIG_HZ, from the kernel config libbpf reads
 * (/boot/config-$(uname -r) or /proc/config.gz); 0 where neither is
 * readable, as in most containers.  Weak, so that is no load error. */
extern unsigned int CONFIG_HZ __kconfig __weak;

/* Set by the loader when it measured the tick rate itself; wins. */
__u32 hz_measured;

/* What sockiter_clock saw, for the loader's measurement. */
__u64 clock_jiffies;
__u64 clock_ns;

/* The state of one walk, i.e. one opened iterator fd. */
struct walk {
	__u32 tid;      /* the task whose table is being walked; 0 before the first */
	__u32 tgid;
	__u32 fds;      /* its fds seen so far */
	__u32 netns;
	__u32 nofile;
	__u32 skip_tid; /* a task whose table another thread's visit covered */
	__u32 sockets;  /* records written so far */
	__u32 tasks;
	__u32 shared;   /* tables skipped as already walked */
	__u32 done;     /* END is written: nothing more */
};

/* Walks by meta->session_id, unique for every opened iterator fd.
 * Entries are never deleted (a finished walk must stay finished, and a
 * reader may close its fd early): LRU lets old ones age out, while a live
 * walk touches its entry on every call. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct walk);
} walks SEC(".maps");

static struct walk *walk_of(__u64 session)
{
	struct walk *w = bpf_map_lookup_elem(&walks, &session);
	if (w)
		return w;
	struct walk fresh = {};
	bpf_map_update_elem(&walks, &session, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&walks, &session);
}

static __u32 tick_rate(void)
{
	return hz_measured ? hz_measured : CONFIG_HZ;
}

/* tcp_info's jiffies_to_msecs(now - stamp), with 32-bit jiffies as TCP
 * keeps them (tcp_jiffies32), clamped instead of wrapped. */
static __u32 age_ms(__u32 now, __u32 stamp, __u32 rate)
{
	__u64 ms = (__u64)(now - stamp) * 1000 / rate;
	return ms > SOCKITER_MS_MAX ? SOCKITER_MS_MAX : (__u32)ms;
}

struct scan {
	__u64 head;  /* &signal->thread_head */
	__u64 pos;   /* the list node being looked at */
	__u64 files;
	__u32 tid;
	int found;
};

static long scan_thread(__u32 i, void *data)
{
	struct scan *s = data;
	(void)i;
	if (s->pos == s->head || !s->pos)
		return 1;
	struct task_struct *t =
		(void *)(s->pos - bpf_core_field_offset(struct task_struct, thread_node));
	if ((__u64)BPF_CORE_READ(t, files) == s->files && (__u32)BPF_CORE_READ(t, pid) < s->tid) {
		s->found = 1;
		return 1;
	}
	struct list_head *node = (void *)s->pos;
	s->pos = (__u64)BPF_CORE_READ(node, next);
	return 0;
}

/* task_file skips a thread whose table is its group leader's, so a table
 * shared by threads is walked once.  Once the leader has exited (its files
 * are NULL while other threads live on) every thread compares unequal and
 * each would be walked: walk the table only through its thread with the
 * lowest tid, which the walk (in tid order) reaches first. */
static bool table_walked(struct task_struct *task)
{
	struct files_struct *files = task->files;
	if (!files || task->pid == task->tgid || files->count.counter <= 1)
		return false;
	struct signal_struct *sig = task->signal;
	struct scan s = {
		.head = (__u64)sig + bpf_core_field_offset(struct signal_struct, thread_head),
		.pos = (__u64)BPF_CORE_READ(sig, thread_head.next),
		.files = (__u64)BPF_CORE_READ(task, files),
		.tid = (__u32)task->pid,
	};
	bpf_loop(MAX_THREADS, scan_thread, &s, 0);
	return s.found;
}

static void begin_table(struct walk *w, struct task_struct *task)
{
	struct nsproxy *ns = task->nsproxy;
	unsigned long nofile = task->signal->rlim[RLIMIT_NOFILE].rlim_cur;

	w->tid = (__u32)task->pid;
	w->tgid = (__u32)task->tgid;
	w->fds = 0;
	w->netns = ns ? ns->net_ns->ns.inum : 0;
	/* setrlimit() refuses more than fs.nr_open, itself below 2^31. */
	w->nofile = nofile > 0xffffffffUL ? 0xffffffffu : (__u32)nofile;
}

static long put_task(struct seq_file *seq, const struct walk *w)
{
	struct sockiter_task r = {
		.kind = SOCKITER_KIND_TASK,
		.version = SOCKITER_VERSION,
		.flags = w->tid != w->tgid ? SOCKITER_T_THREAD : 0,
		.tgid = w->tgid,
		.tid = w->tid,
		.fds = w->fds,
		.netns = w->netns,
		.nofile = w->nofile,
	};
	return bpf_seq_write(seq, &r, sizeof(r));
}

static void fill_inet(struct sockiter_sock *r, struct sock *sk)
{
	r->lport = sk->__sk_common.skc_num;
	r->rport = bpf_ntohs(sk->__sk_common.skc_dport);
	if (r->family == AF_INET) {
		__u32 l = sk->__sk_common.skc_rcv_saddr, d = sk->__sk_common.skc_daddr;
		__builtin_memcpy(r->laddr, &l, 4);
		__builtin_memcpy(r->raddr, &d, 4);
	} else if (bpf_core_field_exists(sk->__sk_common.skc_v6_rcv_saddr)) {
		BPF_CORE_READ_INTO(&r->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&r->raddr, sk, __sk_common.skc_v6_daddr);
	}
}

/* Queues as tcp_diag_get_info() reports them, ages as tcp_get_info(). */
static void fill_tcp(struct sockiter_sock *r, struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return;
	r->flags |= SOCKITER_F_TCP;
	if (r->state == TCP_LISTEN) {
		r->rqueue = sk->sk_ack_backlog;     /* accept queue length */
		r->wqueue = sk->sk_max_ack_backlog; /* listen() backlog */
		r->syn_queue = (__u32)tp->inet_conn.icsk_accept_queue.qlen.counter;
	} else {
		int unread = (int)(tp->rcv_nxt - tp->copied_seq);
		r->rqueue = unread > 0 ? (__u32)unread : 0;
		r->wqueue = tp->write_seq - tp->snd_una;
	}
	__u32 rate = tick_rate();
	if (!rate || !((1u << r->state) & SOCKITER_TIMED_STATES))
		return;
	__u32 now = (__u32)bpf_jiffies64();
	r->last_recv_ms = age_ms(now, tp->inet_conn.icsk_ack.lrcvtime, rate);
	r->last_send_ms = age_ms(now, tp->lsndtime, rate);
	r->last_ack_ms = age_ms(now, tp->rcv_tstamp, rate);
	r->flags |= SOCKITER_F_TIMES;
}

/* UNIX_DIAG_PEER: present when the socket has a peer, carrying the peer's
 * inode, sock_i_ino(peer), which is 0 once the peer is orphaned, i.e. its
 * last fd was closed (unix_release_sock -> sock_orphan).  The survivor
 * keeps its peer pointer until it is closed itself. */
static void fill_unix(struct sockiter_sock *r, struct sock *sk)
{
	struct unix_sock *u = bpf_skc_to_unix_sock(sk);
	if (!u)
		return;
	struct sock *peer = u->peer;
	if (!peer)
		return;
	r->flags |= SOCKITER_F_PEER;
	struct socket *ps = peer->sk_socket;
	if (ps)
		r->peer_ino = (__u32)BPF_CORE_READ((struct socket_alloc *)ps, vfs_inode.i_ino);
}

static long put_sock(struct seq_file *seq, struct task_struct *task, __u32 fd, struct file *file,
		     struct sock *sk)
{
	struct sockiter_sock r;

	__builtin_memset(&r, 0, sizeof(r));
	r.kind = SOCKITER_KIND_SOCK;
	r.version = SOCKITER_VERSION;
	r.family = (__u8)sk->__sk_common.skc_family;
	r.state = sk->__sk_common.skc_state;
	r.protocol = sk->sk_protocol;
	r.type = (__u8)sk->sk_type;
	r.shutdown = sk->sk_shutdown;
	r.tgid = (__u32)task->tgid;
	r.fd = fd;
	r.ino = (__u32)file->f_inode->i_ino;
	r.netns = sk->__sk_common.skc_net.net->ns.inum;
	r.cookie = bpf_get_socket_cookie(sk);
	r.rmem = (__u32)sk->sk_backlog.rmem_alloc.counter;
	r.wmem = (__u32)sk->sk_wmem_queued;

	if (r.family == AF_INET || r.family == AF_INET6) {
		fill_inet(&r, sk);
		/* A raw socket can carry protocol 6 too; only a stream is a tcp_sock. */
		if (r.protocol == IPPROTO_TCP && r.type == SOCK_STREAM)
			fill_tcp(&r, sk);
	} else if (r.family == AF_UNIX) {
		fill_unix(&r, sk);
	}
	return bpf_seq_write(seq, &r, sizeof(r));
}

static int finish(struct seq_file *seq, struct walk *w)
{
	long err = 0;

	if (w->tid)
		err = put_task(seq, w);
	if (!err) {
		struct sockiter_end e = {
			.kind = SOCKITER_KIND_END,
			.version = SOCKITER_VERSION,
			.sockets = w->sockets,
			.tasks = w->tasks + (w->tid ? 1 : 0),
			.shared = w->shared,
			.hz = tick_rate(),
		};
		err = bpf_seq_write(seq, &e, sizeof(e));
	}
	/* Written: the walk is over.  Not written: this call comes again. */
	if (!err)
		w->done = 1;
	return 0;
}

SEC("iter/task_file")
int sockiter(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	__u64 session = ctx->meta->session_id;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct walk *w = walk_of(session);

	if (!w || w->done)
		return 0; /* no state, no END record: the reader sees a cut walk */
	if (!task)
		return finish(seq, w);
	if (!file)
		return 0;

	__u32 tid = (__u32)task->pid;
	if (tid == w->skip_tid)
		return 0;
	bool fresh = tid != w->tid;
	if (fresh && table_walked(task)) {
		w->skip_tid = tid; /* no output, so this call is never repeated */
		w->shared++;
		return 0;
	}

	struct socket *sock = bpf_sock_from_file(file);
	struct sock *sk = sock ? sock->sk : NULL;
	long err = 0;
	if (fresh && w->tid)
		err = put_task(seq, w);
	if (!err && sk)
		err = put_sock(seq, task, ctx->fd, file, sk);
	if (err)
		return 0; /* dropped; called again for this fd with w unchanged */

	if (fresh) {
		if (w->tid)
			w->tasks++;
		begin_table(w, task);
	}
	w->fds++;
	if (sk)
		w->sockets++;
	return 0;
}

/* Reads the two clocks together, for the loader to measure the tick rate
 * where no kernel config says it.  Run with BPF_PROG_TEST_RUN. */
SEC("syscall")
int sockiter_clock(void *ctx)
{
	(void)ctx;
	clock_jiffies = bpf_jiffies64();
	clock_ns = bpf_ktime_get_ns();
	return 0;
}
