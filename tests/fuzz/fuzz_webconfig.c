/* fuzz_webconfig.c - --web.config.file contents on arbitrary bytes: either
 * an error with a reason, or a config whose users all carry bcrypt hashes. */
#include <socklife/webconfig.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_config wc;
	char why[256] = "";
	if (webconfig_parse((const char *)data, size, &wc, why, sizeof(why)) == 0) {
		for (size_t i = 0; i < wc.nusers; i++)
			if (strncmp(wc.users[i].hash, "$2", 2) != 0 || strlen(wc.users[i].hash) != 60)
				abort();
		if (!wc.cert_file != !wc.key_file)
			abort();
		webconfig_free(&wc);
	} else if (!why[0]) {
		abort(); /* every error says why */
	}
	return 0;
}
