/* The CMS SignedData blob of a module signature, exactly as the kernel's sign-file makes it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

/*
 * Builds the detached SignedData (no certificates, no signed attributes)
 * around a signature made elsewhere. With the same key, certificate and
 * hash, the bytes equal sign-file's (RSA PKCS#1 v1.5 is deterministic).
 * keyid selects the subjectKeyIdentifier form of the signer (sign-file -k).
 */
int km_cms_build(X509 *cert, const EVP_MD *md, bool keyid, const unsigned char *sig, size_t siglen,
		 unsigned char **der, size_t *derlen, struct km_err *e) _must_check_;

/*
 * Finds the signer among certs and checks the signature over content_digest.
 * Returns 0 (good), -EBADMSG (bad signature or malformed blob: msg says
 * which), -ENOKEY (signed by a key none of certs holds). *signer is the
 * matching certificate (borrowed) on 0 and -EBADMSG after a match.
 */
struct km_cms_verdict {
	X509 *signer;
	char md_name[16];
	char key_id[160];
	bool malformed;
};

/* Parses the blob and returns its digest algorithm, for hashing the content. */
int km_cms_digest_alg(const unsigned char *der, size_t len, const EVP_MD **md,
		      struct km_err *e) _must_check_;

int km_cms_verify(const unsigned char *der, size_t len, STACK_OF(X509) * certs,
		  const unsigned char *dg, size_t dlen, struct km_cms_verdict *v,
		  struct km_err *e) _must_check_;
