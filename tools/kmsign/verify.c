/* kmsign verify: check modules' signatures against certificates or a kernel image's keys. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cert.h"
#include "kimage.h"
#include "kmsign.h"
#include "modlist.h"
#include "modverify.h"

static const struct option options[] = { { "cert", required_argument, NULL, 'c' },
					 { "kernel", required_argument, NULL, 'K' },
					 { "json", no_argument, NULL, 'J' },
					 { "quiet", no_argument, NULL, 'q' },
					 { "verbose", no_argument, NULL, 'v' },
					 { "help", no_argument, NULL, 'h' },
					 { 0 } };

static void help(void)
{
	printf("Usage: kmsign verify (-c CERT... | --kernel IMAGE) [--json] [-q] PATH...\n"
	       "Check each module's appended signature (.ko, .ko.gz, .ko.xz, .ko.zst; directories\n"
	       "are searched recursively) as the kernel would.\n\n"
	       "  -c, --cert CERT      a trusted certificate (PEM or DER; repeatable)\n"
	       "      --kernel IMAGE   trust the certificates built into a vmlinux or bzImage\n"
	       "      --json           one JSON array on stdout\n"
	       "  -q, --quiet          print failures only\n\n"
	       "Verdicts: OK, unsigned, bad signature, unknown key, malformed, unreadable.\n"
	       "Exits 1 if any module is not OK. See kmsign-verify(1).\n");
}

struct verify_args {
	STACK_OF(X509) * certs;
	bool json, quiet;
};

static int add_certs(STACK_OF(X509) * dst, STACK_OF(X509) * src)
{
	while (sk_X509_num(src) > 0)
		if (!sk_X509_push(dst, sk_X509_shift(src)))
			return -1;
	sk_X509_free(src);
	return 0;
}

static int load_trust(struct verify_args *a, const char *path, bool kernel)
{
	STACK_OF(X509) *more = NULL;
	struct km_err e = { 0 };
	int r = kernel ? km_kimage_load_certs(path, &more, &e) : km_cert_load_all(path, &more, &e);

	if (r < 0) {
		km_log_err(&e);
		return -1;
	}
	if (kernel && sk_X509_num(more) == 0) {
		ERR("%s: no certificates found in the kernel image", path);
		sk_X509_free(more);
		return -1;
	}
	return add_certs(a->certs, more);
}

static int parse_args(int argc, char *argv[], struct verify_args *a)
{
	int c;

	while ((c = getopt_long(argc, argv, "c:qvh", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (load_trust(a, optarg, false) < 0)
				return KM_EXIT_FAILURE;
			break;
		case 'K':
			if (load_trust(a, optarg, true) < 0)
				return KM_EXIT_FAILURE;
			break;
		case 'J':
			a->json = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'v':
			km_log_set_level(KM_LOG_DBG);
			break;
		case 'h':
			help();
			exit(EXIT_SUCCESS);
		default:
			return KM_EXIT_USAGE;
		}
	}
	if (sk_X509_num(a->certs) == 0 || optind >= argc) {
		ERR("verify needs -c CERT or --kernel IMAGE, and modules (see --help)");
		return KM_EXIT_USAGE;
	}
	return 0;
}

/* The reason without a leading verdict name, which the line already shows. */
static const char *reason_text(const struct km_verify_result *r)
{
	const char *name = km_verdict_name(r->verdict);
	size_t n = strlen(name);

	if (strncmp(r->reason, name, n) == 0 && r->reason[n] == ':' && r->reason[n + 1] == ' ')
		return r->reason + n + 2;
	return r->reason;
}

static void print_text(const char *path, const struct km_verify_result *r, bool quiet)
{
	if (r->verdict == KM_VERDICT_OK) {
		if (!quiet)
			printf("%s: OK (signer \"%s\", key %s, %s)\n", path, r->signer, r->key_id,
			       r->hash);
		return;
	}
	printf("%s: %s", path, km_verdict_name(r->verdict));
	if (r->verdict == KM_VERDICT_BAD_SIGNATURE || r->verdict == KM_VERDICT_UNKNOWN_KEY)
		printf(" (key %s, %s)", r->key_id[0] ? r->key_id : "?", r->hash);
	if (r->reason[0] && r->verdict != KM_VERDICT_UNSIGNED)
		printf(": %s", reason_text(r));
	putchar('\n');
}

static json_object *to_json(const char *path, const struct km_verify_result *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "verdict", json_object_new_string(km_verdict_name(r->verdict)));
	json_object_object_add(o, "ok", json_object_new_boolean(r->verdict == KM_VERDICT_OK));
	json_object_object_add(o, "signer", json_object_new_string(r->signer));
	json_object_object_add(o, "key_id", json_object_new_string(r->key_id));
	json_object_object_add(o, "hash", json_object_new_string(r->hash));
	json_object_object_add(o, "reason", json_object_new_string(r->reason));
	return o;
}

static int verify_all(const struct verify_args *a, const struct km_modlist *mods)
{
	json_object *arr = a->json ? json_object_new_array() : NULL;
	size_t i, bad = 0;

	for (i = 0; i < mods->count; i++) {
		struct km_verify_result r;

		if (km_verify_module(mods->paths[i], a->certs, &r) < 0)
			bad++;
		if (arr)
			json_object_array_add(arr, to_json(mods->paths[i], &r));
		else
			print_text(mods->paths[i], &r, a->quiet);
	}
	if (arr) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	} else if (!a->quiet || bad) {
		fprintf(stderr, "kmsign: verified %zu modules: %zu OK, %zu failed\n", mods->count,
			mods->count - bad, bad);
	}
	return bad ? KM_EXIT_FAILURE : EXIT_SUCCESS;
}

static int cmd_verify(int argc, char *argv[])
{
	struct verify_args a = { .certs = sk_X509_new_null() };
	struct km_modlist mods = { 0 };
	struct km_err e = { 0 };
	int rc, i;

	rc = parse_args(argc, argv, &a);
	for (i = optind; rc == 0 && i < argc; i++)
		if (km_modlist_add(&mods, argv[i], KM_LIST_COMPRESSED, &e) < 0) {
			km_log_err(&e);
			rc = KM_EXIT_FAILURE;
		}
	if (rc == 0 && mods.count == 0) {
		ERR("no modules found");
		rc = KM_EXIT_FAILURE;
	}
	if (rc == 0)
		rc = verify_all(&a, &mods);
	km_modlist_free(&mods);
	sk_X509_pop_free(a.certs, X509_free);
	return rc;
}

const struct kmsign_cmd kmsign_cmd_verify = {
	.name = "verify",
	.fn = cmd_verify,
	.help = "check module signatures against certificates or a kernel image",
};
