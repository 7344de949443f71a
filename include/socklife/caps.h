/* caps.h - run with the least privilege that works.
 *
 * socklife needs three capabilities and nothing else:
 *   CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE  read other users' /proc/PID/fd
 *   CAP_SYS_ADMIN                           setns() into other network namespaces
 * and, with the bpf socket source and without CAP_SYS_ADMIN, a fourth:
 *   CAP_BPF    create an iterator from the loaded program for each pass
 *              (before Linux 6.5 bpf() refuses every command without it
 *              or CAP_SYS_ADMIN when unprivileged BPF is disabled)
 * Loading the program needs CAP_PERFMON too; it is loaded before this
 * restriction, so that one goes with the rest.
 * Started as root it keeps those, drops every other from all its sets
 * and its bounding set, and can switch to an unprivileged user.  Started
 * already restricted (a systemd unit with AmbientCapabilities=) it changes
 * nothing: no call that a seccomp filter might refuse is made. */
#ifndef SOCKLIFE_CAPS_H
#define SOCKLIFE_CAPS_H

#include <stdbool.h>
#include <stddef.h>

enum sl_cap { SL_CAP_DAC_READ_SEARCH, SL_CAP_SYS_PTRACE, SL_CAP_SYS_ADMIN, SL_CAP_BPF, SL_CAP_COUNT };

struct caps_state {
	bool held[SL_CAP_COUNT];   /* in the effective set */
	bool needed[SL_CAP_COUNT]; /* the three always; CAP_BPF with the bpf source
				    * where CAP_SYS_ADMIN is not held */
};

/* "cap_dac_read_search", ... */
const char *caps_name(enum sl_cap c);

/* Which of them the process holds now, and which it needs (`bpf`: the
 * bpf socket source is in use). */
void caps_read(struct caps_state *out, bool bpf);

/* Keep only the capabilities it needs (those of them it has), drop every
 * other one, and become `user` (NULL: stay who it is).  Returns 0, or
 * -errno with a reason in `why`. */
int caps_restrict(const char *user, bool bpf, char *why, size_t whylen);

#endif
