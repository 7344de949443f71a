/* runtime.h - which language runtime a process is, to name the fix in
 * its own terms (Python's `with`, Go's `defer Close()`, ...).
 *
 * Interpreters are told by their comm.  A Go program is a native binary
 * named like anything; its ELF file carries a "Go" build-ID note, found
 * through the program headers in the first page of the file.  Pure: bytes
 * in, a runtime out; the caller reads /proc/PID/exe (which needs ptrace
 * access to the process) and only for suspects. */
#ifndef SOCKLIFE_RUNTIME_H
#define SOCKLIFE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

enum runtime {
	RUNTIME_UNKNOWN,
	RUNTIME_PYTHON,
	RUNTIME_NODE,
	RUNTIME_JAVA,
	RUNTIME_RUBY,
	RUNTIME_GO,
	RUNTIME_COUNT,
};

/* The runtime a comm names ("python3.11", "node", "java"), or unknown. */
enum runtime runtime_of_comm(const char *comm);

/* Does this start of an ELF file (at least its program headers) carry a
 * Go build-ID note? */
bool runtime_elf_is_go(const void *head, size_t len);

/* "Python", "Node.js", ...; NULL for unknown. */
const char *runtime_name(enum runtime r);

#endif
