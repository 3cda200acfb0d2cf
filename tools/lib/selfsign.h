/* Self-signed X.509 certificates made through the signing key itself (no key leaves the token). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

struct km_selfsign {
	X509_NAME *subject; /* borrowed */
	int days;
	const EVP_MD *md;
	/* notBefore; with SOURCE_DATE_EPOCH the caller passes it and the serial is derived. */
	int64_t not_before;
	bool reproducible;
};

/*
 * Builds a certificate for pub with the kernel's x509.genkey extensions
 * (basicConstraints critical CA:FALSE, keyUsage digitalSignature,
 * subjectKeyIdentifier, authorityKeyIdentifier) and signs it with key,
 * which may live in a token. The result is verified against pub.
 */
int km_selfsign(const struct km_selfsign *p, EVP_PKEY *key, EVP_PKEY *pub, X509 **out,
		struct km_err *e) _must_check_;

/* The start time to use: $SOURCE_DATE_EPOCH when set (reproducible), else now. */
int km_selfsign_time(int64_t *t, bool *reproducible, struct km_err *e) _must_check_;
