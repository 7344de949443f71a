/* caps.c - drop to the capabilities socklife needs (libcap). */
#include <socklife/caps.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

static const cap_value_t wanted[SL_CAP_COUNT] = {
	[SL_CAP_DAC_READ_SEARCH] = CAP_DAC_READ_SEARCH,
	[SL_CAP_SYS_PTRACE] = CAP_SYS_PTRACE,
	[SL_CAP_SYS_ADMIN] = CAP_SYS_ADMIN,
	[SL_CAP_BPF] = CAP_BPF,
};

static const char *const names[SL_CAP_COUNT] = {
	[SL_CAP_DAC_READ_SEARCH] = "cap_dac_read_search",
	[SL_CAP_SYS_PTRACE] = "cap_sys_ptrace",
	[SL_CAP_SYS_ADMIN] = "cap_sys_admin",
	[SL_CAP_BPF] = "cap_bpf",
};

const char *caps_name(enum sl_cap c) { return c < SL_CAP_COUNT ? names[c] : "unknown"; }

/* CAP_BPF only with the bpf source, and only without CAP_SYS_ADMIN, which
 * lets bpf() do everything CAP_BPF would. */
static bool needed(int i, bool bpf, bool sys_admin)
{
	return i != SL_CAP_BPF || (bpf && !sys_admin);
}

static bool is_wanted(cap_value_t v, bool bpf, bool sys_admin)
{
	for (int i = 0; i < SL_CAP_COUNT; i++)
		if (wanted[i] == v && needed(i, bpf, sys_admin))
			return true;
	return false;
}

static bool has(cap_t c, cap_value_t v, cap_flag_t set)
{
	cap_flag_value_t f = CAP_CLEAR;
	if (c)
		cap_get_flag(c, v, set, &f);
	return f == CAP_SET;
}

void caps_read(struct caps_state *out, bool bpf)
{
	cap_t c = cap_get_proc();
	bool sys_admin = has(c, CAP_SYS_ADMIN, CAP_EFFECTIVE);
	for (int i = 0; i < SL_CAP_COUNT; i++) {
		out->needed[i] = needed(i, bpf, sys_admin);
		out->held[i] = has(c, wanted[i], CAP_EFFECTIVE);
	}
	cap_free(c);
}

/* Does the process hold any capability beyond those it needs, anywhere? */
static bool holds_more(cap_t c, bool bpf, bool sys_admin)
{
	for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++) {
		if (is_wanted(v, bpf, sys_admin))
			continue;
		cap_flag_value_t e = CAP_CLEAR, p = CAP_CLEAR, i = CAP_CLEAR;
		cap_get_flag(c, v, CAP_EFFECTIVE, &e);
		cap_get_flag(c, v, CAP_PERMITTED, &p);
		cap_get_flag(c, v, CAP_INHERITABLE, &i);
		if (e == CAP_SET || p == CAP_SET || i == CAP_SET ||
		    (CAP_AMBIENT_SUPPORTED() && cap_get_ambient(v) == 1))
			return true;
	}
	return false;
}

static int fail(char *why, size_t len, const char *what)
{
	int err = errno ? errno : EPERM;
	snprintf(why, len, "%s: %s", what, strerror(err));
	return -err;
}

int caps_restrict(const char *user, bool bpf, char *why, size_t whylen)
{
	cap_t cur = cap_get_proc();
	if (!cur)
		return fail(why, whylen, "reading capabilities");
	bool sys_admin = has(cur, CAP_SYS_ADMIN, CAP_PERMITTED);
	bool more = holds_more(cur, bpf, sys_admin);
	cap_flag_value_t permitted[SL_CAP_COUNT];
	for (int i = 0; i < SL_CAP_COUNT; i++)
		cap_get_flag(cur, wanted[i], CAP_PERMITTED, &permitted[i]);
	cap_free(cur);
	if (!more && !user)
		return 0; /* already as little as it needs: touch nothing */

	/* The bounding set first: dropping from it needs CAP_SETPCAP, which is
	 * about to go.  Without CAP_SETPCAP it cannot be narrowed; say so. */
	errno = 0;
	for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++)
		if (!is_wanted(v, bpf, sys_admin) && CAP_IS_SUPPORTED(v) && cap_get_bound(v) == 1 && cap_drop_bound(v) < 0)
			return fail(why, whylen, "dropping the bounding set");

	if (user) {
		struct passwd *pw = getpwnam(user);
		if (!pw) {
			errno = ENOENT;
			return fail(why, whylen, "no such user");
		}
		/* Keep the permitted set across the uid change, then raise the
		 * needed ones again (a uid change clears the effective set). */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return fail(why, whylen, "keeping capabilities");
		if (setgroups(1, &pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
			return fail(why, whylen, "switching user");
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}

	cap_t next = cap_init(); /* everything clear */
	if (!next)
		return fail(why, whylen, "building capabilities");
	cap_value_t keep[SL_CAP_COUNT];
	int n = 0;
	for (int i = 0; i < SL_CAP_COUNT; i++)
		if (permitted[i] == CAP_SET && needed(i, bpf, sys_admin))
			keep[n++] = wanted[i];
	if (n && (cap_set_flag(next, CAP_PERMITTED, n, keep, CAP_SET) < 0 ||
		  cap_set_flag(next, CAP_EFFECTIVE, n, keep, CAP_SET) < 0)) {
		cap_free(next);
		return fail(why, whylen, "building capabilities");
	}
	int rc = cap_set_proc(next);
	cap_free(next);
	if (rc < 0)
		return fail(why, whylen, "setting capabilities");
	if (CAP_AMBIENT_SUPPORTED())
		cap_reset_ambient();
	/* socklife never executes anything: no exec may gain privileges. */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}
