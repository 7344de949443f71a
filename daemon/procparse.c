/* procparse.c - pure parsers of /proc files; see procparse.h. */
#include <socklife/procparse.h>

#include <socklife/lex.h>

#include <errno.h>
#include <string.h>

int procparse_stat(const char *buf, size_t len, struct proc_stat *out)
{
	/* The comm runs from the first '(' to the last ')': it may hold
	 * either, but no field after it can. */
	const char *open = memchr(buf, '(', len);
	const char *close = memrchr(buf, ')', len);
	if (!open || !close || close < open)
		return -EINVAL;

	size_t n = (size_t)(close - open - 1);
	if (n >= PROC_COMM_MAX)
		n = PROC_COMM_MAX - 1;
	memcpy(out->comm, open + 1, n);
	out->comm[n] = '\0';

	/* Fields count from 3 after the ')': 9 is flags, 22 the start time. */
	struct lex_span rest = lex_span(close + 1, (size_t)(buf + len - close - 1)), fields;
	uint64_t flags;
	if (!lex_line(&rest, &fields) || !lex_skip(&fields, 9 - 3) ||
	    !lex_word_u64(&fields, 10, &flags) || !lex_skip(&fields, 22 - 10) ||
	    !lex_word_u64(&fields, 10, &out->start_time))
		return -EINVAL;
	out->kernel_thread = (flags & 0x00200000) != 0; /* PF_KTHREAD */
	return 0;
}

int procparse_limits(const char *buf, size_t len, uint64_t *soft_nofile)
{
	struct lex_span rest = lex_span(buf, len), line, soft;

	/* "Max open files            1024                 1048576              files" */
	while (lex_line(&rest, &line)) {
		if (!lex_prefix(line, "Max open files", &line))
			continue;
		if (!lex_word(&line, &soft))
			return -EINVAL;
		if (lex_eq(soft, "unlimited")) {
			*soft_nofile = 0;
			return 0;
		}
		return lex_u64(soft, 10, soft_nofile) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

int procparse_fd_link(const char *link, size_t len, uint64_t *inode)
{
	struct lex_span s = lex_span(link, len);
	return lex_prefix(s, "socket:[", &s) && lex_suffix(s, "]", &s) && lex_u64(s, 10, inode);
}
