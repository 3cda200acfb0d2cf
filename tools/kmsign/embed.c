/* kmsign embed: put the certificate into a kernel, and list the certificates a kernel image holds.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <openssl/bn.h>

#include "cert.h"
#include "kimage.h"
#include "kmsign.h"

enum mode { MODE_NONE, MODE_DER, MODE_INSERT, MODE_LIST };

struct embed_args {
	enum mode mode;
	const char *cert, *out, *vmlinux, *system_map, *image, *extract;
	bool json;
};

static const struct option options[] = { { "der", required_argument, NULL, 'D' },
					 { "output", required_argument, NULL, 'o' },
					 { "insert", required_argument, NULL, 'I' },
					 { "vmlinux", required_argument, NULL, 'V' },
					 { "system-map", required_argument, NULL, 'M' },
					 { "list", required_argument, NULL, 'L' },
					 { "extract", required_argument, NULL, 'X' },
					 { "json", no_argument, NULL, 'J' },
					 { "verbose", no_argument, NULL, 'v' },
					 { "quiet", no_argument, NULL, 'q' },
					 { "help", no_argument, NULL, 'h' },
					 { 0 } };

static void help(void)
{
	printf("Usage: kmsign embed --der CERT -o certs/signing_key.x509\n"
	       "       kmsign embed --insert CERT --vmlinux VMLINUX [--system-map System.map]\n"
	       "       kmsign embed --list IMAGE [--system-map System.map] [--json] [--extract "
	       "DIR]\n"
	       "\n"
	       "  --der CERT         write CERT (PEM or DER) as the DER file that\n"
	       "                     certs/system_certificates.S includes (-o, mode 0644)\n"
	       "  --insert CERT      fill the CONFIG_SYSTEM_EXTRA_CERTIFICATE area of a built\n"
	       "                     vmlinux, as scripts/insert-sys-cert does (idempotent)\n"
	       "  --vmlinux FILE     the vmlinux to change in place (atomically)\n"
	       "  --system-map FILE  symbols for a stripped vmlinux or a vmlinuz\n"
	       "  --list IMAGE       the certificates in a vmlinux, bzImage or vmlinuz: one line\n"
	       "                     each, subject CN, key id (subjectKeyIdentifier), SHA-256\n"
	       "  --json             with --list: a JSON array instead\n"
	       "  --extract DIR      with --list: also write them to DIR/cert-N.der\n"
	       "  -v, --verbose      say how the image was read; -q, --quiet: errors only\n"
	       "See kmsign-embed(1).\n");
}

static int set_mode(struct embed_args *a, enum mode m, const char *arg)
{
	if (a->mode != MODE_NONE) {
		ERR("choose one of --der, --insert and --list");
		return -1;
	}
	a->mode = m;
	if (m == MODE_LIST)
		a->image = arg;
	else
		a->cert = arg;
	return 0;
}

static int parse_opt(int c, struct embed_args *a)
{
	switch (c) {
	case 'D':
		return set_mode(a, MODE_DER, optarg);
	case 'I':
		return set_mode(a, MODE_INSERT, optarg);
	case 'L':
		return set_mode(a, MODE_LIST, optarg);
	case 'o':
		a->out = optarg;
		return 0;
	case 'V':
		a->vmlinux = optarg;
		return 0;
	case 'M':
		a->system_map = optarg;
		return 0;
	case 'X':
		a->extract = optarg;
		return 0;
	case 'J':
		a->json = true;
		return 0;
	case 'v':
		km_log_set_level(KM_LOG_DBG);
		return 0;
	case 'q':
		km_log_set_level(KM_LOG_ERR);
		return 0;
	case 'h':
		help();
		exit(EXIT_SUCCESS);
	default:
		return -1;
	}
}

static const char *check_args(const struct embed_args *a, int extra)
{
	if (extra)
		return "unexpected argument";
	if (a->mode == MODE_NONE)
		return "embed needs --der, --insert or --list (see --help)";
	if (a->mode == MODE_DER && !a->out)
		return "--der needs -o FILE";
	if (a->mode == MODE_INSERT && !a->vmlinux)
		return "--insert needs --vmlinux FILE";
	if (a->mode != MODE_LIST && (a->json || a->extract))
		return "--json and --extract go with --list";
	if (a->mode == MODE_DER && a->system_map)
		return "--system-map goes with --insert or --list";
	if (a->mode != MODE_DER && a->out)
		return "-o goes with --der";
	return NULL;
}

static int parse_args(int argc, char *argv[], struct embed_args *a)
{
	const char *why;
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "o:vqh", options, NULL)) != -1)
		if (parse_opt(c, a) < 0)
			return -1;
	why = check_args(a, argc - optind);
	if (why) {
		ERR("%s", why);
		return -1;
	}
	return 0;
}

static int do_der(const struct embed_args *a, struct km_err *e)
{
	X509 *x = NULL;
	int r = km_cert_load(a->cert, &x, e);

	if (r == 0)
		r = km_cert_write(a->out, x, false, 0644, e);
	X509_free(x);
	return r;
}

static int do_insert(const struct embed_args *a, struct km_err *e)
{
	static const char *const said[] = {
		[KM_INSERT_NEW] = "certificate inserted",
		[KM_INSERT_SAME] = "certificate already present, unchanged",
		[KM_INSERT_REPLACED] = "certificate inserted, replacing the one there before",
	};
	X509 *x = NULL;
	int r = km_cert_load(a->cert, &x, e);

	if (r == 0)
		r = km_kimage_insert_cert(a->vmlinux, x, a->system_map, e);
	if (r >= 0 && km_log_get_level() > KM_LOG_ERR)
		printf("%s: %s\n", a->vmlinux, said[r]);
	X509_free(x);
	return r;
}

/* A subject from an untrusted image must not break the one-line-per-certificate output. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* The serial in lowercase hex: what modinfo prints as sig_key for a module signed by issuer and
 * serial. */
static json_object *serial_json(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL, *p;
	json_object *o;

	for (p = hex; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	o = json_object_new_string(hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
	return o;
}

static json_object *cert_json(X509 *x)
{
	json_object *o = json_object_new_object();
	char cn[256], dn[512], keyid[130], sha[72];

	km_cert_signer(x, cn, sizeof(cn));
	X509_NAME_oneline(X509_get_subject_name(x), dn, sizeof(dn));
	km_cert_keyid(x, keyid, sizeof(keyid));
	km_cert_sha256(x, sha, sizeof(sha));
	json_object_object_add(o, "subject", json_object_new_string(cn));
	json_object_object_add(o, "dn", json_object_new_string(dn));
	json_object_object_add(o, "key_id", json_object_new_string(keyid));
	json_object_object_add(o, "sha256", json_object_new_string(sha));
	json_object_object_add(o, "serial", serial_json(x));
	return o;
}

static void print_line(X509 *x)
{
	char cn[256], keyid[130], sha[72];

	km_cert_signer(x, cn, sizeof(cn));
	printable(cn);
	km_cert_keyid(x, keyid, sizeof(keyid));
	km_cert_sha256(x, sha, sizeof(sha));
	printf("%s  key id %s  sha256 %s\n", cn, keyid[0] ? keyid : "-", sha);
}

static void print_certs(STACK_OF(X509) * sk, bool as_json)
{
	json_object *arr;
	int i;

	if (!as_json) {
		for (i = 0; i < sk_X509_num(sk); i++)
			print_line(sk_X509_value(sk, i));
		return;
	}
	arr = json_object_new_array();
	for (i = 0; i < sk_X509_num(sk); i++)
		json_object_array_add(arr, cert_json(sk_X509_value(sk, i)));
	puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
}

static int extract(STACK_OF(X509) * sk, const char *dir, struct km_err *e)
{
	int i, r = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return km_err_set(e, -errno, "%s: %s", dir, strerror(errno));
	for (i = 0; r == 0 && i < sk_X509_num(sk); i++) {
		char path[4096];

		if (snprintf(path, sizeof(path), "%s/cert-%d.der", dir, i + 1) >= (int)sizeof(path))
			return km_err_set(e, -ENAMETOOLONG, "%s: path too long", dir);
		r = km_cert_write(path, sk_X509_value(sk, i), false, 0644, e);
	}
	return r;
}

static int load_certs(const struct embed_args *a, STACK_OF(X509) * *sk, struct km_err *e)
{
	_cleanup_kimage_ struct km_kimage *img = NULL;
	int r = km_kimage_load(a->image, &img, e);

	if (r == 0 && a->system_map)
		r = km_kimage_use_system_map(img, a->system_map, e);
	if (r == 0 && (r = km_kimage_certs(img, sk, e)) < 0)
		km_err_prefix(e, "%s", a->image);
	if (r == 0)
		DBG("%s: %s, %s", a->image, km_kimage_describe(img),
		    km_kimage_has_symbols(img) ? "the list from its symbols"
					       : "no symbols: certificates found by scanning");
	return r;
}

static int do_list(const struct embed_args *a, struct km_err *e)
{
	STACK_OF(X509) *sk = NULL;
	int r = load_certs(a, &sk, e);

	if (r < 0)
		return r;
	if (sk_X509_num(sk) == 0)
		r = km_err_set(e, -ENOENT, "%s: no certificates found", a->image);
	if (r == 0)
		print_certs(sk, a->json);
	if (r == 0 && a->extract)
		r = extract(sk, a->extract, e);
	sk_X509_pop_free(sk, X509_free);
	return r;
}

static int cmd_embed(int argc, char *argv[])
{
	struct km_err e = { 0 };
	struct embed_args a;
	int r;

	if (parse_args(argc, argv, &a) < 0)
		return KM_EXIT_USAGE;
	if (a.mode == MODE_DER)
		r = do_der(&a, &e);
	else if (a.mode == MODE_INSERT)
		r = do_insert(&a, &e);
	else
		r = do_list(&a, &e);
	if (r < 0)
		km_log_err(&e);
	return r < 0 ? KM_EXIT_FAILURE : EXIT_SUCCESS;
}

const struct kmsign_cmd kmsign_cmd_embed = {
	.name = "embed",
	.fn = cmd_embed,
	.help = "embed the certificate into a kernel, or list a kernel's certificates",
};
