/* Checks that bytes are a kernel module, reading only the headers it needs. */
#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "elfmod.h"

#define MAX_SHSTRTAB (4 * 1024 * 1024)

int km_reader_pread(const struct km_reader *r, void *dst, size_t len, uint64_t off,
		    struct km_err *e)
{
	size_t done = 0;

	if (off > r->len || len > r->len - off)
		return km_err_set(e, -ENOEXEC,
				  "not a kernel module: ELF data past the end of the file");
	if (r->buf) {
		memcpy(dst, r->buf + off, len);
		return 0;
	}
	while (done < len) {
		ssize_t n = pread(r->fd, (char *)dst + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return km_err_set(e, n < 0 ? -errno : -EIO, "read failed: %s",
					  n < 0 ? strerror(errno) : "file shrank");
		done += n;
	}
	return 0;
}

/* The fields kmsign needs, from an ELF32 or ELF64 header of either byte order. */
struct elf_info {
	bool is64, swap;
	uint16_t type, shentsize, shnum, shstrndx;
	uint64_t shoff;
};

static uint16_t get16(const struct elf_info *in, uint16_t v)
{
	return in->swap ? __builtin_bswap16(v) : v;
}

static uint32_t get32(const struct elf_info *in, uint32_t v)
{
	return in->swap ? __builtin_bswap32(v) : v;
}

static uint64_t get64(const struct elf_info *in, uint64_t v)
{
	return in->swap ? __builtin_bswap64(v) : v;
}

static int read_ehdr(const struct km_reader *r, struct elf_info *in, struct km_err *e)
{
	unsigned char ident[EI_NIDENT];
	Elf64_Ehdr h64;
	Elf32_Ehdr h32;
	int rc = km_reader_pread(r, ident, sizeof(ident), 0, e);

	if (rc < 0 || memcmp(ident, ELFMAG, SELFMAG) != 0)
		return km_err_set(e, -ENOEXEC, "not a kernel module: not an ELF file");
	if ((ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) ||
	    (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB))
		return km_err_set(e, -ENOEXEC,
				  "not a kernel module: unknown ELF class or byte order");
	in->is64 = ident[EI_CLASS] == ELFCLASS64;
	in->swap = (ident[EI_DATA] == ELFDATA2MSB) != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	if (in->is64) {
		if (km_reader_pread(r, &h64, sizeof(h64), 0, e) < 0)
			return km_err_set(e, -ENOEXEC, "not a kernel module: truncated ELF header");
		in->type = get16(in, h64.e_type);
		in->shoff = get64(in, h64.e_shoff);
		in->shentsize = get16(in, h64.e_shentsize);
		in->shnum = get16(in, h64.e_shnum);
		in->shstrndx = get16(in, h64.e_shstrndx);
		return 0;
	}
	if (km_reader_pread(r, &h32, sizeof(h32), 0, e) < 0)
		return km_err_set(e, -ENOEXEC, "not a kernel module: truncated ELF header");
	in->type = get16(in, h32.e_type);
	in->shoff = get32(in, h32.e_shoff);
	in->shentsize = get16(in, h32.e_shentsize);
	in->shnum = get16(in, h32.e_shnum);
	in->shstrndx = get16(in, h32.e_shstrndx);
	return 0;
}

/* Name offset, file offset and size of section i. */
static int read_shdr(const struct km_reader *r, const struct elf_info *in, unsigned int i,
		     uint32_t *name, uint64_t *off, uint64_t *size, struct km_err *e)
{
	uint64_t at = in->shoff + (uint64_t)i * in->shentsize;
	Elf64_Shdr s64;
	Elf32_Shdr s32;

	if (in->is64) {
		if (km_reader_pread(r, &s64, sizeof(s64), at, e) < 0)
			return -ENOEXEC;
		*name = get32(in, s64.sh_name);
		*off = get64(in, s64.sh_offset);
		*size = get64(in, s64.sh_size);
		return 0;
	}
	if (km_reader_pread(r, &s32, sizeof(s32), at, e) < 0)
		return -ENOEXEC;
	*name = get32(in, s32.sh_name);
	*off = get32(in, s32.sh_offset);
	*size = get32(in, s32.sh_size);
	return 0;
}

static bool has_modinfo(const char *strtab, uint64_t strsize, const struct km_reader *r,
			const struct elf_info *in, struct km_err *e)
{
	unsigned int i;

	for (i = 1; i < in->shnum; i++) {
		uint32_t name;
		uint64_t off, size;

		if (read_shdr(r, in, i, &name, &off, &size, e) < 0 || name >= strsize)
			return false;
		if (strnlen(strtab + name, strsize - name) < strsize - name &&
		    streq(strtab + name, ".modinfo"))
			return true;
	}
	return false;
}

int km_elf_check_module(const struct km_reader *r, struct km_err *e)
{
	struct elf_info in = { 0 };
	uint64_t stroff, strsize;
	uint32_t name;
	char *strtab;
	bool ok;

	if (read_ehdr(r, &in, e) < 0)
		return -ENOEXEC;
	if (in.type != ET_REL)
		return km_err_set(e, -ENOEXEC,
				  "not a kernel module: ELF type %u, modules are "
				  "relocatable objects (ET_REL)",
				  in.type);
	if (in.shentsize != (in.is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) || in.shnum == 0 ||
	    in.shstrndx >= in.shnum)
		return km_err_set(e, -ENOEXEC, "not a kernel module: bad ELF section table");
	if (read_shdr(r, &in, in.shstrndx, &name, &stroff, &strsize, e) < 0 || strsize == 0 ||
	    strsize > MAX_SHSTRTAB)
		return km_err_set(e, -ENOEXEC, "not a kernel module: bad ELF section names");
	strtab = malloc(strsize + 1);
	if (!strtab)
		return km_err_set(e, -ENOMEM, "out of memory");
	if (km_reader_pread(r, strtab, strsize, stroff, e) < 0) {
		free(strtab);
		return km_err_set(e, -ENOEXEC, "not a kernel module: bad ELF section names");
	}
	strtab[strsize] = '\0';
	ok = has_modinfo(strtab, strsize, r, &in, e);
	free(strtab);
	if (!ok)
		return km_err_set(e, -ENOEXEC, "not a kernel module: no .modinfo section");
	return 0;
}
