/* A signing key: a PEM file or a PKCS#11 token, with pacing and retries for remote signers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "err.h"
#include "token.h"

struct km_signer;

struct km_sign_policy {
	double max_rate;	 /* signatures per second across threads, 0 = unlimited */
	unsigned int retries;	 /* attempts after the first, on transient failures */
	unsigned int backoff_ms; /* first backoff; doubles each attempt, with jitter */
	unsigned int backoff_max_ms;
	unsigned int deadline_ms; /* give up on one signature after this long */
	unsigned int call_ms; /* a token call taking longer is abandoned and retried; 0 = wait */
};

/* KEY is a "pkcs11:" URI or a PEM private key file (its passphrase in $KBUILD_SIGN_PIN). */
int km_signer_open(const char *key, unsigned int token_flags, struct km_signer **out,
		   struct km_err *e) _must_check_;
void km_signer_free(struct km_signer *s);

void km_signer_set_policy(struct km_signer *s, const struct km_sign_policy *p);

/*
 * Prepares a token key for JOBS signatures at a time (libp11 allows 16 per
 * session pool; more take more pools). Call before going parallel; a key
 * file needs nothing.
 */
int km_signer_set_jobs(struct km_signer *s, unsigned int jobs, struct km_err *e) _must_check_;

/* The public half, for matching certificates (borrowed). */
EVP_PKEY *km_signer_pubkey(struct km_signer *s);

/* The private key, whose operations may go to a token (borrowed). */
EVP_PKEY *km_signer_private_key(struct km_signer *s);

/* The token behind the key, or NULL for a key file (borrowed). */
struct km_token *km_signer_token(struct km_signer *s);

/* A short description: "RSA 2048", "EC P-384". */
const char *km_signer_describe(struct km_signer *s);

/* Refuses hashes the key cannot sign with: an EC key signs only with its curve's hash size. */
int km_signer_check_md(struct km_signer *s, const EVP_MD *md, struct km_err *e) _must_check_;

/* Largest signature this key makes. */
size_t km_signer_sig_max(struct km_signer *s);

/*
 * Signs a digest (PKCS#1 v1.5 for RSA, DER ECDSA-Sig-Value for EC) and
 * checks the result against the public key before returning it: a signer
 * that returns a wrong signature is caught here. Thread-safe.
 */
int km_signer_sign(struct km_signer *s, const EVP_MD *md, const unsigned char *dg, size_t dlen,
		   unsigned char *sig, size_t *siglen, struct km_err *e) _must_check_;

/* Counters since open. */
void km_signer_stats(struct km_signer *s, unsigned long *signs, unsigned long *retries);

/* Verifies a signature over a digest with a public key. */
int km_verify_digest(EVP_PKEY *pub, const EVP_MD *md, const unsigned char *dg, size_t dlen,
		     const unsigned char *sig, size_t siglen, struct km_err *e) _must_check_;

/* "sha256" as the kernel spells it; "unknown" for NULL or others. */
const char *km_md_short_name(const EVP_MD *md);

/* Looks a hash name up ("sha256"); NULL if kmsign does not sign with it. */
const EVP_MD *km_md_by_name(const char *name);
