/* fuzz_container.c - /proc/PID/cgroup on arbitrary bytes: an id, if any, is
 * a short hex string and every field is NUL-terminated. */
#include <socklife/container.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct container_ref c;
	int found = container_parse_cgroup((const char *)data, size, &c);
	if (strnlen(c.id, sizeof(c.id)) == sizeof(c.id) ||
	    strnlen(c.cgroup, sizeof(c.cgroup)) == sizeof(c.cgroup) ||
	    strnlen(c.pod_uid, sizeof(c.pod_uid)) == sizeof(c.pod_uid))
		abort();
	if (found != (c.id[0] != '\0'))
		abort();
	for (const char *p = c.id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			abort();
	return 0;
}
