/* test_runtime.c - a process's language runtime: by comm, and Go by the
 * build-ID note in its ELF program headers. */
#include <socklife/runtime.h>

#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void test_by_comm(void **state)
{
	(void)state;
	assert_int_equal(runtime_of_comm("python3.11"), RUNTIME_PYTHON);
	assert_int_equal(runtime_of_comm("node"), RUNTIME_NODE);
	assert_int_equal(runtime_of_comm("java"), RUNTIME_JAVA);
	assert_int_equal(runtime_of_comm("nginx"), RUNTIME_UNKNOWN);
	assert_string_equal(runtime_name(RUNTIME_GO), "Go");
	assert_null(runtime_name(RUNTIME_UNKNOWN));
}

/* An ELF head with one PT_NOTE holding a note of the given name and type. */
static size_t elf_with_note(unsigned char *buf, size_t cap, const char *name, uint32_t type)
{
	memset(buf, 0, cap);
	Elf64_Ehdr eh = {.e_phoff = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 1};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	size_t off = sizeof(eh) + sizeof(Elf64_Phdr);
	Elf64_Nhdr nh = {.n_namesz = (uint32_t)strlen(name) + 1, .n_descsz = 8, .n_type = type};
	size_t size = sizeof(nh) + ((nh.n_namesz + 3) & ~3u) + 8;
	Elf64_Phdr ph = {.p_type = PT_NOTE, .p_offset = off, .p_filesz = size};
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memcpy(buf + off, &nh, sizeof(nh));
	memcpy(buf + off + sizeof(nh), name, strlen(name) + 1);
	return off + size;
}

static void test_go_note(void **state)
{
	(void)state;
	unsigned char buf[512];
	size_t n = elf_with_note(buf, sizeof(buf), "Go", 4);
	assert_true(runtime_elf_is_go(buf, n));
	/* The GNU build ID is not Go's; a cut-off or lying header is nothing. */
	n = elf_with_note(buf, sizeof(buf), "GNU", 3);
	assert_false(runtime_elf_is_go(buf, n));
	n = elf_with_note(buf, sizeof(buf), "Go", 4);
	assert_false(runtime_elf_is_go(buf, n - 4));
	((Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr)))->p_filesz = 1u << 30;
	assert_false(runtime_elf_is_go(buf, n));
	assert_false(runtime_elf_is_go("#!/bin/sh\n", 10));
}

/* Real programs: promtool is written in Go, sh is not. */
static void test_real_binaries(void **state)
{
	(void)state;
	unsigned char head[4096];
	int fd = open("/bin/sh", O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, head, sizeof(head));
	close(fd);
	assert_false(runtime_elf_is_go(head, (size_t)n));
	fd = open("/usr/bin/promtool", O_RDONLY);
	if (fd < 0) {
		print_message("promtool is not installed (scripts/deps.sh --test installs it): "
			      "no real Go binary to look at\n");
		skip();
	}
	n = read(fd, head, sizeof(head));
	close(fd);
	assert_true(runtime_elf_is_go(head, (size_t)n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_comm),
		cmocka_unit_test(test_go_note),
		cmocka_unit_test(test_real_binaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
