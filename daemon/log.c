/* log.c - logfmt lines on stderr: ts=... level=... msg="...".
 *
 * The message is quoted and escaped so that a hostile process name that ends
 * up in a message cannot forge a second log line. */
#include <socklife/log.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static enum log_level max_level = LOG_LEVEL_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level max) { max_level = max; }

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	char msg[1024], ts[40];
	struct timespec now;
	struct tm tm;

	if (level > max_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	/* Build the whole line first: one fputs keeps concurrent lines whole. */
	char line[2300];
	size_t n = (size_t)snprintf(line, sizeof(line), "ts=%s.%03ldZ level=%s msg=\"",
				    ts, now.tv_nsec / 1000000, level_names[level]);
	for (const unsigned char *p = (const unsigned char *)msg; *p && n < sizeof(line) - 8; p++) {
		if (*p == '"' || *p == '\\') {
			line[n++] = '\\';
			line[n++] = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			n += (size_t)snprintf(line + n, 5, "\\x%02x", *p);
		} else {
			line[n++] = (char)*p;
		}
	}
	line[n++] = '"';
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, stderr);
}

#define DEFINE_LOG(fn, level)                                                                      \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(level, fmt, ap);                                                              \
		va_end(ap);                                                                        \
	}

DEFINE_LOG(log_debug, LOG_LEVEL_DEBUG)
DEFINE_LOG(log_info, LOG_LEVEL_INFO)
DEFINE_LOG(log_warn, LOG_LEVEL_WARN)
DEFINE_LOG(log_error, LOG_LEVEL_ERROR)

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
