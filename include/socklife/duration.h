/* duration.h - Prometheus-style durations: "15s", "500ms", "2m", "1h", or a
 * bare number of seconds ("0.5"). */
#ifndef SOCKLIFE_DURATION_H
#define SOCKLIFE_DURATION_H

/* Parse `s` into seconds.  Returns 0, or -EINVAL for anything that is not a
 * finite, non-negative duration. */
int duration_parse(const char *s, double *seconds);

#endif
