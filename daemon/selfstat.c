/* selfstat.c - read the daemon's own resource use.
 *
 * Out of fds is exactly when these matter, and exactly when their files
 * cannot be opened: a figure that cannot be read is marked unknown (and
 * left out of the exposition), never reported as 0. */
#include <socklife/selfstat.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static bool count_own_fds(uint64_t *n)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return false;
	uint64_t count = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			count++;
	closedir(d);
	*n = count ? count - 1 : 0; /* not counting the fd opendir itself holds */
	return true;
}

static bool read_memory(struct selfstat *s)
{
	FILE *f = fopen("/proc/self/statm", "re");
	if (!f)
		return false;
	unsigned long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	bool ok = fscanf(f, "%llu %llu", &size, &resident) == 2 && page > 0;
	fclose(f);
	if (ok) {
		s->virtual_bytes = size * (uint64_t)page;
		s->resident_bytes = resident * (uint64_t)page;
	}
	return ok;
}

void selfstat_read(struct selfstat *s, double start_time)
{
	struct rusage ru;
	struct rlimit rl;

	memset(s, 0, sizeof(*s));
	s->start_time = start_time;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		s->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
				 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
		s->known[SELF_CPU] = true;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		s->max_fds = rl.rlim_cur;
		s->known[SELF_MAX_FDS] = true;
	}
	s->known[SELF_FDS] = count_own_fds(&s->open_fds);
	s->known[SELF_MEMORY] = read_memory(s);
}
