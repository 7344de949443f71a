/* selfstat.c - read the daemon's own resource use. */
#include <socklife/selfstat.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static uint64_t count_own_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	uint64_t n = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n ? n - 1 : 0; /* not counting the fd opendir itself holds */
}

void selfstat_read(struct selfstat *s, double start_time)
{
	struct rusage ru;
	struct rlimit rl;

	memset(s, 0, sizeof(*s));
	s->start_time = start_time;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		s->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
				 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		s->max_fds = rl.rlim_cur;
	s->open_fds = count_own_fds();

	FILE *f = fopen("/proc/self/statm", "re");
	if (f) {
		unsigned long long size, resident;
		long page = sysconf(_SC_PAGESIZE);
		if (fscanf(f, "%llu %llu", &size, &resident) == 2 && page > 0) {
			s->virtual_bytes = size * (uint64_t)page;
			s->resident_bytes = resident * (uint64_t)page;
		}
		fclose(f);
	}
}
