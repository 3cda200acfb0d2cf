/* kmsign doctor: preflight a signing set-up before a long build depends on it. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "cert.h"
#include "common.h"
#include "kmsign.h"
#include "signer.h"
#include "uri.h"

static const struct option options[] = { { "key", required_argument, NULL, 'k' },
					 { "cert", required_argument, NULL, 'c' },
					 { "hash", required_argument, NULL, 'a' },
					 { "quiet", no_argument, NULL, 'q' },
					 { "verbose", no_argument, NULL, 'v' },
					 { "help", no_argument, NULL, 'h' },
					 { 0 } };

struct doctor {
	const char *key, *cert_path, *hash;
	bool quiet;
	int failures;
	struct km_signer *signer;
	const EVP_MD *md;
	X509 *cert;
};

static void help(void)
{
	printf("Usage: kmsign doctor -k KEY [-c CERT] [-a HASH]\n"
	       "Check that a module signing set-up works: the PKCS#11 module loads, the token\n"
	       "and key are found, the hash suits the key, the certificate (from CERT, else\n"
	       "from the token) matches the key, and a test signature verifies.\n\n"
	       "  -k, --key KEY     pkcs11: URI or PEM key file\n"
	       "  -c, --cert CERT   certificate to check (default: the token's)\n"
	       "  -a, --hash HASH   hash the build will use (default sha256)\n"
	       "  -q, --quiet       print only failures and the verdict\n"
	       "Exits 0 when every check passes. See kmsign-doctor(1).\n");
}

static void check(struct doctor *d, bool ok, const char *what, const char *fmt, ...) _printf_(4, 5);
static void check(struct doctor *d, bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		d->failures++;
	if (ok && d->quiet)
		return;
	printf("  %-4s  %-12s ", ok ? "OK" : "FAIL", what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static bool check_key(struct doctor *d)
{
	struct km_err e = { 0 };
	_cleanup_free_ char *shown = km_uri_redact(d->key);
	struct km_token *t;
	char id[80];

	if (km_signer_open(d->key, 0, &d->signer, &e) < 0) {
		check(d, false, "key", "%s", e.msg);
		return false;
	}
	t = km_signer_token(d->signer);
	if (!t) {
		check(d, true, "key", "%s (%s, key file)", shown ? shown : "",
		      km_signer_describe(d->signer));
		return true;
	}
	km_token_key_id(t, id, sizeof(id));
	check(d, true, "module", "%s", km_token_module(t));
	check(d, true, "token", "'%s'", km_token_label(t));
	check(d, true, "key", "'%s' (%s, id %s)", km_token_key_label(t),
	      km_signer_describe(d->signer), id[0] ? id : "none");
	return true;
}

static void check_hash(struct doctor *d)
{
	struct km_err e = { 0 };

	d->md = km_md_by_name(d->hash);
	if (!d->md) {
		check(d, false, "hash", "unknown hash '%s'", d->hash);
		return;
	}
	if (km_signer_check_md(d->signer, d->md, &e) < 0)
		check(d, false, "hash", "%s", e.msg);
	else
		check(d, true, "hash", "%s with %s", km_md_short_name(d->md),
		      km_signer_describe(d->signer));
}

static void check_cert(struct doctor *d)
{
	struct km_token *t = km_signer_token(d->signer);
	struct km_err e = { 0 };
	char signer[256];
	int r;

	if (d->cert_path)
		r = km_cert_load(d->cert_path, &d->cert, &e);
	else if (t)
		r = km_token_find_cert(t, &d->cert, &e);
	else
		r = km_err_set(&e, -EINVAL, "give -c CERT: a key file holds no certificate");
	if (r < 0) {
		check(d, false, "certificate", "%s", e.msg);
		return;
	}
	km_cert_signer(d->cert, signer, sizeof(signer));
	if (km_cert_check_key(d->cert, km_signer_pubkey(d->signer), &e) < 0)
		check(d, false, "certificate", "%s", e.msg);
	else
		check(d, true, "certificate", "\"%s\" %s, matches the key", signer,
		      d->cert_path ? d->cert_path : "from the token");
}

static void check_signature(struct doctor *d)
{
	unsigned char dg[EVP_MAX_MD_SIZE], sig[1024];
	size_t siglen = sizeof(sig);
	struct km_err e = { 0 };
	struct timespec a, b;

	if (!d->md || EVP_MD_size(d->md) <= 0 || RAND_bytes(dg, EVP_MD_size(d->md)) != 1) {
		check(d, false, "signature", "no usable hash");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (km_signer_sign(d->signer, d->md, dg, EVP_MD_size(d->md), sig, &siglen, &e) < 0) {
		check(d, false, "signature", "%s", e.msg);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	check(d, true, "signature", "a test signature verifies (%.0f ms)",
	      (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
}

static int cmd_doctor(int argc, char *argv[])
{
	struct doctor d = { .hash = "sha256" };
	int c;

	while ((c = getopt_long(argc, argv, "k:c:a:qvh", options, NULL)) != -1) {
		switch (c) {
		case 'k':
			d.key = optarg;
			break;
		case 'c':
			d.cert_path = optarg;
			break;
		case 'a':
			d.hash = optarg;
			break;
		case 'q':
			d.quiet = true;
			break;
		case 'v':
			km_log_set_level(KM_LOG_DBG);
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		default:
			return KM_EXIT_USAGE;
		}
	}
	if (!d.key || optind != argc) {
		ERR("doctor needs -k KEY and no other arguments (see --help)");
		return KM_EXIT_USAGE;
	}
	km_warn_pin_in_uri(d.key);
	if (check_key(&d)) {
		check_hash(&d);
		check_cert(&d);
		check_signature(&d);
	}
	printf("%s\n", d.failures ? "verdict: NOT ready to sign modules"
				  : "verdict: ready to sign modules");
	X509_free(d.cert);
	km_signer_free(d.signer);
	return d.failures ? KM_EXIT_FAILURE : EXIT_SUCCESS;
}

const struct kmsign_cmd kmsign_cmd_doctor = {
	.name = "doctor",
	.fn = cmd_doctor,
	.help = "check a signing set-up: module, token, key, hash, certificate",
};
