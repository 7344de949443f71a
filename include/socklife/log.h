/* log.h - one line per event on stderr, logfmt like every Prometheus exporter.
 *
 * Modules never log: they return 0 or -errno and the caller logs once, with
 * the context it alone knows.  fatal() is for start-up only; at runtime a
 * failure is counted in a metric and the last good snapshot keeps serving. */
#ifndef SOCKLIFE_LOG_H
#define SOCKLIFE_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Messages above `max` are dropped.  Default: LOG_LEVEL_INFO. */
void log_set_level(enum log_level max);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
