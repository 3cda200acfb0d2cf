/* Certificates inside kernel images: ELF vmlinux symbols, bzImage payloads, the extra area. */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "decomp.h"
#include "fileio.h"
#include "kimage.h"

/* A debug vmlinux can be several hundred MiB. */
#define IMAGE_MAX ((size_t)2 * 1024 * 1024 * 1024)
/* Far above any list a kernel carries (Debian's is 1 KiB); bounds a hostile size field. */
#define LIST_MAX ((uint64_t)64 * 1024 * 1024)

enum symid { SYM_LIST, SYM_LSIZE, SYM_EXTRA, SYM_USED, NSYMS };

static const char *const sym_names[NSYMS] = {
	[SYM_LIST] = "system_certificate_list",
	[SYM_LSIZE] = "system_certificate_list_size",
	[SYM_EXTRA] = "system_extra_cert",
	[SYM_USED] = "system_extra_cert_used",
};

struct sym {
	uint64_t addr, size;
	bool found;
};

/* A piece of the file that is mapped at an address: an allocated section, else a PT_LOAD. */
struct region {
	uint64_t addr, off, size;
	bool exec;
};

/* A section header's fields, read in either ELF class. */
struct shdr {
	uint64_t type, flags, addr, off, size, link, entsize;
};

struct km_kimage {
	uint8_t *data;
	size_t len;
	bool elf, is64;
	char what[64];
	struct region *reg;
	size_t nreg;
	bool has_symtab;
	struct shdr symtab, strtab;
	struct sym map[NSYMS]; /* from a System.map */
	bool has_map;
};

static uint64_t le(const uint8_t *p, size_t w)
{
	uint64_t v = 0;

	while (w--)
		v = v << 8 | p[w];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, size_t w)
{
	size_t i;

	for (i = 0; i < w; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Field f of an ELF structure at p (whose whole size the caller has bounds-checked). */
#define RD(img, p, T, f)                                                                           \
	((img)->is64 ? le((p) + offsetof(Elf64_##T, f), sizeof(((Elf64_##T *)0)->f))               \
		     : le((p) + offsetof(Elf32_##T, f), sizeof(((Elf32_##T *)0)->f)))
#define SIZEOF(img, T) ((img)->is64 ? sizeof(Elf64_##T) : sizeof(Elf32_##T))

static bool in_file(const struct km_kimage *img, uint64_t off, uint64_t size)
{
	return off <= img->len && size <= img->len - off;
}

static bool get_shdr(const struct km_kimage *img, uint64_t i, struct shdr *s)
{
	const uint8_t *h = img->data;
	uint64_t entsize = RD(img, h, Ehdr, e_shentsize), at;
	const uint8_t *p;

	if (entsize != SIZEOF(img, Shdr) || i > img->len / entsize)
		return false;
	at = RD(img, h, Ehdr, e_shoff) + i * entsize;
	if (at < i * entsize || !in_file(img, at, entsize))
		return false;
	p = img->data + at;
	*s = (struct shdr){ RD(img, p, Shdr, sh_type),	 RD(img, p, Shdr, sh_flags),
			    RD(img, p, Shdr, sh_addr),	 RD(img, p, Shdr, sh_offset),
			    RD(img, p, Shdr, sh_size),	 RD(img, p, Shdr, sh_link),
			    RD(img, p, Shdr, sh_entsize) };
	return true;
}

/* e_shnum, or section 0's sh_size when there are too many to count in 16 bits. */
static uint64_t section_count(const struct km_kimage *img)
{
	uint64_t n = RD(img, img->data, Ehdr, e_shnum);
	struct shdr s0;

	if (n == 0 && RD(img, img->data, Ehdr, e_shoff) && get_shdr(img, 0, &s0))
		n = s0.size;
	return n;
}

static int add_region(struct km_kimage *img, struct region r)
{
	struct region *p;

	if (!r.size || !in_file(img, r.off, r.size) || r.addr + r.size < r.addr)
		return 0; /* not in the file: nothing there to read or write */
	p = realloc(img->reg, (img->nreg + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	img->reg = p;
	img->reg[img->nreg++] = r;
	return 0;
}

static int load_sections(struct km_kimage *img)
{
	uint64_t i, n = section_count(img);
	struct shdr s;

	for (i = 1; i < n && get_shdr(img, i, &s); i++) {
		if (s.type == SHT_SYMTAB && !img->has_symtab) {
			img->symtab = s;
			img->has_symtab = true;
		}
		if (s.type == SHT_NOBITS || !(s.flags & SHF_ALLOC))
			continue;
		if (add_region(img, (struct region){ s.addr, s.off, s.size,
						     (s.flags & SHF_EXECINSTR) != 0 }) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Without section headers, the program headers still say what is loaded where. */
static int load_segments(struct km_kimage *img)
{
	uint64_t phoff = RD(img, img->data, Ehdr, e_phoff), i;
	uint64_t n = RD(img, img->data, Ehdr, e_phnum), ent = RD(img, img->data, Ehdr, e_phentsize);

	if (ent != SIZEOF(img, Phdr))
		return 0;
	for (i = 0; i < n && in_file(img, phoff + i * ent, ent); i++) {
		const uint8_t *p = img->data + phoff + i * ent;

		if (RD(img, p, Phdr, p_type) != PT_LOAD)
			continue;
		if (add_region(img, (struct region){ RD(img, p, Phdr, p_vaddr),
						     RD(img, p, Phdr, p_offset),
						     RD(img, p, Phdr, p_filesz),
						     (RD(img, p, Phdr, p_flags) & PF_X) != 0 }) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Keeps the symbol table only when it and its string table lie inside the file. */
static void check_symtab(struct km_kimage *img)
{
	struct shdr *st = &img->symtab;

	if (!img->has_symtab)
		return;
	img->has_symtab = st->entsize == SIZEOF(img, Sym) && in_file(img, st->off, st->size) &&
			  get_shdr(img, st->link, &img->strtab) &&
			  in_file(img, img->strtab.off, img->strtab.size);
}

static int parse_elf(struct km_kimage *img, const char *name, struct km_err *e)
{
	img->elf = true;
	img->is64 = img->data[EI_CLASS] == ELFCLASS64;
	if (img->len < SIZEOF(img, Ehdr))
		return km_err_set(e, -ENOEXEC, "%s: truncated ELF header", name);
	if (load_sections(img) < 0 || (img->nreg == 0 && load_segments(img) < 0))
		return km_err_set(e, -ENOMEM, "out of memory");
	check_symtab(img);
	if (img->nreg == 0)
		return km_err_set(e, -ENOEXEC, "%s: ELF file with nothing loadable in it", name);
	return 0;
}

static bool is_elf_le(const uint8_t *b, size_t len)
{
	return len > EI_DATA && memcmp(b, ELFMAG, SELFMAG) == 0 &&
	       (b[EI_CLASS] == ELFCLASS32 || b[EI_CLASS] == ELFCLASS64) &&
	       b[EI_DATA] == ELFDATA2LSB;
}

static bool is_bzimage(const uint8_t *b, size_t len)
{
	return len >= 0x250 && memcmp(b + 0x202, "HdrS", 4) == 0;
}

/* arm64 and riscv Image headers carry a magic at 0x38; the image is raw, without ELF headers. */
static bool is_raw_image(const uint8_t *b, size_t len)
{
	return len >= 0x40 &&
	       (memcmp(b + 0x38, "ARM\x64", 4) == 0 || memcmp(b + 0x38, "RSC\x05", 4) == 0);
}

static const char *payload_name(const uint8_t *p, size_t len)
{
	if (len >= 4 && memcmp(p, "\x02\x21\x4c\x18", 4) == 0)
		return "lz4";
	if (len >= 3 && memcmp(p, "BZh", 3) == 0)
		return "bzip2";
	if (len >= 4 && memcmp(p, "\x89LZO", 4) == 0)
		return "lzo";
	return "an unknown";
}

/* Swaps the image's bytes for their decompressed form. */
static int unpack(struct km_kimage *img, size_t off, size_t len, const char *name, struct km_err *e)
{
	enum km_comp kind = km_comp_detect(img->data + off, len);
	uint8_t *out;
	size_t olen;

	if (kind == KM_COMP_NONE)
		return km_err_set(e, -EOPNOTSUPP,
				  "%s: %s payload; kmsign reads gzip, xz, lzma and zstd ones", name,
				  payload_name(img->data + off, len));
	if (km_decompress(img->data + off, len, kind, 0, &out, &olen, e) < 0)
		return km_err_prefix(e, "%s: %s payload", name, km_comp_name(kind));
	free(img->data);
	img->data = out;
	img->len = olen;
	return (int)kind;
}

/*
 * The x86 boot protocol: the protected-mode code starts after setup_sects
 * (0 meaning 4) sectors plus the boot sector, and the compressed vmlinux
 * sits at payload_offset within it (protocol 2.08 and later).
 */
static int unpack_bzimage(struct km_kimage *img, const char *name, struct km_err *e)
{
	unsigned int setup = img->data[0x1f1] ? img->data[0x1f1] : 4;
	unsigned int version = (unsigned int)le(img->data + 0x206, 2);
	uint64_t off = (uint64_t)(setup + 1) * 512 + le(img->data + 0x248, 4);
	uint64_t len = le(img->data + 0x24c, 4);
	int kind;

	if (version < 0x208)
		return km_err_set(e, -EOPNOTSUPP,
				  "%s: bzImage boot protocol %u.%02u has no payload fields (2.08+)",
				  name, version >> 8, version & 0xff);
	if (!len || !in_file(img, off, len))
		return km_err_set(e, -ENOEXEC, "%s: bzImage payload lies outside the file", name);
	kind = unpack(img, off, len, name, e);
	if (kind < 0)
		return kind;
	if (!is_elf_le(img->data, img->len))
		return km_err_set(e, -ENOEXEC, "%s: the bzImage payload is not an ELF vmlinux",
				  name);
	snprintf(img->what, sizeof(img->what), "bzImage (%s payload)",
		 km_comp_name((enum km_comp)kind));
	return parse_elf(img, name, e);
}

static int not_an_image(const struct km_kimage *img, const char *name, struct km_err *e)
{
	if (img->len > EI_DATA && memcmp(img->data, ELFMAG, SELFMAG) == 0)
		return km_err_set(e, -EOPNOTSUPP, "%s: %s ELF files are not supported", name,
				  img->data[EI_DATA] == ELFDATA2MSB ? "big-endian"
								    : "this class of");
	return km_err_set(e, -ENOEXEC, "%s: not a kernel image (neither ELF vmlinux nor bzImage)",
			  name);
}

static int parse(struct km_kimage *img, const char *name, bool outer, struct km_err *e)
{
	enum km_comp kind = km_comp_detect(img->data, img->len);
	int r;

	if (is_elf_le(img->data, img->len)) {
		snprintf(img->what, sizeof(img->what), "ELF%d vmlinux",
			 img->data[EI_CLASS] == ELFCLASS64 ? 64 : 32);
		return parse_elf(img, name, e);
	}
	if (is_bzimage(img->data, img->len))
		return unpack_bzimage(img, name, e);
	if (is_raw_image(img->data, img->len)) {
		snprintf(img->what, sizeof(img->what), "%s Image",
			 img->data[0x38] == 'A' ? "arm64" : "riscv");
		return 0;
	}
	if (!outer || kind == KM_COMP_NONE)
		return not_an_image(img, name, e);
	r = unpack(img, 0, img->len, name, e);
	return r < 0 ? r : parse(img, name, false, e);
}

void km_kimage_free(struct km_kimage *img)
{
	if (!img)
		return;
	free(img->data);
	free(img->reg);
	free(img);
}

/* Takes ownership of data, even on failure. */
static int kimage_new(uint8_t *data, size_t len, const char *name, struct km_kimage **out,
		      struct km_err *e)
{
	struct km_kimage *img = calloc(1, sizeof(*img));
	int r;

	if (!img) {
		free(data);
		return km_err_set(e, -ENOMEM, "out of memory");
	}
	img->data = data;
	img->len = len;
	r = parse(img, name, true, e);
	if (r < 0) {
		km_kimage_free(img);
		return r;
	}
	*out = img;
	return 0;
}

int km_kimage_load_mem(const void *buf, size_t len, const char *name, struct km_kimage **out,
		       struct km_err *e)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return km_err_set(e, -ENOMEM, "out of memory");
	memcpy(copy, buf, len);
	return kimage_new(copy, len, name, out, e);
}

int km_kimage_load(const char *path, struct km_kimage **out, struct km_err *e)
{
	uint8_t *data;
	size_t len;
	int r = km_read_file(path, &data, &len, IMAGE_MAX, e);

	return r < 0 ? r : kimage_new(data, len, path, out, e);
}

const char *km_kimage_describe(const struct km_kimage *img)
{
	return img->what;
}

bool km_kimage_has_symbols(const struct km_kimage *img)
{
	return img->has_symtab || img->has_map;
}

/* Exact names, unlike insert-sys-cert's substring match (which "system_extra_cert" would misuse).
 */
int km_kimage_use_system_map(struct km_kimage *img, const char *path, struct km_err *e)
{
	FILE *f = fopen(path, "re");
	char line[512], name[256], type;
	unsigned long long addr;
	int j;

	if (!f)
		return km_err_set(e, -errno, "%s: %s", path, strerror(errno));
	memset(img->map, 0, sizeof(img->map));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3)
			for (j = 0; j < NSYMS; j++)
				if (!img->map[j].found && streq(name, sym_names[j]))
					img->map[j] = (struct sym){ addr, 0, true };
	fclose(f);
	img->has_map = true;
	return 0;
}

/* The NUL-terminated name of symbol k, or NULL when it does not lie inside the string table. */
static const char *sym_name(const struct km_kimage *img, const uint8_t *sym)
{
	uint64_t noff = RD(img, sym, Sym, st_name);
	const char *name;

	if (noff >= img->strtab.size)
		return NULL;
	name = (const char *)img->data + img->strtab.off + noff;
	return memchr(name, '\0', img->strtab.size - noff) ? name : NULL;
}

static void symtab_lookup(const struct km_kimage *img, struct sym out[NSYMS])
{
	uint64_t k, n = img->symtab.size / img->symtab.entsize;
	int j;

	for (k = 0; k < n; k++) {
		const uint8_t *p = img->data + img->symtab.off + k * img->symtab.entsize;
		const char *name = sym_name(img, p);

		for (j = 0; name && j < NSYMS; j++)
			if (!out[j].found && streq(name, sym_names[j]))
				out[j] = (struct sym){ RD(img, p, Sym, st_value),
						       RD(img, p, Sym, st_size), true };
	}
}

/*
 * Symbols from the symbol table, else from the System.map. When both know
 * a symbol they must agree: a System.map of another build would point the
 * writes at the wrong bytes.
 */
static int find_syms(const struct km_kimage *img, struct sym out[NSYMS], struct km_err *e)
{
	int j;

	memset(out, 0, NSYMS * sizeof(*out));
	if (img->has_symtab)
		symtab_lookup(img, out);
	for (j = 0; img->has_map && j < NSYMS; j++) {
		if (!out[j].found)
			out[j] = img->map[j];
		else if (img->map[j].found && img->map[j].addr != out[j].addr)
			return km_err_set(
				e, -EINVAL,
				"the System.map does not match the vmlinux (%s at %#" PRIx64
				" there, %#" PRIx64 " in the ELF)",
				sym_names[j], img->map[j].addr, out[j].addr);
	}
	return 0;
}

/* The file offset of [addr, addr+size) when one mapped region holds all of it. */
static bool addr_to_off(const struct km_kimage *img, uint64_t addr, uint64_t size, uint64_t *off)
{
	size_t i;

	for (i = 0; i < img->nreg; i++) {
		const struct region *r = &img->reg[i];

		if (addr >= r->addr && addr - r->addr < r->size &&
		    size <= r->size - (addr - r->addr)) {
			*off = r->off + (addr - r->addr);
			return true;
		}
	}
	return false;
}

static int push_unique(STACK_OF(X509) * sk, X509 *x)
{
	int i;

	for (i = 0; i < sk_X509_num(sk); i++)
		if (X509_cmp(sk_X509_value(sk, i), x) == 0) {
			X509_free(x);
			return 0;
		}
	if (!sk_X509_push(sk, x)) {
		X509_free(x);
		return -ENOMEM;
	}
	return 0;
}

/*
 * One DER certificate at p, in the form the kernel's list parser accepts
 * (SEQUENCE with a two-byte length): its length, or 0 when there is none.
 */
static size_t cert_at(const uint8_t *p, size_t avail, X509 **out)
{
	const unsigned char *q = p;
	size_t len;
	X509 *x;

	if (avail < 6 || p[0] != 0x30 || p[1] != 0x82 || p[4] != 0x30 ||
	    (p[5] != 0x82 && p[5] != 0x81))
		return 0;
	len = 4 + ((size_t)p[2] << 8 | p[3]);
	if (len > avail)
		return 0;
	x = d2i_X509(NULL, &q, (long)len);
	if (!x || (size_t)(q - p) != len) {
		X509_free(x);
		return 0;
	}
	*out = x;
	return len;
}

/* Every certificate in [p, p+len): the heuristic for images without symbols. */
static int scan(const uint8_t *p, size_t len, STACK_OF(X509) * sk)
{
	size_t i = 0;

	while (len >= 6 && i <= len - 6) {
		const uint8_t *hit = memchr(p + i, 0x30, len - 5 - i);
		X509 *x = NULL;
		size_t n;

		if (!hit)
			break;
		i = (size_t)(hit - p);
		n = cert_at(hit, len - i, &x);
		if (n && push_unique(sk, x) < 0)
			return -ENOMEM;
		i += n ? n : 1;
	}
	return 0;
}

/*
 * As x509_load_certificate_list: entries one after the other, each 0x30 0x82
 * plus a 16-bit length; the walk stops at the first entry that does not fit.
 * An entry OpenSSL cannot parse is skipped, as the kernel skips one it
 * cannot load.
 */
static int walk_list(const uint8_t *p, size_t len, STACK_OF(X509) * sk)
{
	size_t at = 0;

	while (len - at >= 4 && p[at] == 0x30 && p[at + 1] == 0x82) {
		size_t plen = 4 + ((size_t)p[at + 2] << 8 | p[at + 3]);
		const unsigned char *q = p + at;
		X509 *x;

		if (plen > len - at)
			break;
		x = d2i_X509(NULL, &q, (long)plen);
		if (x && push_unique(sk, x) < 0)
			return -ENOMEM;
		at += plen;
	}
	return 0;
}

static const char *map_hint(const struct km_kimage *img)
{
	return img->has_symtab ? "" : " (is the System.map this image's?)";
}

static int certs_from_symbols(struct km_kimage *img, STACK_OF(X509) * sk, bool *done,
			      struct km_err *e)
{
	struct sym s[NSYMS];
	uint64_t w = img->is64 ? 8 : 4, size_off, list_off, size;
	int r = find_syms(img, s, e);

	*done = false;
	if (r < 0 || !s[SYM_LIST].found || !s[SYM_LSIZE].found)
		return r;
	if (!addr_to_off(img, s[SYM_LSIZE].addr, w, &size_off))
		return km_err_set(e, -ENOEXEC, "%s lies outside the file%s", sym_names[SYM_LSIZE],
				  map_hint(img));
	size = le(img->data + size_off, w);
	if (size > LIST_MAX || !addr_to_off(img, s[SYM_LIST].addr, size, &list_off))
		return km_err_set(e, -ENOEXEC, "%s (%" PRIu64 " bytes) runs outside the file%s",
				  sym_names[SYM_LSIZE], size, map_hint(img));
	*done = true;
	return walk_list(img->data + list_off, size, sk) < 0
		       ? km_err_set(e, -ENOMEM, "out of memory")
		       : 0;
}

/* Data, not code: where the certificate list lives (.init.rodata, merged into .init.data on x86).
 */
static int certs_by_scan(const struct km_kimage *img, STACK_OF(X509) * sk)
{
	bool any_data = false;
	size_t i;

	if (!img->elf)
		return scan(img->data, img->len, sk);
	for (i = 0; i < img->nreg; i++)
		any_data |= !img->reg[i].exec;
	for (i = 0; i < img->nreg; i++)
		if ((!img->reg[i].exec || !any_data) &&
		    scan(img->data + img->reg[i].off, img->reg[i].size, sk) < 0)
			return -ENOMEM;
	return 0;
}

int km_kimage_certs(struct km_kimage *img, STACK_OF(X509) * *out, struct km_err *e)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	bool done = false;
	int r;

	if (!sk)
		return km_err_set(e, -ENOMEM, "out of memory");
	r = img->elf ? certs_from_symbols(img, sk, &done, e) : 0;
	if (r == 0 && !done && certs_by_scan(img, sk) < 0)
		r = km_err_set(e, -ENOMEM, "out of memory");
	/* Candidates that did not parse leave their errors queued. */
	ERR_clear_error();
	if (r < 0) {
		sk_X509_pop_free(sk, X509_free);
		return r;
	}
	*out = sk;
	return 0;
}

int km_kimage_load_certs(const char *path, STACK_OF(X509) * *out, struct km_err *e)
{
	_cleanup_kimage_ struct km_kimage *img = NULL;
	int r = km_kimage_load(path, &img, e);

	if (r == 0 && (r = km_kimage_certs(img, out, e)) < 0)
		km_err_prefix(e, "%s", path);
	return r;
}

/* The three places insert-sys-cert writes, as pointers into the image. */
struct extra_area {
	uint8_t *cert, *used, *lsize;
	uint64_t size;
};

static int missing_sym(const struct km_kimage *img, const struct sym s[NSYMS], struct km_err *e)
{
	int j;

	if (!km_kimage_has_symbols(img))
		return km_err_set(e, -ENOENT, "no symbol table: give --system-map");
	for (j = SYM_LSIZE; j < NSYMS; j++)
		if (!s[j].found)
			return km_err_set(e, -ENOENT,
					  "no symbol %s: the kernel was not built with "
					  "CONFIG_SYSTEM_EXTRA_CERTIFICATE=y",
					  sym_names[j]);
	return 0;
}

static int find_area(struct km_kimage *img, struct extra_area *a, struct km_err *e)
{
	struct sym s[NSYMS];
	uint64_t off[3], w = img->is64 ? 8 : 4;
	int r = find_syms(img, s, e);

	if (r < 0 || (r = missing_sym(img, s, e)) < 0)
		return r;
	/* A System.map has no sizes: insert-sys-cert takes the gap up to the "used" counter. */
	a->size = s[SYM_EXTRA].size ? s[SYM_EXTRA].size : s[SYM_USED].addr - s[SYM_EXTRA].addr;
	if (s[SYM_USED].addr <= s[SYM_EXTRA].addr && !s[SYM_EXTRA].size)
		return km_err_set(e, -ENOEXEC, "%s follows %s: cannot size the area",
				  sym_names[SYM_EXTRA], sym_names[SYM_USED]);
	if (!addr_to_off(img, s[SYM_EXTRA].addr, a->size, &off[0]) ||
	    !addr_to_off(img, s[SYM_USED].addr, 4, &off[1]) ||
	    !addr_to_off(img, s[SYM_LSIZE].addr, w, &off[2]))
		return km_err_set(e, -ENOEXEC,
				  "the extra certificate symbols point outside the file");
	a->cert = img->data + off[0];
	a->used = img->data + off[1];
	a->lsize = img->data + off[2];
	return 0;
}

/*
 * insert-sys-cert's steps, in its order. It compares the old certificate
 * with strncmp, which stops at the first zero byte; an exact comparison is
 * used here, so a different certificate of the same length is never taken
 * for the one already there.
 */
static int fill_area(const struct km_kimage *img, struct extra_area *a, const uint8_t *der,
		     size_t len, struct km_err *e)
{
	size_t w = img->is64 ? 8 : 4;
	int64_t used = (int32_t)le(a->used, 4);
	uint64_t lsize = le(a->lsize, w);

	if (len > a->size)
		return km_err_set(e, -EFBIG,
				  "certificate is %zu bytes; the kernel's extra certificate area "
				  "holds %" PRIu64 " (CONFIG_SYSTEM_EXTRA_CERTIFICATE_SIZE)",
				  len, a->size);
	if ((uint64_t)used == len && memcmp(a->cert, der, len) == 0)
		return KM_INSERT_SAME;
	if (used < 0 || (uint64_t)used > a->size || lsize < (uint64_t)used)
		return km_err_set(e, -EBADMSG, "system_extra_cert_used (%" PRId64 ") is corrupt",
				  used);
	memcpy(a->cert, der, len);
	memset(a->cert + len, 0, a->size - len);
	put_le(a->lsize, lsize + len - (uint64_t)used, w);
	put_le(a->used, len, 4);
	return used > 0 ? KM_INSERT_REPLACED : KM_INSERT_NEW;
}

/* The kernel's list parser reads a 0x30 0x82 header: certificates of 256 bytes to 64 KiB. */
static int encode(X509 *cert, uint8_t **der, size_t *len, struct km_err *e)
{
	unsigned char *p = NULL;
	int n = i2d_X509(cert, &p);

	if (n <= 0)
		return km_err_ssl(e, -EINVAL, "cannot encode the certificate");
	if (p[0] != 0x30 || p[1] != 0x82) {
		OPENSSL_free(p);
		return km_err_set(e, -EINVAL,
				  "certificate is %d bytes; the kernel's certificate list takes "
				  "256 to 65539",
				  n);
	}
	*der = p;
	*len = (size_t)n;
	return 0;
}

static int insert(struct km_kimage *img, const char *path, const uint8_t *der, size_t len,
		  struct km_err *e)
{
	struct extra_area a = { 0 };
	int r = find_area(img, &a, e);

	if (r == 0)
		r = fill_area(img, &a, der, len, e);
	if (r < 0)
		return km_err_prefix(e, "%s", path);
	if (r != KM_INSERT_SAME &&
	    km_write_file_atomic(path, img->data, img->len, km_file_mode(path, 0755), e) < 0)
		return e->code;
	return r;
}

/* Only an ELF vmlinux can be changed in place; a bzImage would need re-compressing and re-linking.
 */
static int load_vmlinux(const char *path, struct km_kimage **img, struct km_err *e)
{
	uint8_t *data;
	size_t len;
	int r = km_read_file(path, &data, &len, IMAGE_MAX, e);

	if (r < 0)
		return r;
	if (!is_elf_le(data, len)) {
		bool bz = is_bzimage(data, len);

		free(data);
		return km_err_set(e, -ENOEXEC, "%s: not an ELF vmlinux%s", path,
				  bz ? " but a bzImage (insert into its vmlinux, then rebuild)"
				     : "");
	}
	return kimage_new(data, len, path, img, e);
}

int km_kimage_insert_cert(const char *vmlinux_path, X509 *cert, const char *system_map,
			  struct km_err *e)
{
	_cleanup_kimage_ struct km_kimage *img = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	int r = encode(cert, &der, &len, e);

	if (r == 0)
		r = load_vmlinux(vmlinux_path, &img, e);
	if (r == 0 && system_map)
		r = km_kimage_use_system_map(img, system_map, e);
	if (r == 0)
		r = insert(img, vmlinux_path, der, len, e);
	OPENSSL_free(der);
	return r;
}
