/* webconfig.c - parse --web.config.file with libyaml.
 *
 * The file is a two-level mapping; the parser walks libyaml's events and
 * keeps the path of keys it is in, so that every scalar lands in one
 * place or is an error. */
#include <socklife/webconfig.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static int bad(char *why, size_t len, const yaml_event_t *ev, const char *what, const char *arg)
{
	if (ev)
		snprintf(why, len, "line %zu: %s%s%s", ev->start_mark.line + 1, what,
			 arg ? " " : "", arg ? arg : "");
	else
		snprintf(why, len, "%s%s%s", what, arg ? " " : "", arg ? arg : "");
	return -EINVAL;
}

static bool is_bcrypt(const char *h)
{
	return strlen(h) == 60 && h[0] == '$' && h[1] == '2' &&
	       (h[2] == 'a' || h[2] == 'b' || h[2] == 'y') && h[3] == '$';
}

static int add_user(struct web_config *wc, const char *name, const char *hash)
{
	void *p = realloc(wc->users, (wc->nusers + 1) * sizeof(*wc->users));
	if (!p)
		return -ENOMEM;
	wc->users = p;
	struct web_user *u = &wc->users[wc->nusers];
	u->name = strdup(name);
	u->hash = strdup(hash);
	if (!u->name || !u->hash) {
		free(u->name);
		free(u->hash);
		return -ENOMEM;
	}
	wc->nusers++;
	return 0;
}

/* Handle one "key: value" pair inside `section`. */
static int set(struct web_config *wc, const char *section, const char *key, const char *value,
	       const yaml_event_t *ev, char *why, size_t len)
{
	if (strcmp(section, "basic_auth_users") == 0) {
		if (!*key || strchr(key, ':'))
			return bad(why, len, ev, "a user name may not be empty or hold ':':", key);
		for (size_t i = 0; i < wc->nusers; i++)
			if (strcmp(wc->users[i].name, key) == 0)
				return bad(why, len, ev, "user listed twice:", key);
		if (!is_bcrypt(value))
			return bad(why, len, ev, "not a bcrypt hash ($2y$...) for user", key);
		return add_user(wc, key, value);
	}
	if (strcmp(section, "tls_server_config") != 0)
		return bad(why, len, ev, "unknown section", section);
	char **field = strcmp(key, "cert_file") == 0 ? &wc->cert_file
		     : strcmp(key, "key_file") == 0  ? &wc->key_file
						     : NULL;
	if (field) {
		free(*field);
		return (*field = strdup(value)) ? 0 : -ENOMEM;
	}
	if (strcmp(key, "min_version") == 0) {
		if (strcmp(value, "TLS12") == 0)
			wc->tls13_only = false;
		else if (strcmp(value, "TLS13") == 0)
			wc->tls13_only = true;
		else
			return bad(why, len, ev, "min_version must be TLS12 or TLS13, not", value);
		return 0;
	}
	char full[300];
	snprintf(full, sizeof(full), "tls_server_config.%s", key);
	return bad(why, len, ev, "unsupported key", full);
}

int webconfig_parse(const char *text, size_t len, struct web_config *wc, char *why, size_t whylen)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	char section[64] = "", key[256] = "";
	int depth = 0, err = 0;
	bool have_key = false, done = false;

	memset(wc, 0, sizeof(*wc));
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!err && !done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			snprintf(why, whylen, "line %zu: %s", parser.problem_mark.line + 1,
				 parser.problem ? parser.problem : "malformed YAML");
			err = -EINVAL;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_MAPPING_START_EVENT:
			if (++depth > 2)
				err = bad(why, whylen, &ev, "nested too deep", NULL);
			else if (depth == 2 && !section[0])
				err = bad(why, whylen, &ev, "a mapping needs a section name", NULL);
			break;
		case YAML_MAPPING_END_EVENT:
			if (--depth == 1)
				section[0] = '\0';
			have_key = false;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_ALIAS_EVENT:
			err = bad(why, whylen, &ev, "lists and aliases are not part of this file", NULL);
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;
			if (depth == 1) {
				if (strcmp(v, "tls_server_config") && strcmp(v, "basic_auth_users"))
					err = bad(why, whylen, &ev, "unknown section", v);
				else
					snprintf(section, sizeof(section), "%s", v);
			} else if (depth == 2 && !have_key) {
				if (strlen(v) >= sizeof(key))
					err = bad(why, whylen, &ev, "key too long", NULL);
				snprintf(key, sizeof(key), "%s", v);
				have_key = true;
			} else if (depth == 2) {
				err = set(wc, section, key, v, &ev, why, whylen);
				have_key = false;
			} else {
				err = bad(why, whylen, &ev, "expected a mapping", NULL);
			}
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (!err && (!wc->cert_file != !wc->key_file))
		err = bad(why, whylen, NULL, "tls_server_config needs both cert_file and key_file",
			  NULL);
	if (err)
		webconfig_free(wc);
	return err;
}

int webconfig_load(const char *path, struct web_config *wc, char *why, size_t whylen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		int err = -errno;
		snprintf(why, whylen, "%s", strerror(errno));
		return err;
	}
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf), f);
	bool too_big = n == sizeof(buf);
	fclose(f);
	if (too_big) {
		snprintf(why, whylen, "larger than 64 KiB");
		return -EFBIG;
	}
	return webconfig_parse(buf, n, wc, why, whylen);
}

void webconfig_free(struct web_config *wc)
{
	free(wc->cert_file);
	free(wc->key_file);
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	memset(wc, 0, sizeof(*wc));
}
