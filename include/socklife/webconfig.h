/* webconfig.h - --web.config.file: TLS and basic auth, the way Prometheus
 * exporters configure them (exporter-toolkit's file format):
 *
 *   tls_server_config:
 *     cert_file: /etc/socklife/cert.pem
 *     key_file: /etc/socklife/key.pem
 *     min_version: TLS12          # or TLS13; TLS 1.2 is the floor
 *   basic_auth_users:
 *     prometheus: $2y$10$...      # bcrypt, e.g. from `htpasswd -nBC 10 ""`
 *
 * Unknown keys are errors, so a typo never silently turns security off. */
#ifndef SOCKLIFE_WEBCONFIG_H
#define SOCKLIFE_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name;
	char *hash; /* bcrypt: $2a$, $2b$ or $2y$ */
};

struct web_config {
	char *cert_file, *key_file; /* both or neither */
	bool tls13_only;            /* min_version: TLS13 */
	struct web_user *users;
	size_t nusers;
};

/* Parse the YAML text of a web config.  Returns 0, or -EINVAL with the
 * reason (and line) in `why`. */
int webconfig_parse(const char *text, size_t len, struct web_config *out, char *why,
		    size_t whylen);

/* Read and parse a file.  0 or -errno with a reason. */
int webconfig_load(const char *path, struct web_config *out, char *why, size_t whylen);

void webconfig_free(struct web_config *wc);

#endif
