/* kmsign sign-file: a drop-in for the kernel's scripts/sign-file, same arguments, same bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common.h"
#include "fileio.h"
#include "kmsign.h"
#include "modsign.h"

#define RAW_SIG_MAX (1024 * 1024)

static void usage(FILE *out)
{
	fprintf(out, "Usage: kmsign sign-file [-dpk] HASH KEY X509 MODULE [DEST]\n"
		     "       kmsign sign-file -s RAWSIG HASH X509 MODULE [DEST]\n\n"
		     "The kernel's scripts/sign-file, with KEY also a pkcs11: URI served through\n"
		     "libp11 (no OpenSSL ENGINE or provider needed).\n"
		     "  -p  also write MODULE.p7s    -d  write MODULE.p7s only\n"
		     "  -k  identify the signer by subjectKeyIdentifier\n"
		     "  -s  append RAWSIG, a CMS signature made elsewhere\n"
		     "An existing signature is replaced, not doubled. See kmsign-sign-file(1).\n");
}

struct sf_args {
	bool raw, save, detached, keyid;
	const char *raw_sig, *hash, *key, *x509, *module, *dest;
};

/* getopt's "sdpk", as sign-file has it: -s is a flag and RAWSIG the first operand. */
static int parse(int argc, char *argv[], struct sf_args *a)
{
	int c, n;

	memset(a, 0, sizeof(*a));
	if (argc == 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
		usage(stdout);
		exit(EXIT_SUCCESS);
	}
	while ((c = getopt(argc, argv, "sdpk")) != -1) {
		switch (c) {
		case 's':
			a->raw = true;
			break;
		case 'p':
			a->save = true;
			break;
		case 'd':
			a->detached = a->save = true;
			break;
		case 'k':
			a->keyid = true;
			break;
		default:
			usage(stderr);
			return -1;
		}
	}
	argv += optind;
	n = argc - optind;
	if (n < 4 || n > 5) {
		usage(stderr);
		return -1;
	}
	if (a->raw)
		a->raw_sig = argv[0];
	else
		a->key = argv[1];
	a->hash = argv[a->raw ? 1 : 0];
	a->x509 = argv[2];
	a->module = argv[3];
	a->dest = n == 5 && !streq(argv[3], argv[4]) ? argv[4] : NULL;
	return 0;
}

static int sign_raw(const struct sf_args *a)
{
	struct km_sign_opts o = { .md = NULL };
	struct km_sign_result res;
	struct km_err e = { 0 };
	uint8_t *raw;
	size_t len;
	int r;

	if (km_read_file(a->raw_sig, &raw, &len, RAW_SIG_MAX, &e) < 0) {
		km_log_err(&e);
		return KM_EXIT_FAILURE;
	}
	o.raw_cms = raw;
	o.raw_cms_len = len;
	o.md = EVP_sha256(); /* unused: nothing is hashed into a signature here */
	r = km_module_sign(&o, a->module, a->dest, &res, &e);
	free(raw);
	if (r < 0) {
		km_log_err(&e);
		return KM_EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

static int sign_key(const struct sf_args *a)
{
	const EVP_MD *md = km_md_by_name(a->hash);
	struct km_sign_opts o = {
		.md = md, .keyid = a->keyid, .save_p7s = a->save, .detached = a->detached
	};
	struct km_sign_result res;
	struct km_err e = { 0 };
	int r;

	if (!md) {
		ERR("unknown hash '%s' (sha1, sha224, sha256, sha384 or sha512)", a->hash);
		return KM_EXIT_USAGE;
	}
	if (km_open_key_and_cert(a->key, a->x509, md, &o.signer, &o.cert) < 0)
		return KM_EXIT_FAILURE;
	r = km_module_sign(&o, a->module, a->dest, &res, &e);
	if (r < 0)
		km_log_err(&e);
	X509_free(o.cert);
	km_signer_free(o.signer);
	return r < 0 ? KM_EXIT_FAILURE : EXIT_SUCCESS;
}

static int cmd_sign_file(int argc, char *argv[])
{
	struct sf_args a;

	if (parse(argc, argv, &a) < 0)
		return KM_EXIT_USAGE;
	return a.raw ? sign_raw(&a) : sign_key(&a);
}

const struct kmsign_cmd kmsign_cmd_sign_file = {
	.name = "sign-file",
	.fn = cmd_sign_file,
	.help = "drop-in for the kernel's scripts/sign-file",
};
