/* cmdline.c - the program an interpreter runs; see cmdline.h. */
#include <socklife/cmdline.h>

#include <stdio.h>
#include <string.h>

/* Per interpreter (by the start of its comm): the options that take the
 * next argument as their value, and the option whose value is the program
 * itself (python -m module, java -jar file). */
static const struct interpreter {
	const char *comm;
	const char *const with_value[8];
	const char *program_flag;
	const char *code_flag; /* code on the command line: no program to name */
} interpreters[] = {
	{"python", {"-W", "-X", "-Q"}, "-m", "-c"},
	{"node", {"-r", "--require", "--loader", "--import", "--title"}, NULL, "-e"},
	{"java", {"-cp", "-classpath", "--class-path", "-p", "--module-path", "--add-opens"}, "-jar", NULL},
	{"ruby", {"-I", "-r", "-C"}, NULL, "-e"},
	{"perl", {"-I", "-M", "-m"}, NULL, "-e"},
	{"php", {"-c", "-d", "-z"}, NULL, "-r"},
};

static const struct interpreter *find(const char *comm)
{
	for (size_t i = 0; i < sizeof(interpreters) / sizeof(interpreters[0]); i++)
		if (strncmp(comm, interpreters[i].comm, strlen(interpreters[i].comm)) == 0)
			return &interpreters[i];
	return NULL;
}

bool cmdline_is_interpreter(const char *comm) { return find(comm) != NULL; }

static bool takes_value(const struct interpreter *in, const char *arg)
{
	for (size_t i = 0; i < 8 && in->with_value[i]; i++)
		if (strcmp(arg, in->with_value[i]) == 0)
			return true;
	return false;
}

/* The last component of a path, cut to fit. */
static void base_name(const char *path, char out[CMDLINE_PROGRAM_MAX])
{
	const char *slash = strrchr(path, '/');
	const char *base = slash && slash[1] ? slash + 1 : path;
	size_t n = strnlen(base, CMDLINE_PROGRAM_MAX - 1);
	memcpy(out, base, n);
	out[n] = '\0';
}

void cmdline_program(const char *comm, const char *args, size_t len,
		     char out[CMDLINE_PROGRAM_MAX])
{
	const struct interpreter *in = find(comm);
	out[0] = '\0';
	if (!in || len == 0)
		return;
	/* Arguments are NUL-separated; the last may lack its NUL. */
	const char *p = args, *end = args + len;
	p += strnlen(p, (size_t)(end - p)) + 1; /* argv[0], the interpreter */
	while (p < end) {
		size_t n = strnlen(p, (size_t)(end - p));
		char arg[256];
		snprintf(arg, sizeof(arg), "%.*s", (int)n, p);
		p += n + 1;
		if (in->code_flag && strcmp(arg, in->code_flag) == 0)
			return; /* code given inline: no program file */
		if (in->program_flag && strcmp(arg, in->program_flag) == 0) {
			if (p < end) {
				snprintf(arg, sizeof(arg), "%.*s", (int)strnlen(p, (size_t)(end - p)), p);
				base_name(arg, out);
			}
			return;
		}
		if (takes_value(in, arg)) {
			p += strnlen(p, p < end ? (size_t)(end - p) : 0) + 1; /* skip the value */
			continue;
		}
		if (arg[0] == '-' || arg[0] == '\0')
			continue; /* an option, or an empty argument */
		base_name(arg, out); /* the script, or the main class */
		return;
	}
}
