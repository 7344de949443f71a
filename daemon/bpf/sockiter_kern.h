/* sockiter_kern.h - the few kernel structures the iterator reads.
 *
 * Minimal CO-RE definitions instead of a generated vmlinux.h: each struct
 * names only the fields read, and preserve_access_index makes every access
 * a relocation that libbpf resolves by name against the running kernel's
 * BTF (/sys/kernel/btf/vmlinux) at load time.  Field order and offsets
 * here mean nothing; names and types must match the kernel's.  Nested
 * anonymous structs and unions in the kernel (sock_common's address and
 * port pairs) are matched through, so fields are declared flat.
 *
 * Written against Linux 6.1 (Debian 12) and checked against 6.18. */
#ifndef SOCKLIFE_SOCKITER_KERN_H
#define SOCKLIFE_SOCKITER_KERN_H

#include <linux/types.h>

#define CORE __attribute__((preserve_access_index))

struct list_head {
	struct list_head *next;
	struct list_head *prev;
} CORE;

typedef struct {
	int counter;
} atomic_t;

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id; /* one per opened iterator fd, never reused */
	__u64 seq_num;
} CORE;

/* The task_file iterator's context.  task is NULL on the last call, made
 * once the walk is over. */
struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
} CORE;

struct rlimit {
	unsigned long rlim_cur;
	unsigned long rlim_max;
} CORE;

struct signal_struct {
	struct list_head thread_head; /* every thread of the group, by thread_node */
	struct rlimit rlim[16];
} CORE;

struct files_struct {
	atomic_t count; /* tasks sharing this table (CLONE_FILES) */
} CORE;

struct ns_common {
	unsigned int inum;
} CORE;

struct net {
	struct ns_common ns;
} CORE;

struct nsproxy {
	struct net *net_ns;
} CORE;

struct task_struct {
	int pid;  /* the thread's id, initial pid namespace */
	int tgid; /* the process's */
	struct list_head thread_node;
	struct files_struct *files; /* NULL once the task has exited */
	struct nsproxy *nsproxy;    /* NULL once the task has exited */
	struct signal_struct *signal;
} CORE;

struct inode {
	unsigned long i_ino;
} CORE;

struct file {
	struct inode *f_inode;
} CORE;

struct socket {
	struct sock *sk;
} CORE;

/* sockfs allocates a socket and its inode together: SOCK_INODE(). */
struct socket_alloc {
	struct socket socket;
	struct inode vfs_inode;
} CORE;

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__u32 u6_addr32[4];
	} in6_u;
} CORE;

typedef struct {
	struct net *net;
} possible_net_t;

struct sock_common {
	__u32 skc_daddr;     /* network order */
	__u32 skc_rcv_saddr;
	__u16 skc_dport;     /* network order */
	__u16 skc_num;       /* host order */
	unsigned short skc_family;
	volatile unsigned char skc_state;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;     /* only with CONFIG_IPV6 */
	struct in6_addr skc_v6_rcv_saddr;
} CORE;

struct sock {
	struct sock_common __sk_common;
	struct {
		atomic_t rmem_alloc; /* sk_rmem_alloc */
	} sk_backlog;
	int sk_wmem_queued;
	struct socket *sk_socket; /* NULL once orphaned (closed by its last holder) */
	__u16 sk_protocol;
	__u16 sk_type;
	__u8 sk_shutdown;
	__u32 sk_ack_backlog;
	__u32 sk_max_ack_backlog;
} CORE;

struct request_sock_queue {
	atomic_t qlen; /* request socks (SYN_RECV) of a listener */
} CORE;

struct inet_connection_sock {
	struct request_sock_queue icsk_accept_queue;
	struct {
		__u32 lrcvtime; /* jiffies: data last received */
	} icsk_ack;
} CORE;

struct tcp_sock {
	struct inet_connection_sock inet_conn;
	__u32 rcv_nxt;
	__u32 copied_seq;
	__u32 write_seq;
	__u32 snd_una;
	__u32 lsndtime;   /* jiffies: data last sent */
	__u32 rcv_tstamp; /* jiffies: an ACK last received */
} CORE;

struct unix_sock {
	struct sock *peer;
} CORE;

#undef CORE

#endif
