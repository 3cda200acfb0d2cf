/* Verifying a module's appended signature against trusted certificates, as the kernel does. */
#pragma once

#include <openssl/x509.h>

#include "err.h"

enum km_verdict {
	KM_VERDICT_OK,
	KM_VERDICT_UNSIGNED,
	KM_VERDICT_BAD_SIGNATURE,
	KM_VERDICT_UNKNOWN_KEY,
	KM_VERDICT_MALFORMED,
	KM_VERDICT_ERROR, /* could not be read */
};

struct km_verify_result {
	enum km_verdict verdict;
	char signer[256]; /* CN of the certificate that verified it */
	char key_id[160]; /* the signer's id in the signature: serial or keyid, hex */
	char hash[16];
	char reason[KM_ERR_MSG_MAX];
};

const char *km_verdict_name(enum km_verdict v);

/*
 * Verifies one module (.ko, or .ko.gz/.ko.xz/.ko.zst, told by content).
 * Uncompressed modules are hashed as they are read; compressed ones are
 * unpacked in memory first. Always fills res; returns 0 only for OK.
 */
int km_verify_module(const char *path, STACK_OF(X509) * certs, struct km_verify_result *res);
