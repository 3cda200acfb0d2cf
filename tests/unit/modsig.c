/* Unit tests for the module signature trailer (the kernel's mod_check_sig rules). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "modsig.h"

/* A fake file: 100 content bytes, a 50-byte "CMS" and a trailer. */
static size_t make(uint8_t *buf, uint32_t announced)
{
	memset(buf, 'M', 100);
	memset(buf + 100, 'S', 50);
	km_modsig_trailer(buf + 150, announced);
	return 150 + KM_MODSIG_TRAILER_LEN;
}

static int parse(const uint8_t *buf, size_t len, struct km_modsig *m, struct km_err *e)
{
	size_t tl = len < KM_MODSIG_TRAILER_LEN ? len : KM_MODSIG_TRAILER_LEN;

	return km_modsig_parse(buf + len - tl, tl, len, m, e);
}

int main(void)
{
	uint8_t buf[512];
	struct km_modsig m;
	struct km_err e = { 0 };
	size_t len = make(buf, 50);

	CHECK(sizeof(struct km_module_signature) == 12, "struct size");
	CHECK(memcmp(buf + 150 + 12, "~Module signature appended~\n", 28) == 0, "magic");
	CHECK(buf[150 + 2] == 2 && buf[150 + 8] == 0 && buf[150 + 11] == 50, "header bytes");

	CHECK(parse(buf, len, &m, &e) == 0 && m.is_signed && m.content_len == 100 &&
		      m.sig_offset == 100 && m.sig_len == 50,
	      "good trailer: %s", e.msg);

	CHECK(parse(buf, 100, &m, &e) == 0 && !m.is_signed && m.content_len == 100, "unsigned");

	make(buf, 5000);
	CHECK(parse(buf, len, &m, &e) < 0 && strstr(e.msg, "truncated"), "sig_len too big");

	make(buf, 0);
	CHECK(parse(buf, len, &m, &e) < 0, "sig_len 0");

	make(buf, 50);
	buf[150 + 2] = 1;
	CHECK(parse(buf, len, &m, &e) < 0 && strstr(e.msg, "id_type"), "id_type");

	make(buf, 50);
	buf[150 + 0] = 1;
	CHECK(parse(buf, len, &m, &e) < 0 && strstr(e.msg, "zero"), "algo set");

	/* Only the magic, no room for the header. */
	memcpy(buf, KM_MODSIG_MAGIC, KM_MODSIG_MAGIC_LEN);
	CHECK(parse(buf, KM_MODSIG_MAGIC_LEN, &m, &e) < 0 && strstr(e.msg, "truncated"),
	      "magic only");
	CHECK(parse(buf, 3, &m, &e) == 0 && !m.is_signed, "tiny file");

	if (failures)
		fprintf(stderr, "modsig: %d failures\n", failures);
	return failures ? 1 : 0;
}
