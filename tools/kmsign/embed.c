/* kmsign embed: put the certificate into a kernel, and list the certificates a kernel image holds.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

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
					 { "help", no_argument, NULL, 'h' },
					 { 0 } };

static void help(void)
{
	printf("Usage: kmsign embed --der CERT -o certs/signing_key.x509\n"
	       "       kmsign embed --insert CERT --vmlinux vmlinux [--system-map System.map]\n"
	       "       kmsign embed --list IMAGE [--json] [--extract DIR]\n\n"
	       "  --der CERT      convert CERT (PEM or DER) to the DER file that\n"
	       "                  certs/system_certificates.S includes\n"
	       "  --insert CERT   fill the CONFIG_SYSTEM_EXTRA_CERTIFICATE area of a built "
	       "vmlinux,\n"
	       "                  as scripts/insert-sys-cert does (idempotent)\n"
	       "  --list IMAGE    list the certificates in a vmlinux, bzImage or vmlinuz\n"
	       "  --extract DIR   with --list: write them to DIR/cert-N.der\n"
	       "See kmsign-embed(1).\n");
}

static int set_mode(struct embed_args *a, enum mode m)
{
	if (a->mode != MODE_NONE && a->mode != m) {
		ERR("choose one of --der, --insert and --list");
		return -1;
	}
	a->mode = m;
	return 0;
}

static int parse_args(int argc, char *argv[], struct embed_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		switch (c) {
		case 'D':
			a->cert = optarg;
			if (set_mode(a, MODE_DER) < 0)
				return -1;
			break;
		case 'I':
			a->cert = optarg;
			if (set_mode(a, MODE_INSERT) < 0)
				return -1;
			break;
		case 'L':
			a->image = optarg;
			if (set_mode(a, MODE_LIST) < 0)
				return -1;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'V':
			a->vmlinux = optarg;
			break;
		case 'M':
			a->system_map = optarg;
			break;
		case 'X':
			a->extract = optarg;
			break;
		case 'J':
			a->json = true;
			break;
		case 'h':
			help();
			exit(EXIT_SUCCESS);
		default:
			return -1;
		}
	}
	if (optind != argc || a->mode == MODE_NONE || (a->mode == MODE_DER && !a->out) ||
	    (a->mode == MODE_INSERT && !a->vmlinux)) {
		ERR("embed needs --der CERT -o FILE, --insert CERT --vmlinux FILE, or --list IMAGE "
		    "(see --help)");
		return -1;
	}
	return 0;
}

static int do_der(const struct embed_args *a, struct km_err *e)
{
	X509 *x;
	int r = km_cert_load(a->cert, &x, e);

	if (r == 0)
		r = km_cert_write(a->out, x, false, 0644, e);
	X509_free(x);
	return r;
}

static int do_insert(const struct embed_args *a, struct km_err *e)
{
	bool changed;
	X509 *x;
	int r = km_cert_load(a->cert, &x, e);

	if (r == 0)
		r = km_kimage_insert_cert(a->vmlinux, x, a->system_map, &changed, e);
	if (r == 0)
		printf("%s: %s\n", a->vmlinux,
		       changed ? "certificate inserted" : "certificate already present, unchanged");
	X509_free(x);
	return r;
}

static json_object *cert_json(X509 *x)
{
	json_object *o = json_object_new_object();
	char signer[256], keyid[130], sha[72];

	km_cert_signer(x, signer, sizeof(signer));
	km_cert_keyid(x, keyid, sizeof(keyid));
	km_cert_sha256(x, sha, sizeof(sha));
	json_object_object_add(o, "subject", json_object_new_string(signer));
	json_object_object_add(o, "key_id", json_object_new_string(keyid));
	json_object_object_add(o, "sha256", json_object_new_string(sha));
	return o;
}

static void print_certs(STACK_OF(X509) * sk, bool as_json)
{
	json_object *arr = as_json ? json_object_new_array() : NULL;
	int i;

	for (i = 0; i < sk_X509_num(sk); i++) {
		json_object *o = cert_json(sk_X509_value(sk, i));

		if (arr) {
			json_object_array_add(arr, o);
			continue;
		}
		printf("%s\n  key id  %s\n  sha256  %s\n",
		       json_object_get_string(json_object_object_get(o, "subject")),
		       json_object_get_string(json_object_object_get(o, "key_id")),
		       json_object_get_string(json_object_object_get(o, "sha256")));
		json_object_put(o);
	}
	if (arr) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
		json_object_put(arr);
	}
}

static int extract(STACK_OF(X509) * sk, const char *dir, struct km_err *e)
{
	int i, r = 0;

	for (i = 0; r == 0 && i < sk_X509_num(sk); i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/cert-%d.der", dir, i + 1);
		r = km_cert_write(path, sk_X509_value(sk, i), false, 0644, e);
	}
	return r;
}

static int do_list(const struct embed_args *a, struct km_err *e)
{
	STACK_OF(X509) * sk;
	int r = km_kimage_load_certs(a->image, &sk, e);

	if (r < 0)
		return r;
	print_certs(sk, a->json);
	if (a->extract)
		r = extract(sk, a->extract, e);
	if (r == 0 && sk_X509_num(sk) == 0)
		r = km_err_set(e, -ENOENT, "%s: no certificates found", a->image);
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
	r = a.mode == MODE_DER	    ? do_der(&a, &e)
	    : a.mode == MODE_INSERT ? do_insert(&a, &e)
				    : do_list(&a, &e);
	if (r < 0)
		km_log_err(&e);
	return r < 0 ? KM_EXIT_FAILURE : EXIT_SUCCESS;
}

const struct kmsign_cmd kmsign_cmd_embed = {
	.name = "embed",
	.fn = cmd_embed,
	.help = "embed the certificate into a kernel, or list a kernel's certificates",
};
