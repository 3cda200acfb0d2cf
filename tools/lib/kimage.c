/* Certificates inside kernel images: vmlinux ELF symbols, bzImage payloads, the extra area. */
#include <elf.h>
#include <openssl/err.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "decomp.h"
#include "fileio.h"
#include "kimage.h"

#define IMAGE_MAX    (2ULL * 1024 * 1024 * 1024)
#define UNPACKED_MAX (1024ULL * 1024 * 1024)

#define CERT_LIST_SYM "system_certificate_list"
#define LSIZE_SYM     "system_certificate_list_size"
#define CERT_SYM      "system_extra_cert"
#define USED_SYM      "system_extra_cert_used"

struct image {
	uint8_t *data;
	size_t len;
	bool is64;
};

struct sym {
	uint64_t addr, size, off;
	bool found;
};

static bool is_elf(const uint8_t *b, size_t len)
{
	return len >= sizeof(Elf32_Ehdr) && memcmp(b, ELFMAG, SELFMAG) == 0 &&
	       b[EI_DATA] == ELFDATA2LSB &&
	       (b[EI_CLASS] == ELFCLASS64 ? len >= sizeof(Elf64_Ehdr) : b[EI_CLASS] == ELFCLASS32);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An x86 bzImage: the protected-mode code follows the setup sectors; the payload is inside it. */
static int unpack_bzimage(struct image *img, struct km_err *e)
{
	unsigned int setup = img->len > 0x1f1 ? img->data[0x1f1] : 0;
	uint64_t base, off, len;
	enum km_comp kind;
	uint8_t *out;
	size_t olen;

	if (img->len < 0x250 || memcmp(img->data + 0x202, "HdrS", 4) != 0)
		return km_err_set(e, -ENOEXEC,
				  "not a kernel image (neither ELF vmlinux nor bzImage)");
	base = (uint64_t)((setup ? setup : 4) + 1) * 512;
	off = base + le32(img->data + 0x248);
	len = le32(img->data + 0x24c);
	if (off > img->len || len > img->len - off)
		return km_err_set(e, -ENOEXEC, "bzImage: payload outside the file");
	kind = km_comp_detect(img->data + off, len);
	if (kind == KM_COMP_NONE)
		return km_err_set(e, -EOPNOTSUPP,
				  "bzImage: unsupported payload compression (kmsign "
				  "reads gzip, xz, lzma and zstd)");
	if (km_decompress(img->data + off, len, kind, UNPACKED_MAX, &out, &olen, e) < 0)
		return km_err_prefix(e, "bzImage payload");
	free(img->data);
	img->data = out;
	img->len = olen;
	return 0;
}

static int load_image(const char *path, struct image *img, struct km_err *e)
{
	int r = km_read_file(path, &img->data, &img->len, IMAGE_MAX, e);

	if (r < 0)
		return r;
	if (!is_elf(img->data, img->len)) {
		r = unpack_bzimage(img, e);
		if (r == 0 && !is_elf(img->data, img->len))
			r = km_err_set(e, -ENOEXEC, "bzImage payload is not an ELF kernel");
		if (r < 0) {
			free(img->data);
			img->data = NULL;
			return km_err_prefix(e, "%s", path);
		}
	}
	img->is64 = img->data[EI_CLASS] == ELFCLASS64;
	return 0;
}

/* Section i's header fields, bounds-checked. */
struct shdr {
	uint32_t name, type, link;
	uint64_t addr, off, size, entsize;
};

static bool get_shdr(const struct image *img, unsigned int i, struct shdr *s)
{
	uint64_t shoff, at;
	unsigned int shnum, entsize;

	if (img->is64) {
		const Elf64_Ehdr *h = (const Elf64_Ehdr *)img->data;
		Elf64_Shdr x;

		shoff = h->e_shoff, shnum = h->e_shnum, entsize = h->e_shentsize;
		at = shoff + (uint64_t)i * entsize;
		if (entsize != sizeof(x) || i >= shnum || at > img->len ||
		    img->len - at < sizeof(x))
			return false;
		memcpy(&x, img->data + at, sizeof(x));
		*s = (struct shdr){ x.sh_name,	 x.sh_type, x.sh_link,	 x.sh_addr,
				    x.sh_offset, x.sh_size, x.sh_entsize };
		return true;
	}
	{
		const Elf32_Ehdr *h = (const Elf32_Ehdr *)img->data;
		Elf32_Shdr x;

		shoff = h->e_shoff, shnum = h->e_shnum, entsize = h->e_shentsize;
		at = shoff + (uint64_t)i * entsize;
		if (entsize != sizeof(x) || i >= shnum || at > img->len ||
		    img->len - at < sizeof(x))
			return false;
		memcpy(&x, img->data + at, sizeof(x));
		*s = (struct shdr){ x.sh_name,	 x.sh_type, x.sh_link,	 x.sh_addr,
				    x.sh_offset, x.sh_size, x.sh_entsize };
		return true;
	}
}

static unsigned int shnum(const struct image *img)
{
	return img->is64 ? ((const Elf64_Ehdr *)img->data)->e_shnum
			 : ((const Elf32_Ehdr *)img->data)->e_shnum;
}

static bool in_file(const struct image *img, uint64_t off, uint64_t size)
{
	return off <= img->len && size <= img->len - off;
}

/* File offset of a virtual address, through the section that holds it. */
static bool addr_to_off(const struct image *img, uint64_t addr, uint64_t size, uint64_t *off)
{
	unsigned int i;
	struct shdr s;

	for (i = 1; i < shnum(img); i++) {
		if (!get_shdr(img, i, &s) || s.type == SHT_NOBITS || !s.addr)
			continue;
		if (addr >= s.addr && addr - s.addr <= s.size && size <= s.size - (addr - s.addr)) {
			*off = s.off + (addr - s.addr);
			return in_file(img, *off, size);
		}
	}
	return false;
}

static bool sym_at(const struct image *img, const struct shdr *symtab, const struct shdr *strtab,
		   uint64_t i, const char **name, uint64_t *value, uint64_t *size)
{
	uint64_t at = symtab->off + i * symtab->entsize;
	uint32_t noff;

	if (img->is64) {
		Elf64_Sym s;

		if (!in_file(img, at, sizeof(s)))
			return false;
		memcpy(&s, img->data + at, sizeof(s));
		noff = s.st_name, *value = s.st_value, *size = s.st_size;
	} else {
		Elf32_Sym s;

		if (!in_file(img, at, sizeof(s)))
			return false;
		memcpy(&s, img->data + at, sizeof(s));
		noff = s.st_name, *value = s.st_value, *size = s.st_size;
	}
	if (noff >= strtab->size)
		return false;
	*name = (const char *)img->data + strtab->off + noff;
	return memchr(*name, '\0', strtab->size - noff) != NULL;
}

/* Looks names up in .symtab; returns false when the image has no symbol table. */
static bool lookup_elf(const struct image *img, const char *const *names, struct sym *out, int n)
{
	struct shdr symtab, strtab;
	unsigned int i;
	uint64_t k;

	for (i = 1; i < shnum(img); i++)
		if (get_shdr(img, i, &symtab) && symtab.type == SHT_SYMTAB)
			break;
	if (i >= shnum(img) || !get_shdr(img, symtab.link, &strtab) ||
	    !in_file(img, symtab.off, symtab.size) || !in_file(img, strtab.off, strtab.size) ||
	    symtab.entsize != (img->is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym)))
		return false;
	for (k = 0; k < symtab.size / symtab.entsize; k++) {
		const char *name;
		uint64_t value, size;
		int j;

		if (!sym_at(img, &symtab, &strtab, k, &name, &value, &size))
			continue;
		for (j = 0; j < n; j++)
			if (!out[j].found && streq(name, names[j]))
				out[j] = (struct sym){ value, size, 0, true };
	}
	return true;
}

static int lookup_map(const char *path, const char *const *names, struct sym *out, int n,
		      struct km_err *e)
{
	FILE *f = fopen(path, "re");
	char line[512], name[256], type;
	unsigned long long addr;
	int j;

	if (!f)
		return km_err_set(e, -errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3)
			for (j = 0; j < n; j++)
				if (!out[j].found && streq(name, names[j]))
					out[j] = (struct sym){ addr, 0, 0, true };
	fclose(f);
	return 0;
}

static int push_unique(STACK_OF(X509) * sk, X509 *x)
{
	unsigned char a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
	unsigned int la, lb;
	int i;

	X509_digest(x, EVP_sha256(), a, &la);
	for (i = 0; i < sk_X509_num(sk); i++) {
		X509_digest(sk_X509_value(sk, i), EVP_sha256(), b, &lb);
		if (la == lb && memcmp(a, b, la) == 0) {
			X509_free(x);
			return 0;
		}
	}
	return sk_X509_push(sk, x) ? 0 : -ENOMEM;
}

/* One DER certificate at p (as the kernel's x509_load_certificate_list expects); its length or 0.
 */
static size_t cert_at(const uint8_t *p, size_t avail, X509 **out)
{
	const unsigned char *q = p;
	size_t len;
	X509 *x;

	if (avail < 6 || p[0] != 0x30 || p[1] != 0x82 || p[4] != 0x30 || p[5] != 0x82)
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

static int scan(const uint8_t *p, size_t len, STACK_OF(X509) * sk)
{
	size_t i = 0;

	while (i + 6 <= len) {
		const uint8_t *hit = memchr(p + i, 0x30, len - i - 5);
		X509 *x;
		size_t n;

		if (!hit)
			break;
		i = hit - p;
		n = cert_at(hit, len - i, &x);
		if (n && push_unique(sk, x) < 0)
			return -ENOMEM;
		i += n ? n : 1;
	}
	ERR_clear_error();
	return 0;
}

static bool list_from_symbols(const struct image *img, STACK_OF(X509) * sk)
{
	static const char *const names[] = { CERT_LIST_SYM, LSIZE_SYM };
	struct sym s[2] = { 0 };
	uint64_t list_off, size_off, size = 0;
	unsigned int w = img->is64 ? 8 : 4;

	if (!lookup_elf(img, names, s, 2) || !s[0].found || !s[1].found ||
	    !addr_to_off(img, s[1].addr, w, &size_off))
		return false;
	memcpy(&size, img->data + size_off, w);
	if (!addr_to_off(img, s[0].addr, size, &list_off))
		return false;
	return scan(img->data + list_off, size, sk) == 0;
}

int km_kimage_load_certs(const char *path, STACK_OF(X509) * *out, struct km_err *e)
{
	struct image img = { 0 };
	STACK_OF(X509) * sk;
	int r = load_image(path, &img, e);

	if (r < 0)
		return r;
	sk = sk_X509_new_null();
	if (!sk)
		r = km_err_set(e, -ENOMEM, "out of memory");
	else if (!list_from_symbols(&img, sk) && scan(img.data, img.len, sk) < 0)
		r = km_err_set(e, -ENOMEM, "out of memory");
	free(img.data);
	if (r < 0) {
		sk_X509_pop_free(sk, X509_free);
		return r;
	}
	*out = sk;
	return 0;
}

struct extra_area {
	uint8_t *cert, *used, *lsize;
	uint64_t cert_size;
};

static int find_area(struct image *img, const char *system_map, struct extra_area *a,
		     struct km_err *e)
{
	static const char *const names[] = { CERT_SYM, USED_SYM, LSIZE_SYM };
	struct sym s[3] = { 0 };
	uint64_t off[3], w = img->is64 ? 8 : 4;
	int i;

	if (!lookup_elf(img, names, s, 3) && !system_map)
		return km_err_set(e, -ENOENT, "the vmlinux has no symbol table: give --system-map");
	if (system_map && (!s[0].found || !s[1].found || !s[2].found) &&
	    lookup_map(system_map, names, s, 3, e) < 0)
		return e->code;
	for (i = 0; i < 3; i++)
		if (!s[i].found)
			return km_err_set(e, -ENOENT,
					  "no symbol %s: was the kernel built with "
					  "CONFIG_SYSTEM_EXTRA_CERTIFICATE=y?",
					  names[i]);
	/* Without st_size (System.map), the area ends where the "used" counter starts. */
	a->cert_size = s[0].size ? s[0].size : s[1].addr - s[0].addr;
	if (!addr_to_off(img, s[0].addr, a->cert_size, &off[0]) ||
	    !addr_to_off(img, s[1].addr, 4, &off[1]) || !addr_to_off(img, s[2].addr, w, &off[2]))
		return km_err_set(e, -ENOEXEC,
				  "the extra certificate symbols point outside the file");
	a->cert = img->data + off[0];
	a->used = img->data + off[1];
	a->lsize = img->data + off[2];
	return 0;
}

/* Fills the area as insert-sys-cert does; false when the same certificate is already there. */
static bool fill_area(const struct image *img, struct extra_area *a, const unsigned char *der,
		      int len)
{
	uint64_t lsize = 0;
	int32_t used;
	unsigned int w = img->is64 ? 8 : 4;

	memcpy(&used, a->used, 4);
	if (used == len && memcmp(a->cert, der, len) == 0)
		return false;
	memcpy(a->cert, der, len);
	memset(a->cert + len, 0, a->cert_size - len);
	memcpy(&lsize, a->lsize, w);
	lsize = lsize + len - used;
	memcpy(a->lsize, &lsize, w);
	used = len;
	memcpy(a->used, &used, 4);
	return true;
}

int km_kimage_insert_cert(const char *vmlinux, X509 *cert, const char *system_map, bool *changed,
			  struct km_err *e)
{
	struct image img = { 0 };
	struct extra_area a;
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der), r;

	*changed = false;
	if (len <= 0)
		return km_err_ssl(e, -EINVAL, "cannot encode the certificate");
	r = km_read_file(vmlinux, &img.data, &img.len, IMAGE_MAX, e);
	if (r == 0 && !is_elf(img.data, img.len))
		r = km_err_set(e, -ENOEXEC, "%s: not an ELF vmlinux", vmlinux);
	img.is64 = r == 0 && img.data[EI_CLASS] == ELFCLASS64;
	if (r == 0 && (r = find_area(&img, system_map, &a, e)) < 0)
		km_err_prefix(e, "%s", vmlinux);
	if (r == 0 && (uint64_t)len > a.cert_size)
		r = km_err_set(e, -EFBIG,
			       "%s: the certificate is %d bytes; the extra certificate "
			       "area holds %llu (CONFIG_SYSTEM_EXTRA_CERTIFICATE_SIZE)",
			       vmlinux, len, (unsigned long long)a.cert_size);
	if (r == 0)
		*changed = fill_area(&img, &a, der, len);
	if (r == 0 && *changed)
		r = km_write_file_atomic(vmlinux, img.data, img.len, km_file_mode(vmlinux, 0755),
					 e);
	OPENSSL_free(der);
	free(img.data);
	return r;
}
