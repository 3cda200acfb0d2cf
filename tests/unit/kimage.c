/* Unit tests for kimage: synthetic ELF32/ELF64 vmlinux and bzImage files, and hostile headers. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <zlib.h>

#include "fileio.h"
#include "kimage.h"
#include "unit.h"

#define DATA_OFF 0x1000
#define AREA	 1024
#define IMG_MAX	 (64 * 1024)

static char dir[4096];

/* A synthetic vmlinux: one data section holding what certs/system_certificates.S lays out. */
struct layout {
	size_t len;			 /* bytes used in the image */
	size_t list, extra, used, lsize; /* file offsets */
	size_t shoff, symoff;
};

static EVP_PKEY *make_key(void)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	EVP_PKEY *k = NULL;

	if (c && EVP_PKEY_keygen_init(c) > 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(c, 2048) > 0)
		EVP_PKEY_keygen(c, &k);
	EVP_PKEY_CTX_free(c);
	return k;
}

/* pad adds that many 60-byte OU entries, to make a certificate too large for the area. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, long serial, int pad)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	while (pad-- > 0)
		X509_NAME_add_entry_by_txt(
			n, "OU", MBSTRING_ASC,
			(const unsigned char
				 *)"padding padding padding padding padding padding pad",
			-1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, key, EVP_sha256());
	return x;
}

static int der(X509 *x, uint8_t *buf)
{
	unsigned char *p = buf;

	return i2d_X509(x, &p);
}

static void put(uint8_t *b, uint64_t v, int w)
{
	int i;

	for (i = 0; i < w; i++, v >>= 8)
		b[i] = (uint8_t)v;
}

static const char strtab[] = "\0system_certificate_list\0system_certificate_list_size\0"
			     "system_extra_cert\0system_extra_cert_used\0";
static const unsigned int name_off[4] = { 1, 25, 54, 72 };

/* Lays the data section out and fills the list with cert (the build's key). */
static void lay_out(uint8_t *img, struct layout *l, bool is64, X509 *cert)
{
	int w = is64 ? 8 : 4, n = der(cert, img + DATA_OFF);

	l->list = DATA_OFF;
	l->extra = l->list + n;
	l->used = (l->extra + AREA + 3) & ~(size_t)3;
	l->lsize = (l->used + 4 + 7) & ~(size_t)7;
	put(img + l->lsize, n, w);
	l->symoff = (l->lsize + w + 15) & ~(size_t)15;
}

static uint64_t vaddr(bool is64, size_t off)
{
	return (is64 ? 0xffffffff81000000ULL : 0xc1000000ULL) + off - DATA_OFF;
}

static void add_syms64(uint8_t *img, struct layout *l, const size_t at[4], const uint64_t size[4])
{
	Elf64_Sym s[5] = { { 0 } };
	int i;

	for (i = 0; i < 4; i++)
		s[i + 1] = (Elf64_Sym){ .st_name = name_off[i],
					.st_shndx = 1,
					.st_value = vaddr(true, at[i]),
					.st_size = size[i] };
	memcpy(img + l->symoff, s, sizeof(s));
	memcpy(img + l->symoff + sizeof(s), strtab, sizeof(strtab));
	l->shoff = (l->symoff + sizeof(s) + sizeof(strtab) + 7) & ~(size_t)7;
}

static void add_syms32(uint8_t *img, struct layout *l, const size_t at[4], const uint64_t size[4])
{
	Elf32_Sym s[5] = { { 0 } };
	int i;

	for (i = 0; i < 4; i++)
		s[i + 1] = (Elf32_Sym){ .st_name = name_off[i],
					.st_shndx = 1,
					.st_value = (uint32_t)vaddr(false, at[i]),
					.st_size = (uint32_t)size[i] };
	memcpy(img + l->symoff, s, sizeof(s));
	memcpy(img + l->symoff + sizeof(s), strtab, sizeof(strtab));
	l->shoff = (l->symoff + sizeof(s) + sizeof(strtab) + 7) & ~(size_t)7;
}

static void headers64(uint8_t *img, struct layout *l, bool symtab)
{
	Elf64_Ehdr h = { .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT };
	Elf64_Shdr s[4] = { { 0 } };
	size_t nsym = 5 * sizeof(Elf64_Sym);

	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS64, h.e_ident[EI_DATA] = ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	h.e_ehsize = sizeof(h), h.e_shentsize = sizeof(Elf64_Shdr), h.e_shoff = l->shoff;
	h.e_shnum = symtab ? 4 : 2;
	s[1] = (Elf64_Shdr){ .sh_type = SHT_PROGBITS,
			     .sh_flags = SHF_ALLOC | SHF_WRITE,
			     .sh_addr = vaddr(true, DATA_OFF),
			     .sh_offset = DATA_OFF,
			     .sh_size = l->symoff - DATA_OFF };
	s[2] = (Elf64_Shdr){ .sh_type = SHT_SYMTAB,
			     .sh_offset = l->symoff,
			     .sh_size = nsym,
			     .sh_link = 3,
			     .sh_entsize = sizeof(Elf64_Sym) };
	s[3] = (Elf64_Shdr){ .sh_type = SHT_STRTAB,
			     .sh_offset = l->symoff + nsym,
			     .sh_size = sizeof(strtab) };
	memcpy(img, &h, sizeof(h));
	memcpy(img + l->shoff, s, sizeof(s));
	l->len = l->shoff + sizeof(s);
}

static void headers32(uint8_t *img, struct layout *l, bool symtab)
{
	Elf32_Ehdr h = { .e_type = ET_EXEC, .e_machine = EM_386, .e_version = EV_CURRENT };
	Elf32_Shdr s[4] = { { 0 } };
	size_t nsym = 5 * sizeof(Elf32_Sym);

	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS32, h.e_ident[EI_DATA] = ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	h.e_ehsize = sizeof(h), h.e_shentsize = sizeof(Elf32_Shdr), h.e_shoff = l->shoff;
	h.e_shnum = symtab ? 4 : 2;
	s[1] = (Elf32_Shdr){ .sh_type = SHT_PROGBITS,
			     .sh_flags = SHF_ALLOC | SHF_WRITE,
			     .sh_addr = (uint32_t)vaddr(false, DATA_OFF),
			     .sh_offset = DATA_OFF,
			     .sh_size = l->symoff - DATA_OFF };
	s[2] = (Elf32_Shdr){ .sh_type = SHT_SYMTAB,
			     .sh_offset = l->symoff,
			     .sh_size = nsym,
			     .sh_link = 3,
			     .sh_entsize = sizeof(Elf32_Sym) };
	s[3] = (Elf32_Shdr){ .sh_type = SHT_STRTAB,
			     .sh_offset = l->symoff + nsym,
			     .sh_size = sizeof(strtab) };
	memcpy(img, &h, sizeof(h));
	memcpy(img + l->shoff, s, sizeof(s));
	l->len = l->shoff + sizeof(s);
}

static void build(uint8_t *img, struct layout *l, bool is64, bool symtab, X509 *cert)
{
	const uint64_t size[4] = { 0, is64 ? 8 : 4, AREA, 4 };
	size_t at[4];

	memset(img, 0, IMG_MAX);
	lay_out(img, l, is64, cert);
	at[0] = l->list, at[1] = l->lsize, at[2] = l->extra, at[3] = l->used;
	if (is64)
		add_syms64(img, l, at, size), headers64(img, l, symtab);
	else
		add_syms32(img, l, at, size), headers32(img, l, symtab);
}

static int ncerts(const uint8_t *img, size_t len, struct km_err *e)
{
	struct km_kimage *k = NULL;
	STACK_OF(X509) *sk = NULL;
	int r = km_kimage_load_mem(img, len, "img", &k, e);

	if (r == 0)
		r = km_kimage_certs(k, &sk, e);
	if (r == 0)
		r = sk_X509_num(sk);
	sk_X509_pop_free(sk, X509_free);
	km_kimage_free(k);
	return r;
}

static char *write_tmp(const char *name, const uint8_t *buf, size_t len)
{
	static char path[4200];
	struct km_err e = { 0 };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (km_write_file_atomic(path, buf, len, 0644, &e) < 0)
		fprintf(stderr, "%s\n", e.msg);
	return path;
}

/* Inserting, replacing, and re-inserting into one class of ELF, checking the bytes. */
static void insert_cycle(bool is64, X509 *build_cert, X509 *a, X509 *b)
{
	static uint8_t img[IMG_MAX];
	_cleanup_free_ uint8_t *got = NULL;
	struct layout l;
	struct km_err e = { 0 };
	uint8_t da[4096];
	int w = is64 ? 8 : 4, n0 = der(build_cert, da), na = der(a, da), nb;
	uint64_t lsize = 0;
	int32_t used = 0;
	size_t len;
	char *path;

	build(img, &l, is64, true, build_cert);
	path = write_tmp(is64 ? "v64" : "v32", img, l.len);
	CHECK(ncerts(img, l.len, &e) == 1, "ELF%d: one certificate before: %s", w * 8, e.msg);
	CHECK(km_kimage_insert_cert(path, a, NULL, &e) == KM_INSERT_NEW, "ELF%d insert: %s", w * 8,
	      e.msg);
	CHECK(km_kimage_insert_cert(path, a, NULL, &e) == KM_INSERT_SAME, "ELF%d again: %s", w * 8,
	      e.msg);
	CHECK(km_kimage_insert_cert(path, b, NULL, &e) == KM_INSERT_REPLACED, "ELF%d replace: %s",
	      w * 8, e.msg);
	if (km_read_file(path, &got, &len, IMG_MAX, &e) < 0 || len != l.len) {
		CHECK(0, "ELF%d: cannot read back", w * 8);
		return;
	}
	nb = der(b, da);
	memcpy(&used, got + l.used, 4);
	memcpy(&lsize, got + l.lsize, w);
	CHECK(used == nb, "ELF%d: used %d, not %d", w * 8, used, nb);
	CHECK(lsize == (uint64_t)(n0 + nb), "ELF%d: list size %llu", w * 8,
	      (unsigned long long)lsize);
	CHECK(memcmp(got + l.extra, da, nb) == 0, "ELF%d: certificate bytes", w * 8);
	CHECK(nb >= na || got[l.extra + na - 1] == 0, "ELF%d: the old tail was not zeroed", w * 8);
	CHECK(ncerts(got, len, &e) == 2, "ELF%d: two certificates after: %s", w * 8, e.msg);
}

static void stripped_and_map(X509 *build_cert, X509 *a)
{
	static uint8_t img[IMG_MAX];
	struct layout l;
	struct km_err e = { 0 };
	char map[4200], *path;
	FILE *f;

	build(img, &l, true, false, build_cert);
	path = write_tmp("stripped", img, l.len);
	CHECK(ncerts(img, l.len, &e) == 1, "scan of a stripped image: %s", e.msg);
	CHECK(km_kimage_insert_cert(path, a, NULL, &e) == -ENOENT &&
		      strstr(e.msg, "no symbol table: give --system-map"),
	      "stripped without a map: %s", e.msg);
	snprintf(map, sizeof(map), "%s/System.map", dir);
	f = fopen(map, "w");
	if (!f)
		return;
	fprintf(f, "%016llx R system_certificate_list\n%016llx R system_extra_cert\n",
		(unsigned long long)vaddr(true, l.list), (unsigned long long)vaddr(true, l.extra));
	fprintf(f, "%016llx R system_extra_cert_used\n%016llx R system_certificate_list_size\n",
		(unsigned long long)vaddr(true, l.used), (unsigned long long)vaddr(true, l.lsize));
	fclose(f);
	CHECK(km_kimage_insert_cert(path, a, map, &e) == KM_INSERT_NEW, "with a map: %s", e.msg);
	CHECK(km_kimage_insert_cert(path, a, map, &e) == KM_INSERT_SAME, "with a map: %s", e.msg);
}

static void too_large(EVP_PKEY *key, X509 *build_cert)
{
	static uint8_t img[IMG_MAX];
	_cleanup_free_ uint8_t *after = NULL;
	struct layout l;
	struct km_err e = { 0 };
	char want[200];
	size_t n2;
	X509 *big = make_cert(key, "big", 9, 30);
	char *path;

	build(img, &l, true, true, build_cert);
	path = write_tmp("small-area", img, l.len);
	snprintf(want, sizeof(want),
		 "certificate is %d bytes; the kernel's extra certificate area holds %d "
		 "(CONFIG_SYSTEM_EXTRA_CERTIFICATE_SIZE)",
		 i2d_X509(big, NULL), AREA);
	CHECK(km_kimage_insert_cert(path, big, NULL, &e) == -EFBIG && strstr(e.msg, want),
	      "too large: %s", e.msg);
	CHECK(km_read_file(path, &after, &n2, IMG_MAX, &e) == 0 && n2 == l.len &&
		      memcmp(after, img, n2) == 0,
	      "a refused insert changed the file");
	X509_free(big);
}

/* A gzip member of buf, as a bzImage payload. */
static size_t gzip_mem(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };

	if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)in, z.avail_in = (uInt)len;
	z.next_out = out, z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* A bzImage: 2 setup sectors after the boot sector, the payload at 0x100 into the kernel. */
static size_t make_bzimage(uint8_t *bz, size_t cap, const uint8_t *elf, size_t len)
{
	size_t base = 3 * 512 + 0x100, n;

	memset(bz, 0, base);
	bz[0x1f1] = 2;
	memcpy(bz + 0x202, "HdrS", 4);
	put(bz + 0x206, 0x20f, 2);
	put(bz + 0x248, 0x100, 4);
	n = gzip_mem(elf, len, bz + base, cap - base);
	put(bz + 0x24c, n, 4);
	return base + n + 4;
}

static void bzimage(X509 *build_cert)
{
	static uint8_t img[IMG_MAX], bz[IMG_MAX];
	struct layout l;
	struct km_err e = { 0 };
	size_t n;

	build(img, &l, true, false, build_cert);
	n = make_bzimage(bz, sizeof(bz), img, l.len);
	CHECK(ncerts(bz, n, &e) == 1, "bzImage: %s", e.msg);
	put(bz + 0x248, 0xfffffff0, 4);
	CHECK(ncerts(bz, n, &e) == -ENOEXEC && strstr(e.msg, "payload lies outside the file"),
	      "payload offset: %s", e.msg);
	put(bz + 0x248, 0x100, 4);
	put(bz + 0x24c, 0xffffffff, 4);
	CHECK(ncerts(bz, n, &e) == -ENOEXEC, "payload length: %s", e.msg);
	put(bz + 0x206, 0x206, 2);
	CHECK(ncerts(bz, n, &e) == -EOPNOTSUPP && strstr(e.msg, "2.06"), "old protocol: %s", e.msg);
	CHECK(ncerts(bz, 0x300, &e) < 0, "a truncated bzImage was accepted");
	CHECK(ncerts((const uint8_t *)"hello, world", 12, &e) == -ENOEXEC &&
		      strstr(e.msg, "not a kernel image (neither ELF vmlinux nor bzImage)"),
	      "not an image: %s", e.msg);
}

/* Every prefix, and each header field set to hostile values: errors, never a crash. */
static void hostile(X509 *build_cert)
{
	static uint8_t img[IMG_MAX], bad[IMG_MAX];
	static const uint64_t vals[] = {
		0,	    1, 0x7fffffff, 0xffffffff, 0xffffffffffffffffULL, 0x8000000000000000ULL,
		IMG_MAX - 1
	};
	struct layout l;
	struct km_err e = { 0 };
	size_t i, off;
	int r;

	build(img, &l, true, true, build_cert);
	for (i = 0; i < l.len; i += i < 1024 ? 1 : 61)
		ncerts(img, i, &e);
	for (off = 0; off < l.len; off += 4) {
		if (off >= sizeof(Elf64_Ehdr) && off < l.lsize - 64)
			continue; /* the certificate bytes: covered by the prefixes */
		for (i = 0; i < ARRAY_SIZE(vals); i++) {
			memcpy(bad, img, l.len);
			put(bad + off, vals[i], off + 8 <= l.len ? 8 : 4);
			r = ncerts(bad, l.len, &e);
			CHECK(r >= 0 || e.msg[0], "offset %zu = %llx: error without a message", off,
			      (unsigned long long)vals[i]);
		}
	}
	memcpy(bad, img, l.len);
	put(bad + l.lsize, 0xffffffffffffffffULL, 8);
	CHECK(ncerts(bad, l.len, &e) == -ENOEXEC && strstr(e.msg, "runs outside the file"),
	      "huge list size: %s", e.msg);
	memcpy(bad, img, l.len);
	bad[EI_DATA] = ELFDATA2MSB;
	CHECK(ncerts(bad, l.len, &e) == -EOPNOTSUPP && strstr(e.msg, "big-endian"), "MSB: %s",
	      e.msg);
}

int main(void)
{
	EVP_PKEY *key = make_key();
	X509 *k = key ? make_cert(key, "Build time autogenerated kernel key", 1, 0) : NULL;
	X509 *a = key ? make_cert(key, "Extra certificate", 2, 0) : NULL;
	X509 *b = key ? make_cert(key, "Another extra certificate, longer", 3, 0) : NULL;
	char cmd[4200];

	snprintf(dir, sizeof(dir), "%s/kmsign-kimage-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir);
	if (!k || !a || !b || !mkdtemp(dir))
		return 1;
	insert_cycle(true, k, a, b);
	insert_cycle(false, k, a, b);
	insert_cycle(true, k, b, a);
	stripped_and_map(k, a);
	too_large(key, k);
	bzimage(k);
	hostile(k);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	X509_free(k), X509_free(a), X509_free(b);
	EVP_PKEY_free(key);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
