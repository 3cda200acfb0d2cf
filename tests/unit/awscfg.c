/* Unit tests for the aws-kms-pkcs11 config: search path, parsing and the certificate_path rewrite.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "awscfg.h"
#include "fileio.h"

static char dir[] = "/tmp/kmsign-awscfg.XXXXXX";

static char *path_of(const char *rel)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		abort();
	return p;
}

static void mkdir_rel(const char *rel)
{
	_cleanup_free_ char *p = path_of(rel);

	mkdir(p, 0755);
}

static void put(const char *rel, const char *text, mode_t mode)
{
	_cleanup_free_ char *p = path_of(rel);
	FILE *f;

	f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
	chmod(p, mode);
}

static char *get(const char *rel)
{
	_cleanup_free_ char *p = path_of(rel);
	struct km_err e = { 0 };
	uint8_t *buf;
	size_t len;

	if (km_read_file(p, &buf, &len, 1 << 20, &e) < 0)
		return NULL;
	buf = realloc(buf, len + 1);
	buf[len] = '\0';
	return (char *)buf;
}

static void test_find(void)
{
	_cleanup_free_ char *xdg = path_of("xdg"), *home = path_of("home"), *found = NULL;
	struct km_err e = { 0 };
	int r;

	mkdir(xdg, 0755);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	setenv("HOME", home, 1);
	r = km_awscfg_find(&found, &e);
	/* /etc/aws-kms-pkcs11 may exist on a developer's machine; the test never writes there. */
	if (access("/etc/aws-kms-pkcs11/config.json", F_OK) < 0)
		CHECK(r == -ENOENT && strstr(e.msg, "no aws-kms-pkcs11 config"), "none: %d %s", r,
		      e.msg);
	free(found);
	found = NULL;

	mkdir(home, 0755);
	mkdir_rel("home/.config");
	mkdir_rel("home/.config/aws-kms-pkcs11");
	put("home/.config/aws-kms-pkcs11/config.json", "{\"slots\":[]}", 0644);
	unsetenv("XDG_CONFIG_HOME");
	r = km_awscfg_find(&found, &e);
	CHECK(r == 0 && found && strstr(found, "home/.config/aws-kms-pkcs11/config.json"),
	      "HOME: %d %s", r, found ? found : e.msg);
	free(found);
	found = NULL;

	/* A set XDG_CONFIG_HOME hides $HOME/.config, and a broken config there is reported. */
	setenv("XDG_CONFIG_HOME", xdg, 1);
	mkdir_rel("xdg/aws-kms-pkcs11");
	put("xdg/aws-kms-pkcs11/config.json", "{\n  \"slots\": [ x ]\n}\n", 0644);
	r = km_awscfg_find(&found, &e);
	if (access("/etc/aws-kms-pkcs11/config.json", F_OK) < 0)
		CHECK(r == -EINVAL &&
			      strstr(e.msg, "xdg/aws-kms-pkcs11/config.json: invalid JSON: ") &&
			      strstr(e.msg, "at line 2 (offset"),
		      "broken: %d %s", r, e.msg);
	free(found);
	found = NULL;

	put("xdg/aws-kms-pkcs11/config.json", "{\"slots\":[]}", 0644);
	r = km_awscfg_find(&found, &e);
	CHECK(r == 0 && found && strstr(found, "xdg/aws-kms-pkcs11/config.json"), "XDG: %s",
	      found ? found : e.msg);
}

static const char config[] =
	"{\n"
	"  \"aws_region\": \"eu-west-1\",\n"
	"  \"x_unknown\": { \"keep\": [1, 2.50, \"a/b\"] },\n"
	"  \"slots\": [\n"
	"    { \"label\": \"kernel\", \"kms_key_id\": \"k1\", \"sim_key_file\": \"key.pem\",\n"
	"      \"certificate_path\": \"/abs/c.pem\", \"x_extra\": true, \"aws_region\": 5 },\n"
	"    \"not an object\",\n"
	"    { \"kms_key_id\": \"0123456789abcdef0123456789abcdef-4567\", \"certificate\": "
	"\"MIIB\" },\n"
	"    { \"label\": \"\", \"kms_key_id\": \"k3\", \"certificate_arn\": \"arn:c\", "
	"\"ca_arn\": \"arn:ca\" }\n"
	"  ]\n"
	"}\n";

static void test_load(void)
{
	_cleanup_free_ char *p = path_of("c.json"), *key = path_of("key.pem");
	struct km_err e = { 0 };
	struct km_awscfg cfg;
	const struct km_awscfg_slot *s;
	int r;

	put("c.json", config, 0644);
	r = km_awscfg_load(p, &cfg, &e);
	CHECK(r == 0, "load: %s", e.msg);
	if (r)
		return;
	CHECK(cfg.n_slots == 3, "3 slots, got %zu", cfg.n_slots);
	CHECK(streq(cfg.aws_region, "eu-west-1"), "region");
	s = &cfg.slots[0];
	CHECK(streq(s->label, "kernel") && streq(s->kms_key_id, "k1"), "slot 0");
	CHECK(streq(s->sim_key_file, key), "relative path resolved: %s", s->sim_key_file);
	CHECK(streq(s->certificate_path, "/abs/c.pem"), "absolute path kept");
	CHECK(s->aws_region == NULL, "a number is not a region");
	CHECK(streq(cfg.slots[1].certificate, "MIIB") && !cfg.slots[1].label, "slot 1");
	CHECK(streq(km_awscfg_slot_name(&cfg.slots[2]), "k3"), "an empty label gives the key id");
	CHECK(streq(cfg.slots[2].certificate_arn, "arn:c") && streq(cfg.slots[2].ca_arn, "arn:ca"),
	      "arns");
	CHECK(km_awscfg_find_slot(&cfg, "kernel") == &cfg.slots[0], "by label");
	CHECK(km_awscfg_find_slot(&cfg, "k3") == &cfg.slots[2], "by key id");
	CHECK(km_awscfg_find_slot(&cfg, "0123456789abcdef0123456789abcdef") == &cfg.slots[1],
	      "by a 32-byte token label");
	CHECK(km_awscfg_find_slot(&cfg, "k1") == NULL, "a key id does not name a labelled slot");
	CHECK(km_awscfg_find_slot(&cfg, "kern") == NULL, "no prefix match below 32 bytes");
	km_awscfg_free(&cfg);

	put("bad.json", "[1, 2]", 0644);
	_cleanup_free_ char *bad = path_of("bad.json");
	r = km_awscfg_load(bad, &cfg, &e);
	CHECK(r == -EINVAL && strstr(e.msg, "not a JSON object"), "array: %s", e.msg);
	put("bad.json", "{\"slots\": {}}", 0644);
	r = km_awscfg_load(bad, &cfg, &e);
	CHECK(r == -EINVAL && strstr(e.msg, "\"slots\" is not an array"), "slots: %s", e.msg);
	put("bad.json", "{\"slots\": [", 0644);
	r = km_awscfg_load(bad, &cfg, &e);
	CHECK(r == -EINVAL && strstr(e.msg, "unexpected end of file"), "truncated: %s", e.msg);
}

static const char rewritten[] = "{\n"
				"  \"aws_region\": \"eu-west-1\",\n"
				"  \"x_unknown\": {\n"
				"    \"keep\": [\n"
				"      1,\n"
				"      2.50,\n"
				"      \"a/b\"\n"
				"    ]\n"
				"  },\n"
				"  \"slots\": [\n"
				"    {\n"
				"      \"label\": \"kernel\",\n"
				"      \"kms_key_id\": \"k1\",\n"
				"      \"sim_key_file\": \"key.pem\",\n"
				"      \"certificate_path\": \"/new/cert.pem\",\n"
				"      \"x_extra\": true,\n"
				"      \"aws_region\": 5\n"
				"    },\n"
				"    \"not an object\",\n"
				"    {\n"
				"      \"kms_key_id\": \"0123456789abcdef0123456789abcdef-4567\",\n"
				"      \"certificate\": \"MIIB\"\n"
				"    },\n"
				"    {\n"
				"      \"label\": \"\",\n"
				"      \"kms_key_id\": \"k3\",\n"
				"      \"certificate_arn\": \"arn:c\",\n"
				"      \"ca_arn\": \"arn:ca\"\n"
				"    }\n"
				"  ]\n"
				"}\n";

static void test_set_path(void)
{
	_cleanup_free_ char *p = path_of("c.json"), *cwd = getcwd(NULL, 0);
	char *text;
	struct km_err e = { 0 };
	struct stat st;
	int r;

	put("c.json", config, 0640);
	r = km_awscfg_set_certificate_path(p, "kernel", "/new/cert.pem", &e);
	CHECK(r == 0, "set: %s", e.msg);
	text = get("c.json");
	CHECK(text && streq(text, rewritten), "rewritten config:\n%s", text ? text : "(none)");
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0640, "mode kept: %o", st.st_mode);
	free(text);

	r = km_awscfg_set_certificate_path(p, "0123456789abcdef0123456789abcdef", "/x.pem", &e);
	CHECK(r == -EEXIST && strstr(e.msg, "inline \"certificate\""), "inline: %d %s", r, e.msg);
	text = get("c.json");
	CHECK(text && streq(text, rewritten), "unchanged after a refusal");
	free(text);
	r = km_awscfg_set_certificate_path_ex(p, "0123456789abcdef0123456789abcdef", "/x.pem",
					      KM_AWSCFG_REPLACE_INLINE, &e);
	text = get("c.json");
	CHECK(r == 0 && text && !strstr(text, "MIIB") &&
		      strstr(text, "\"certificate_path\": \"/x.pem\""),
	      "replace inline: %s", e.msg);
	free(text);

	r = km_awscfg_set_certificate_path(p, "nope", "/x.pem", &e);
	CHECK(r == -ENOENT && strstr(e.msg, "no slot labelled 'nope'"), "no slot: %s", e.msg);

	CHECK(chdir(dir) == 0, "chdir");
	r = km_awscfg_set_certificate_path(p, "k3", "rel.pem", &e);
	CHECK(chdir(cwd) == 0, "chdir back");
	text = get("c.json");
	_cleanup_free_ char *want = NULL;
	CHECK(asprintf(&want, "\"certificate_path\": \"%s/rel.pem\"", dir) > 0, "asprintf");
	CHECK(r == 0 && text && strstr(text, want), "relative made absolute: %s", e.msg);
	free(text);

	put("c.json", "{\"slots\": [{\"label\": \"kernel\"}]", 0644);
	r = km_awscfg_set_certificate_path(p, "kernel", "/x.pem", &e);
	text = get("c.json");
	CHECK(r == -EINVAL && strstr(e.msg, "invalid JSON"), "broken: %s", e.msg);
	CHECK(text && streq(text, "{\"slots\": [{\"label\": \"kernel\"}]"),
	      "broken left unchanged");
	free(text);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_find();
	test_load();
	test_set_path();
	if (!failures) {
		_cleanup_free_ char *cmd = NULL;

		if (asprintf(&cmd, "rm -rf '%s'", dir) > 0 && system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return failures ? 1 : 0;
}
