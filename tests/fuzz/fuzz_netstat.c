/* fuzz_netstat.c - /proc/PID/net/snmp and netstat on arbitrary bytes. */
#include <socklife/netstat.h>

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netstat n = {0};
	netstat_parse((const char *)data, size, &n);
	return 0;
}
