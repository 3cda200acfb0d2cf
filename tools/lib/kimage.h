/* Certificates inside kernel images: listing them (vmlinux or bzImage) and filling the extra area.
 */
#pragma once

#include <stdbool.h>

#include <openssl/x509.h>

#include "err.h"

/*
 * A kernel image loaded into memory as an ELF vmlinux: a vmlinux as is, or
 * the ELF unpacked from an x86 bzImage/vmlinuz payload (stripped of symbols).
 */
struct km_kimage;

/*
 * Accepts an ELF vmlinux (ELF32/ELF64 little-endian), an x86 bzImage or
 * vmlinuz (gzip, xz, lzma or zstd payload), an arm64/riscv Image, or any of
 * these compressed whole (Image.gz, vmlinux.xz). Anything else is refused:
 * "not a kernel image (neither ELF vmlinux nor bzImage)".
 */
int km_kimage_load(const char *path, struct km_kimage **out, struct km_err *e) _must_check_;

/* The same from memory (len bytes are copied); name is used in messages. */
int km_kimage_load_mem(const void *buf, size_t len, const char *name, struct km_kimage **out,
		       struct km_err *e) _must_check_;

void km_kimage_free(struct km_kimage *img);
static inline void km_kimage_freep(struct km_kimage **img)
{
	km_kimage_free(*img);
}
#define _cleanup_kimage_ _cleanup_(km_kimage_freep)

/* What was read, for messages: "ELF64 vmlinux", "bzImage (xz payload)", ... */
const char *km_kimage_describe(const struct km_kimage *img);

/* True when the ELF has a symbol table, or a System.map was given. */
bool km_kimage_has_symbols(const struct km_kimage *img);

/*
 * Takes symbol addresses from a System.map for an image without a symbol
 * table (Debian ships the real one in its -dbg package).
 */
int km_kimage_use_system_map(struct km_kimage *img, const char *system_map,
			     struct km_err *e) _must_check_;

/*
 * The certificates compiled in, de-duplicated, in the order the kernel loads
 * them. With symbols: exactly system_certificate_list[0..system_certificate_list_size),
 * walked as the kernel's x509_load_certificate_list walks it (an inserted
 * extra certificate is part of it once the size covers it). Without symbols:
 * every DER certificate found in the image's data sections, a heuristic
 * described in kmsign-embed(1). An empty stack is not an error.
 */
int km_kimage_certs(struct km_kimage *img, STACK_OF(X509) * *out, struct km_err *e) _must_check_;

/* km_kimage_load, then km_kimage_certs: for `kmsign verify --kernel`. */
int km_kimage_load_certs(const char *path, STACK_OF(X509) * *out, struct km_err *e) _must_check_;

/* What km_kimage_insert_cert did, when it succeeded. */
enum km_insert_result {
	KM_INSERT_NEW = 0,	/* the area was empty */
	KM_INSERT_SAME = 1,	/* this certificate was there already: file untouched */
	KM_INSERT_REPLACED = 2, /* another certificate was there and was replaced */
};

/*
 * Puts cert into the CONFIG_SYSTEM_EXTRA_CERTIFICATE area of a vmlinux as
 * the kernel's scripts/insert-sys-cert does: the DER bytes into
 * system_extra_cert (the rest of the area zeroed), its length into
 * system_extra_cert_used, and system_certificate_list_size grown by the
 * difference. The file is replaced atomically, keeping its mode. Symbols
 * come from the ELF symbol table, else from system_map (which, when both
 * exist, must agree with it). Returns an enum km_insert_result, or a
 * negative errno.
 */
int km_kimage_insert_cert(const char *vmlinux_path, X509 *cert, const char *system_map,
			  struct km_err *e) _must_check_;
