/* kmsign: entry point and command table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "kmsign.h"

static const struct kmsign_cmd *const commands[] = {
	&kmsign_cmd_sign, &kmsign_cmd_sign_file, &kmsign_cmd_verify, &kmsign_cmd_genkey,
	&kmsign_cmd_cert, &kmsign_cmd_embed,	 &kmsign_cmd_doctor,
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: kmsign [--version] [--help] COMMAND [ARGS]\n\n"
		"Sign Linux kernel modules with a key kept in a PKCS#11 token or a cloud KMS.\n\n"
		"Commands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->help);
	fprintf(out,
		"\nRun 'kmsign COMMAND --help' for the options of a command; see kmsign(1).\n");
}

static const struct kmsign_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int main(int argc, char *argv[])
{
	const struct kmsign_cmd *cmd;
	const char *kv = getenv("KBUILD_VERBOSE");

	if (kv && (streq(kv, "1") || streq(kv, "2")))
		km_log_set_level(KM_LOG_INF);

	/* Installed as sign-file, kmsign is the kernel's scripts/sign-file. */
	if (streq(base_name(argv[0]), "sign-file"))
		return kmsign_cmd_sign_file.fn(argc, argv);

	if (argc < 2) {
		usage(stderr);
		return KM_EXIT_USAGE;
	}
	if (streq(argv[1], "--help") || streq(argv[1], "-h") || streq(argv[1], "help")) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (streq(argv[1], "--version") || streq(argv[1], "-V")) {
		printf("kmsign %s\n", KMSIGN_VERSION);
		return EXIT_SUCCESS;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		ERR("unknown command '%s' (see 'kmsign --help')", argv[1]);
		return KM_EXIT_USAGE;
	}
	return cmd->fn(argc - 1, argv + 1);
}
