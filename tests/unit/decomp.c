/* Unit tests for decomp: round trips through the gzip, xz, lzma and zstd tools, caps, damage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decomp.h"
#include "fileio.h"
#include "unit.h"

static char dir[4096];

/* Compresses buf with a command-line tool, as the files kmsign meets were made. */
static uint8_t *compress_with(const char *tool, const uint8_t *buf, size_t len, size_t *out_len)
{
	char in[4200], out[4200], cmd[8800];
	struct km_err e = { 0 };
	uint8_t *data = NULL;
	FILE *f;

	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	f = fopen(in, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		return NULL;
	snprintf(cmd, sizeof(cmd), "%s -c <%s >%s", tool, in, out);
	if (system(cmd) != 0 || km_read_file(out, &data, out_len, 1 << 30, &e) < 0) {
		fprintf(stderr, "%s failed: %s\n", cmd, e.msg);
		return NULL;
	}
	return data;
}

/* Text and noise, a few MiB: several growth steps of the output buffer. */
static uint8_t *sample(size_t len)
{
	uint8_t *b = malloc(len);
	size_t i;
	unsigned int x = 12345;

	for (i = 0; b && i < len; i++) {
		x = x * 1103515245 + 12345;
		b[i] = (i / 4096) % 2 ? (uint8_t)(x >> 16) : (uint8_t)("kmsign "[i % 7]);
	}
	return b;
}

static void round_trip(const char *tool, enum km_comp kind, const uint8_t *buf, size_t len)
{
	size_t clen = 0, olen = 0;
	_cleanup_free_ uint8_t *c = compress_with(tool, buf, len, &clen);
	uint8_t *out = NULL;
	struct km_err e = { 0 };

	CHECK(c, "%s produced nothing", tool);
	if (!c)
		return;
	CHECK(km_comp_detect(c, clen) == kind, "%s: detected as %s", tool,
	      km_comp_name(km_comp_detect(c, clen)));
	CHECK(km_decompress(c, clen, kind, 0, &out, &olen, &e) == 0, "%s: %s", tool, e.msg);
	CHECK(out && olen == len && memcmp(out, buf, len) == 0, "%s: output differs", tool);
	free(out);
	/* Exactly the cap passes; one byte less is a bomb. */
	CHECK(km_decompress(c, clen, kind, len, &out, &olen, &e) == 0, "%s at the cap: %s", tool,
	      e.msg);
	free(out);
	out = NULL;
	CHECK(km_decompress(c, clen, kind, len - 1, &out, &olen, &e) == -EFBIG && !out,
	      "%s: a cap one byte short was not enforced", tool);
	CHECK(strstr(e.msg, "exceeds"), "%s: cap message: %s", tool, e.msg);
}

/* Every truncation and some damage: an error, never a crash or success with wrong data. */
static void damage(const char *tool, enum km_comp kind)
{
	static const uint8_t text[] = "a small module body that the tests compress and damage, "
				      "repeated: a small module body that the tests compress";
	size_t clen = 0, i, olen;
	_cleanup_free_ uint8_t *c = compress_with(tool, text, sizeof(text), &clen);
	uint8_t *out;
	struct km_err e = { 0 };

	for (i = 0; c && i < clen; i++) {
		out = NULL;
		int r = km_decompress(c, i, kind, 0, &out, &olen, &e);

		/* zstd and xz frames may end before optional trailing fields; gzip's CRC is last.
		 */
		CHECK(r < 0 || (olen == sizeof(text) && memcmp(out, text, olen) == 0),
		      "%s truncated to %zu bytes: success with wrong data", tool, i);
		CHECK(r == 0 || e.msg[0], "%s truncated to %zu: no message", tool, i);
		free(out);
	}
	for (i = 0; c && i < clen; i += 3) {
		uint8_t saved = c[i];

		out = NULL;
		c[i] ^= 0x5a;
		if (km_decompress(c, clen, kind, 0, &out, &olen, &e) == 0)
			CHECK(olen == sizeof(text) && memcmp(out, text, olen) == 0,
			      "%s damaged at %zu: success with wrong data", tool, i);
		free(out);
		c[i] = saved;
	}
}

static void names(void)
{
	CHECK(km_comp_from_name("a/b.ko.xz") == KM_COMP_XZ, "xz name");
	CHECK(km_comp_from_name("b.ko.gz") == KM_COMP_GZIP, "gz name");
	CHECK(km_comp_from_name("b.ko.zst") == KM_COMP_ZSTD, "zst name");
	CHECK(km_comp_from_name("vmlinux.lzma") == KM_COMP_LZMA, "lzma name");
	CHECK(km_comp_from_name("b.ko") == KM_COMP_NONE, "plain name");
	CHECK(km_comp_from_name(".xz") == KM_COMP_NONE, "bare suffix");
	CHECK(km_comp_detect((const uint8_t *)"\x1f", 1) == KM_COMP_NONE, "one byte");
	CHECK(km_comp_detect((const uint8_t *)"\x7f"
					      "ELF",
			     4) == KM_COMP_NONE,
	      "ELF");
}

static void bomb_and_junk(void)
{
	size_t len = 64 << 20, clen = 0, olen;
	uint8_t *zeros = calloc(1, len), *out = NULL;
	_cleanup_free_ uint8_t *c = zeros ? compress_with("zstd -q -19", zeros, len, &clen) : NULL;
	struct km_err e = { 0 };

	free(zeros);
	CHECK(c && clen < 65536, "64 MiB of zeros did not compress small");
	CHECK(c && km_decompress(c, clen, KM_COMP_ZSTD, 1 << 20, &out, &olen, &e) == -EFBIG,
	      "a zstd bomb was not stopped at 1 MiB");
	CHECK(km_decompress((const uint8_t *)"junk", 4, KM_COMP_XZ, 0, &out, &olen, &e) < 0,
	      "junk as xz");
	CHECK(km_decompress((const uint8_t *)"junk", 4, KM_COMP_NONE, 0, &out, &olen, &e) ==
		      -EINVAL,
	      "KM_COMP_NONE");
}

int main(void)
{
	size_t len = (3 << 20) + 17;
	_cleanup_free_ uint8_t *buf = sample(len);
	char cmd[4200];

	snprintf(dir, sizeof(dir), "%s/kmsign-decomp-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir);
	if (!mkdtemp(dir) || !buf)
		return 1;
	names();
	round_trip("gzip -1", KM_COMP_GZIP, buf, len);
	round_trip("xz -0 -T1", KM_COMP_XZ, buf, len);
	round_trip("xz -0 -T1 --check=crc32 --x86 --lzma2", KM_COMP_XZ, buf, len);
	round_trip("lzma -0", KM_COMP_LZMA, buf, len);
	round_trip("zstd -q -1", KM_COMP_ZSTD, buf, len);
	damage("gzip", KM_COMP_GZIP);
	damage("xz -T1", KM_COMP_XZ);
	damage("lzma", KM_COMP_LZMA);
	damage("zstd -q", KM_COMP_ZSTD);
	bomb_and_junk();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
