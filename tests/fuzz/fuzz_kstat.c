/* fuzz_kstat.c - /proc/net/sockstat, /proc/net/protocols and tcp_mem on
 * arbitrary bytes.  The first byte picks the file. */
#include <socklife/kstat.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 2) {
		uint64_t mem[TCP_MEM_LEVELS];
		kstat_parse_tcp_mem((const char *)data + 1, size - 1, mem);
	} else if (data[0] & 1) {
		struct sockstat st;
		kstat_parse_sockstat((const char *)data + 1, size - 1, &st);
	} else {
		struct protocols pr;
		kstat_parse_protocols((const char *)data + 1, size - 1, &pr);
	}
	return 0;
}
