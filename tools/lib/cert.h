/* X.509 certificates: loading (PEM or DER), key matching, description, writing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

/* Loads one certificate; DER and PEM are told apart by the first bytes, as sign-file does. */
int km_cert_load(const char *path, X509 **out, struct km_err *e) _must_check_;

/* Parses one certificate from memory (DER or PEM). */
int km_cert_parse(const void *buf, size_t len, X509 **out, struct km_err *e) _must_check_;

/* Loads every certificate of a file: one DER certificate, or any number of PEM ones. */
int km_cert_load_all(const char *path, STACK_OF(X509) * *out, struct km_err *e) _must_check_;

/* 0 when the certificate carries this public key, -EKEYREJECTED otherwise. */
int km_cert_check_key(X509 *cert, EVP_PKEY *key, struct km_err *e) _must_check_;

/* The subject's CN (else the whole one-line subject) into buf. */
void km_cert_signer(X509 *cert, char *buf, size_t size);

/* The subjectKeyIdentifier as lowercase hex (else empty), as the kernel names keys. */
void km_cert_keyid(X509 *cert, char *buf, size_t size);

/* SHA-256 of the DER certificate, lowercase hex (65 bytes with NUL). */
void km_cert_sha256(X509 *cert, char *buf, size_t size);

/* Writes the certificate atomically, PEM or DER, with the given mode. */
int km_cert_write(const char *path, X509 *cert, bool pem, mode_t mode,
		  struct km_err *e) _must_check_;

/* Lowercase hex of bytes into buf (truncated to fit). */
void km_hex(const unsigned char *in, size_t len, char *buf, size_t size);
