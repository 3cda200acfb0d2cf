/* kmsign cert: obtain the signing certificate through the token: fetch it, or self-sign one. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "awscfg.h"
#include "common.h"
#include "cert.h"
#include "fileio.h"
#include "genkey.h"
#include "kmsign.h"
#include "selfsign.h"
#include "signer.h"

enum source { SRC_AUTO, SRC_TOKEN, SRC_SELF_SIGN };
enum store { STORE_NONE, STORE_TOKEN, STORE_CONFIG };

struct cert_args {
	const char *key, *genkey, *aws_config, *out;
	enum source source;
	enum store store;
	long days;
	bool der, quiet;
};

static const struct option options[] = {
	{ "key", required_argument, NULL, 'k' },    { "genkey", required_argument, NULL, 'g' },
	{ "days", required_argument, NULL, 'D' },   { "source", required_argument, NULL, 'S' },
	{ "store", required_argument, NULL, 'T' },  { "aws-config", required_argument, NULL, 'A' },
	{ "output", required_argument, NULL, 'o' }, { "outform", required_argument, NULL, 'F' },
	{ "quiet", no_argument, NULL, 'q' },	    { "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },	    { 0 }
};

static void help(void)
{
	printf("Usage: kmsign cert -k KEY [OPTIONS]\n"
	       "Obtain the X.509 certificate of a token's key: fetch it from the token, or\n"
	       "self-sign one through the token (the private key never leaves it).\n\n"
	       "  -k, --key KEY          pkcs11: URI of the key (or a PEM key file)\n"
	       "      --source SRC       auto (default: token, else self-sign), token, self-sign\n"
	       "      --genkey FILE      subject fields for a self-signed certificate "
	       "(x509.genkey)\n"
	       "      --days N           validity of a self-signed certificate (default 36500)\n"
	       "      --store WHERE      none (default), token (a certificate object), or config\n"
	       "                         (next to the aws-kms-pkcs11 config, as certificate_path)\n"
	       "      --aws-config FILE  the aws-kms-pkcs11 config (default: its search path)\n"
	       "  -o, --output FILE      write here (default: stdout)\n"
	       "      --outform FORM     pem (default) or der\n"
	       "With SOURCE_DATE_EPOCH set, self-signed certificates are reproducible.\n"
	       "See kmsign-cert(1).\n");
}

static int pick(const char *opt, const char *val, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (streq(val, names[i]))
			return i;
	ERR("%s: unknown value '%s'", opt, val);
	return -1;
}

static int parse_args(int argc, char *argv[], struct cert_args *a)
{
	static const char *const sources[] = { "auto", "token", "self-sign" };
	static const char *const stores[] = { "none", "token", "config" };
	static const char *const forms[] = { "pem", "der" };
	int c, v;

	*a = (struct cert_args){ .days = 0 };
	while ((c = getopt_long(argc, argv, "k:o:qvh", options, NULL)) != -1) {
		switch (c) {
		case 'k':
			a->key = optarg;
			break;
		case 'g':
			a->genkey = optarg;
			break;
		case 'A':
			a->aws_config = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'D':
			if ((a->days = km_parse_count("--days", optarg, 1, 73000)) < 0)
				return -1;
			break;
		case 'S':
			if ((v = pick("--source", optarg, sources, 3)) < 0)
				return -1;
			a->source = v;
			break;
		case 'T':
			if ((v = pick("--store", optarg, stores, 3)) < 0)
				return -1;
			a->store = v;
			break;
		case 'F':
			if ((v = pick("--outform", optarg, forms, 2)) < 0)
				return -1;
			a->der = v;
			break;
		case 'q':
			a->quiet = true;
			km_log_set_level(KM_LOG_ERR);
			break;
		case 'v':
			km_log_set_level(KM_LOG_DBG);
			break;
		case 'h':
			help();
			exit(EXIT_SUCCESS);
		default:
			return -1;
		}
	}
	if (!a->key || optind != argc) {
		ERR("cert needs -k KEY and no other arguments (see --help)");
		return -1;
	}
	if (a->source == SRC_TOKEN && a->store != STORE_NONE) {
		ERR("--store applies to self-signed certificates; not with --source token");
		return -1;
	}
	return 0;
}

/* The token's certificate for the key, if it has one; a mismatching one is an error. */
static int fetch(struct km_signer *s, X509 **cert, struct km_err *e)
{
	struct km_token *t = km_signer_token(s);
	int r;

	if (!t)
		return km_err_set(e, -ENOENT, "a key file holds no certificate");
	r = km_token_find_cert(t, cert, e);
	if (r < 0)
		return r;
	r = km_cert_check_key(*cert, km_signer_pubkey(s), e);
	if (r < 0) {
		X509_free(*cert);
		*cert = NULL;
		return km_err_prefix(e, "token '%s'", km_token_label(t));
	}
	return 0;
}

/* ECDSA certificates are signed with the hash the curve pairs with, RSA ones with sha256. */
static const EVP_MD *cert_md(struct km_signer *s)
{
	EVP_PKEY *pub = km_signer_pubkey(s);
	int bits = EVP_PKEY_bits(pub);

	if (EVP_PKEY_base_id(pub) != EVP_PKEY_EC || bits <= 256)
		return EVP_sha256();
	return bits <= 384 ? EVP_sha384() : EVP_sha512();
}

static int self_sign(const struct cert_args *a, struct km_signer *s, X509 **cert, struct km_err *e)
{
	struct km_genkey gk;
	struct km_selfsign p = { .md = cert_md(s) };
	int r;

	r = a->genkey ? km_genkey_load(a->genkey, &gk, e) : km_genkey_defaults(&gk, e);
	if (r < 0)
		return r;
	r = km_genkey_subject(&gk, &p.subject, e);
	p.days = a->days ? (int)a->days : gk.days > 0 ? gk.days : 36500;
	if (r == 0)
		r = km_selfsign_time(&p.not_before, &p.reproducible, e);
	if (r == 0)
		r = km_selfsign(&p, km_signer_private_key(s), km_signer_pubkey(s), cert, e);
	X509_NAME_free(p.subject);
	km_genkey_clear(&gk);
	return r;
}

/* The aws-kms-pkcs11 config to write to: --aws-config, else its search path. */
static int config_path(const struct cert_args *a, char **cfg, struct km_err *e)
{
	if (!a->aws_config)
		return km_awscfg_find(cfg, e);
	*cfg = strdup(a->aws_config);
	return *cfg ? 0 : km_err_set(e, -ENOMEM, "out of memory");
}

/* Checked before self-signing, so that a bad config costs no KMS call and changes nothing. */
static int check_config(const struct cert_args *a, struct km_signer *s, struct km_err *e)
{
	struct km_token *t = km_signer_token(s);
	_cleanup_free_ char *cfg = NULL;
	struct km_awscfg c;
	int r;

	if (!t)
		return km_err_set(e, -EINVAL, "--store config needs a pkcs11: key");
	r = config_path(a, &cfg, e);
	if (r == 0)
		r = km_awscfg_load(cfg, &c, e);
	if (r < 0)
		return r;
	if (!km_awscfg_find_slot(&c, km_token_label(t)))
		r = km_err_set(e, -ENOENT, "%s: no slot labelled '%s'", cfg, km_token_label(t));
	km_awscfg_free(&c);
	return r;
}

static int store_config(const struct cert_args *a, struct km_signer *s, X509 *cert,
			struct km_err *e)
{
	struct km_token *t = km_signer_token(s);
	_cleanup_free_ char *cfg = NULL, *dir = NULL, *pem = NULL;
	int r = config_path(a, &cfg, e);

	if (r < 0)
		return r;
	dir = strdup(cfg);
	if (!dir || asprintf(&pem, "%s/%s.crt.pem", dirname(dir), km_token_label(t)) < 0)
		return km_err_set(e, -ENOMEM, "out of memory");
	r = km_cert_write(pem, cert, true, 0644, e);
	if (r == 0)
		r = km_awscfg_set_certificate_path(cfg, km_token_label(t), pem, e);
	if (r == 0 && !a->quiet)
		fprintf(stderr, "kmsign: stored the certificate in %s (certificate_path in %s)\n",
			pem, cfg);
	return r;
}

static int store(const struct cert_args *a, struct km_signer *s, X509 *cert, struct km_err *e)
{
	int r;

	switch (a->store) {
	case STORE_TOKEN:
		if (!km_signer_token(s))
			return km_err_set(e, -EINVAL, "--store token needs a pkcs11: key");
		r = km_token_store_cert(km_signer_token(s), cert, e);
		if (r == 0 && !a->quiet)
			fprintf(stderr, "kmsign: stored the certificate in token '%s'\n",
				km_token_label(km_signer_token(s)));
		return r;
	case STORE_CONFIG:
		return store_config(a, s, cert, e);
	default:
		return 0;
	}
}

static int output(const struct cert_args *a, X509 *cert, struct km_err *e)
{
	int ok;

	if (a->out)
		return km_cert_write(a->out, cert, !a->der, km_file_mode(a->out, 0644), e);
	if (a->der && isatty(STDOUT_FILENO))
		return km_err_set(e, -EINVAL, "not writing DER to a terminal: use -o FILE");
	ok = a->der ? i2d_X509_fp(stdout, cert) : PEM_write_X509(stdout, cert);
	return ok && fflush(stdout) == 0 ? 0 : km_err_ssl(e, -EIO, "cannot write the certificate");
}

static int obtain(const struct cert_args *a, struct km_signer *s, X509 **cert, struct km_err *e)
{
	int r = -ENOENT;
	char who[256];

	if (a->source != SRC_SELF_SIGN) {
		r = fetch(s, cert, e);
		if (r == 0 || r != -ENOENT || a->source == SRC_TOKEN)
			return r;
	}
	if (a->store == STORE_CONFIG && (r = check_config(a, s, e)) < 0)
		return r;
	r = self_sign(a, s, cert, e);
	if (r < 0)
		return r;
	km_cert_signer(*cert, who, sizeof(who));
	if (!a->quiet)
		fprintf(stderr, "kmsign: self-signed \"%s\" through %s\n", who,
			km_signer_token(s) ? "the token" : "the key file");
	return store(a, s, *cert, e);
}

static int cmd_cert(int argc, char *argv[])
{
	struct km_signer *s = NULL;
	struct km_err e = { 0 };
	struct cert_args a;
	X509 *cert = NULL;
	int r;

	if (parse_args(argc, argv, &a) < 0)
		return KM_EXIT_USAGE;
	km_warn_pin_in_uri(a.key);
	r = km_signer_open(a.key, a.store == STORE_TOKEN ? KM_TOKEN_RW : 0, &s, &e);
	if (r == 0)
		r = obtain(&a, s, &cert, &e);
	if (r == 0)
		r = output(&a, cert, &e);
	if (r < 0)
		km_log_err(&e);
	X509_free(cert);
	km_signer_free(s);
	return r < 0 ? KM_EXIT_FAILURE : EXIT_SUCCESS;
}

const struct kmsign_cmd kmsign_cmd_cert = {
	.name = "cert",
	.fn = cmd_cert,
	.help = "fetch the key's certificate from the token, or self-sign one through it",
};
