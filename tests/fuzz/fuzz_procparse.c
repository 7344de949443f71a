/* fuzz_procparse.c - /proc/PID/stat, limits and fd links on arbitrary bytes.
 * The first byte picks the parser. */
#include <socklife/procparse.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0: {
		struct proc_stat st;
		if (procparse_stat(text, len, &st) == 0 && strlen(st.comm) >= PROC_COMM_MAX)
			abort();
		break;
	}
	case 1: {
		uint64_t v;
		procparse_limits(text, len, &v);
		break;
	}
	default: {
		uint64_t inode;
		procparse_fd_link(text, len, &inode);
		break;
	}
	}
	return 0;
}
