/* Unit tests for the RFC 7512 URI parser and PIN resolution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "uri.h"

static void test_full(void)
{
	struct km_err e = { 0 };
	struct km_uri u;
	int r = km_uri_parse("pkcs11:token=kernel%20signing;object=signer;id=%01%00%ff;"
			     "type=private;slot-id=7?module-path=/usr/lib/m.so&pin-value=12%3b4",
			     &u, &e);

	CHECK(r == 0, "parse failed: %s", e.msg);
	if (r)
		return;
	CHECK(streq(u.token, "kernel signing"), "token '%s'", u.token);
	CHECK(streq(u.object, "signer"), "object");
	CHECK(u.has_id && u.id_len == 3 && u.id[0] == 1 && u.id[1] == 0 && u.id[2] == 0xff, "id");
	CHECK(streq(u.type, "private"), "type");
	CHECK(u.has_slot_id && u.slot_id == 7, "slot-id");
	CHECK(streq(u.module_path, "/usr/lib/m.so"), "module-path");
	CHECK(streq(u.pin_value, "12;4"), "pin-value");
	km_uri_clear(&u);
	CHECK(u.pin_value == NULL && u.token == NULL, "clear");
}

static void expect_bad(const char *uri, const char *msg_part)
{
	struct km_err e = { 0 };
	struct km_uri u;
	int r = km_uri_parse(uri, &u, &e);

	CHECK(r < 0, "'%s' accepted", uri);
	CHECK(r == 0 || strstr(e.msg, msg_part), "'%s': message '%s' lacks '%s'", uri, e.msg,
	      msg_part);
	CHECK(r == 0 || !strchr(e.msg, '\n'), "multi-line message");
	if (r == 0)
		km_uri_clear(&u);
}

static void test_bad(void)
{
	expect_bad("file:/x.pem", "must start with 'pkcs11:'");
	expect_bad("pkcs11:token", "not name=value");
	expect_bad("pkcs11:token=a;token=b", "given twice");
	expect_bad("pkcs11:bogus=1", "unknown path attribute 'bogus'");
	expect_bad("pkcs11:token=a?module-pathx=1", "unknown query attribute");
	expect_bad("pkcs11:token=%4", "truncated");
	expect_bad("pkcs11:token=%zz", "invalid %-escape");
	expect_bad("pkcs11:token=a%00b", "NUL byte");
	expect_bad("pkcs11:slot-id=abc", "invalid slot-id");
	expect_bad("pkcs11:type=banana", "unknown type");
}

static void test_tolerated(void)
{
	struct km_err e = { 0 };
	struct km_uri u;

	CHECK(km_uri_parse("pkcs11:", &u, &e) == 0, "empty URI: %s", e.msg);
	km_uri_clear(&u);
	CHECK(km_uri_parse("PKCS11:x-vendor=1;library-version=2", &u, &e) == 0, "x-: %s", e.msg);
	km_uri_clear(&u);
}

static void test_pin(void)
{
	char path[] = "/tmp/kmsign-pin-XXXXXX", *pin = NULL, *uri = NULL;
	struct km_err e = { 0 };
	struct km_uri u;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, "s3cret\n", 7) == 7, "temp file");
	close(fd);
	CHECK(asprintf(&uri, "pkcs11:token=t?pin-source=file:%s", path) > 0, "asprintf");
	CHECK(km_uri_parse(uri, &u, &e) == 0, "parse");
	CHECK(km_uri_pin(&u, "KMSIGN_TEST_NO_SUCH_ENV", &pin, &e) == 0 && pin &&
		      streq(pin, "s3cret"),
	      "pin-source: %s", e.msg);
	km_pin_free(pin);
	km_uri_clear(&u);
	unlink(path);
	free(uri);

	setenv("KMSIGN_TEST_PIN", "from-env", 1);
	CHECK(km_uri_parse("pkcs11:token=t", &u, &e) == 0, "parse");
	CHECK(km_uri_pin(&u, "KMSIGN_TEST_PIN", &pin, &e) == 0 && pin && streq(pin, "from-env"),
	      "env pin");
	km_pin_free(pin);
	km_uri_clear(&u);

	CHECK(km_uri_parse("pkcs11:token=t?pin-source=/nonexistent/pin", &u, &e) == 0, "parse");
	CHECK(km_uri_pin(&u, NULL, &pin, &e) < 0 && strstr(e.msg, "pin-source"),
	      "missing pin file");
	km_uri_clear(&u);
}

static void test_redact(void)
{
	char *r = km_uri_redact("pkcs11:token=t?pin-value=1234&module-path=/m.so");

	CHECK(r && !strstr(r, "1234") && strstr(r, "module-path=/m.so"), "redact: %s", r);
	free(r);
}

int main(void)
{
	test_full();
	test_bad();
	test_tolerated();
	test_pin();
	test_redact();
	if (failures)
		fprintf(stderr, "uri: %d failures\n", failures);
	return failures ? 1 : 0;
}
