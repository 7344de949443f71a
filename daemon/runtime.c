/* runtime.c - see runtime.h. */
#include <socklife/runtime.h>

#include <elf.h>
#include <stdint.h>
#include <string.h>

static const struct {
	const char *comm; /* a comm starting with this */
	enum runtime runtime;
	const char *name;
} runtimes[] = {
	{"python", RUNTIME_PYTHON, "Python"},
	{"node", RUNTIME_NODE, "Node.js"},
	{"java", RUNTIME_JAVA, "Java"},
	{"ruby", RUNTIME_RUBY, "Ruby"},
	{NULL, RUNTIME_GO, "Go"},
};

enum runtime runtime_of_comm(const char *comm)
{
	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
		if (runtimes[i].comm && strncmp(comm, runtimes[i].comm, strlen(runtimes[i].comm)) == 0)
			return runtimes[i].runtime;
	return RUNTIME_UNKNOWN;
}

const char *runtime_name(enum runtime r)
{
	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
		if (runtimes[i].runtime == r)
			return runtimes[i].name;
	return NULL;
}

#define GO_BUILDID_NOTE 4 /* the Go linker's note type, name "Go" */

/* Walk the notes in [off, off + size) of the file head. */
static bool has_go_note(const unsigned char *head, size_t len, uint64_t off, uint64_t size)
{
	if (off > len || size > len - off)
		return false;
	for (uint64_t p = off; p + sizeof(Elf64_Nhdr) <= off + size;) {
		Elf64_Nhdr n;
		memcpy(&n, head + p, sizeof(n));
		uint64_t name = p + sizeof(n), desc = name + ((n.n_namesz + 3u) & ~3u);
		uint64_t next = desc + ((n.n_descsz + 3u) & ~3u);
		if (next > off + size || next <= p)
			return false;
		/* The name is "Go" NUL-padded: 3 or 4 bytes by the linker's version. */
		if (n.n_type == GO_BUILDID_NOTE && (n.n_namesz == 3 || n.n_namesz == 4) &&
		    name + 3 <= off + size && memcmp(head + name, "Go", 3) == 0)
			return true;
		p = next;
	}
	return false;
}

bool runtime_elf_is_go(const void *start, size_t len)
{
	const unsigned char *head = start;
	Elf64_Ehdr eh;
	if (len < sizeof(eh))
		return false;
	memcpy(&eh, head, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		uint64_t at = eh.e_phoff + (uint64_t)i * sizeof(Elf64_Phdr);
		if (at > len || sizeof(Elf64_Phdr) > len - at)
			return false;
		Elf64_Phdr ph;
		memcpy(&ph, head + at, sizeof(ph));
		if (ph.p_type == PT_NOTE && has_go_note(head, len, ph.p_offset, ph.p_filesz))
			return true;
	}
	return false;
}
