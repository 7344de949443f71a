/* cmdline.h - what program an interpreter or VM runs, from its command line.
 *
 * Twenty Python services all read "python3": their comm tells them apart
 * no better than their pid.  For interpreters and VMs the program is an
 * argument: the script (python, node, ruby, perl, php), the module
 * (python -m), the jar or the main class (java).  Pure: the bytes of
 * /proc/PID/cmdline in (NUL-separated arguments), a short name out. */
#ifndef SOCKLIFE_CMDLINE_H
#define SOCKLIFE_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_PROGRAM_MAX 64

/* Is a process of this comm an interpreter or VM whose program is worth
 * reading from its command line? */
bool cmdline_is_interpreter(const char *comm);

/* The program an interpreter of `comm` runs: the base name of its script
 * or jar, its module or main class; "" when there is none (an interactive
 * session, "-c" code).  `out` holds CMDLINE_PROGRAM_MAX bytes. */
void cmdline_program(const char *comm, const char *args, size_t len,
		     char out[CMDLINE_PROGRAM_MAX]);

#endif
