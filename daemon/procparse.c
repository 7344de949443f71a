/* procparse.c - pure parsers of /proc files; see procparse.h. */
#include <socklife/procparse.h>

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* Field `want` (numbered as in proc(5)) of the fields after the comm, as a
 * number.  `p` points just past the closing parenthesis, which is field 2. */
static int stat_field(const char *p, const char *end, int want, uint64_t *out)
{
	for (int field = 3; field < want; field++) {
		while (p < end && *p == ' ')
			p++;
		while (p < end && *p != ' ')
			p++;
	}
	while (p < end && *p == ' ')
		p++;
	if (p >= end || !isdigit((unsigned char)*p))
		return -EINVAL;
	uint64_t v = 0;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

int procparse_stat(const char *buf, size_t len, struct proc_stat *out)
{
	const char *open = memchr(buf, '(', len);
	const char *close = NULL;

	for (const char *p = buf + len; p > buf; p--) {
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	}
	if (!open || !close || close < open)
		return -EINVAL;

	size_t n = (size_t)(close - open - 1);
	if (n >= PROC_COMM_MAX)
		n = PROC_COMM_MAX - 1;
	memcpy(out->comm, open + 1, n);
	out->comm[n] = '\0';

	uint64_t flags;
	if (stat_field(close + 1, buf + len, 9, &flags) < 0 ||
	    stat_field(close + 1, buf + len, 22, &out->start_time) < 0)
		return -EINVAL;
	out->kernel_thread = (flags & 0x00200000) != 0; /* PF_KTHREAD */
	return 0;
}

int procparse_limits(const char *buf, size_t len, uint64_t *soft_nofile)
{
	static const char key[] = "Max open files";
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > sizeof(key) - 1 && memcmp(p, key, sizeof(key) - 1) == 0) {
			const char *v = p + sizeof(key) - 1;
			while (v < eol && *v == ' ')
				v++;
			if ((size_t)(eol - v) >= 9 && memcmp(v, "unlimited", 9) == 0) {
				*soft_nofile = 0;
				return 0;
			}
			if (v >= eol || !isdigit((unsigned char)*v))
				return -EINVAL;
			uint64_t n = 0;
			for (; v < eol && isdigit((unsigned char)*v); v++) {
				if (n > (UINT64_MAX - 9) / 10)
					return -EINVAL;
				n = n * 10 + (uint64_t)(*v - '0');
			}
			*soft_nofile = n;
			return 0;
		}
		p = eol + 1;
	}
	return -EINVAL;
}

int procparse_fd_link(const char *link, size_t len, uint64_t *inode)
{
	static const char prefix[] = "socket:[";
	const size_t plen = sizeof(prefix) - 1;

	if (len < plen + 2 || memcmp(link, prefix, plen) != 0 || link[len - 1] != ']')
		return 0;
	uint64_t v = 0;
	for (size_t i = plen; i < len - 1; i++) {
		if (!isdigit((unsigned char)link[i]) || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(link[i] - '0');
	}
	*inode = v;
	return 1;
}
