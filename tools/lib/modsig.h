/* The kernel's appended module signature: module ‖ CMS ‖ struct module_signature ‖ magic. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define KM_MODSIG_MAGIC	    "~Module signature appended~\n"
#define KM_MODSIG_MAGIC_LEN (sizeof(KM_MODSIG_MAGIC) - 1)
#define KM_PKEY_ID_PKCS7    2

/* As in the kernel's include/linux/module_signature.h. */
struct km_module_signature {
	uint8_t algo;
	uint8_t hash;
	uint8_t id_type;
	uint8_t signer_len;
	uint8_t key_id_len;
	uint8_t pad[3];
	uint32_t sig_len; /* big endian */
};

#define KM_MODSIG_TRAILER_LEN (sizeof(struct km_module_signature) + KM_MODSIG_MAGIC_LEN)

struct km_modsig {
	bool is_signed;
	uint64_t content_len; /* bytes covered by the signature (the whole file when unsigned) */
	uint64_t sig_offset;  /* where the CMS blob starts */
	uint32_t sig_len;
};

/*
 * Parses the end of a file of file_len bytes; tail holds its last tail_len
 * bytes (at least KM_MODSIG_TRAILER_LEN, or the whole file if shorter).
 * Applies the kernel's mod_check_sig() rules: a trailer that is truncated or
 * has fields the kernel rejects is -EBADMSG, never "unsigned".
 */
int km_modsig_parse(const uint8_t *tail, size_t tail_len, uint64_t file_len, struct km_modsig *out,
		    struct km_err *e) _must_check_;

/* Fills the trailer that follows a CMS blob of sig_len bytes. */
void km_modsig_trailer(uint8_t out[KM_MODSIG_TRAILER_LEN], uint32_t sig_len);
