/* Signing one module file: hash while copying, sign the digest, append, rename. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"
#include "signer.h"

struct km_sign_opts {
	struct km_signer *signer; /* NULL when raw_cms is given */
	X509 *cert;
	const EVP_MD *md;
	bool keyid;    /* identify the signer by subjectKeyIdentifier (sign-file -k) */
	bool save_p7s; /* also write MODULE.p7s (sign-file -p) */
	bool detached; /* write only MODULE.p7s, leave the module alone (sign-file -d) */
	const unsigned char *raw_cms; /* a CMS blob made elsewhere (sign-file -s) */
	size_t raw_cms_len;
};

struct km_sign_result {
	bool was_signed;    /* an old signature was replaced */
	bool signer_failed; /* the failure came from the signer, not from the module */
	unsigned long long bytes;
};

/*
 * Signs path into dest (dest NULL or equal to path: in place). The module's
 * bytes are hashed as they are copied to a temp file beside dest, so what is
 * signed is what is written; the temp file replaces dest only when complete.
 * An existing signature is replaced, never doubled. On any error dest is
 * untouched.
 */
int km_module_sign(const struct km_sign_opts *o, const char *path, const char *dest,
		   struct km_sign_result *res, struct km_err *e) _must_check_;
