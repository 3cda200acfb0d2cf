/* Helpers shared by the commands: key and certificate set-up, progress output. */
#pragma once

#include <stdbool.h>

#include <openssl/x509.h>

#include "signer.h"

/*
 * Opens the key and the certificate and checks that they belong together and
 * that the hash suits the key. Prints the error and returns non-zero otherwise.
 */
int km_open_key_and_cert(const char *key, const char *cert_path, const EVP_MD *md,
			 struct km_signer **signer, X509 **cert);

/* Warns when a pkcs11: URI carries its PIN in pin-value (visible in ps). */
void km_warn_pin_in_uri(const char *key);

/* Parses a positive integer option; prints an error and returns -1 when invalid. */
long km_parse_count(const char *opt, const char *val, long min, long max);
double km_parse_rate(const char *opt, const char *val);

/* Redraws a one-line progress bar on stderr (a terminal only). */
void km_progress(unsigned long done, unsigned long total, double elapsed);
void km_progress_end(void);
