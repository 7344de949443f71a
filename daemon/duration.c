/* duration.c - parse "15s" / "500ms" / "2m" / "1h" / "0.5". */
#include <socklife/duration.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *suffix;
	double seconds;
} units[] = {
	{"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}, {"", 1},
};

int duration_parse(const char *s, double *seconds)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			*seconds = v * units[i].seconds;
			return 0;
		}
	}
	return -EINVAL;
}
