/* Helpers shared by the commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "common.h"
#include "kmsign.h"
#include "uri.h"

int km_open_key_and_cert(const char *key, const char *cert_path, const EVP_MD *md,
			 struct km_signer **signer, X509 **cert)
{
	struct km_err e = { 0 };

	*cert = NULL;
	km_warn_pin_in_uri(key);
	if (km_signer_open(key, 0, signer, &e) < 0) {
		km_log_err(&e);
		return -1;
	}
	if (km_signer_check_md(*signer, md, &e) < 0 || km_cert_load(cert_path, cert, &e) < 0)
		goto fail;
	if (km_cert_check_key(*cert, km_signer_pubkey(*signer), &e) < 0) {
		km_err_prefix(&e, "%s", cert_path);
		goto fail;
	}
	return 0;
fail:
	km_log_err(&e);
	X509_free(*cert);
	*cert = NULL;
	km_signer_free(*signer);
	*signer = NULL;
	return -1;
}

void km_warn_pin_in_uri(const char *key)
{
	if (km_is_pkcs11_uri(key) && strstr(key, "pin-value="))
		WRN("the PIN is in the URI, where ps and /proc show it to every user; "
		    "prefer pin-source=file:PATH or KBUILD_SIGN_PIN");
}

long km_parse_count(const char *opt, const char *val, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || *end || end == val || v < min || v > max) {
		ERR("%s: expected a number from %ld to %ld, got '%s'", opt, min, max, val);
		return -1;
	}
	return v;
}

double km_parse_rate(const char *opt, const char *val)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	if (errno || *end || end == val || v < 0 || v > 1e6) {
		ERR("%s: expected a rate in signatures per second, got '%s'", opt, val);
		return -1;
	}
	return v;
}

void km_progress(unsigned long done, unsigned long total, double elapsed)
{
	double rate = elapsed > 0 ? done / elapsed : 0;
	double eta = rate > 0 ? (total - done) / rate : 0;
	int width = 30, fill = total ? (int)((double)done * width / total) : width;

	fprintf(stderr, "\r  [%-*.*s] %lu/%lu  %.0f/s  ETA %.0fs ", width, fill,
		"##############################", done, total, rate, eta);
	fflush(stderr);
}

void km_progress_end(void)
{
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
