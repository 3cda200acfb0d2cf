/* Certificates inside kernel images: listing them (vmlinux or bzImage) and filling the extra area.
 */
#pragma once

#include <stdbool.h>

#include <openssl/x509.h>

#include "err.h"

/*
 * The certificates a kernel trusts at boot. A vmlinux with symbols gives
 * the exact list (system_certificate_list and its size). A bzImage/vmlinuz
 * is unpacked and, having no symbols, scanned for DER certificates.
 */
int km_kimage_load_certs(const char *path, STACK_OF(X509) * *out, struct km_err *e) _must_check_;

/*
 * Puts cert into the CONFIG_SYSTEM_EXTRA_CERTIFICATE area of a vmlinux, as
 * the kernel's scripts/insert-sys-cert does, and rewrites the file
 * atomically. Symbols come from the ELF, else from system_map. *changed is
 * false when that certificate was already there.
 */
int km_kimage_insert_cert(const char *vmlinux, X509 *cert, const char *system_map, bool *changed,
			  struct km_err *e) _must_check_;
