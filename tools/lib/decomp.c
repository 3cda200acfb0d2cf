/* In-memory decompression: gzip (zlib), xz and lzma (liblzma), zstd (libzstd). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "decomp.h"

#define CHUNK ((size_t)1024 * 1024)
/* Kernels use xz dictionaries up to 32 MiB; a header asking for more is hostile. */
#define LZMA_MEMLIMIT (256ULL * 1024 * 1024)

enum km_comp km_comp_detect(const uint8_t *b, size_t len)
{
	if (len >= 2 && b[0] == 0x1f && (b[1] == 0x8b || b[1] == 0x9e))
		return KM_COMP_GZIP;
	if (len >= 6 && memcmp(b, "\xfd\x37\x7a\x58\x5a\x00", 6) == 0)
		return KM_COMP_XZ;
	if (len >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0)
		return KM_COMP_ZSTD;
	/* .lzma has no magic; 0x5d is the properties byte every encoder writes by default. */
	if (len >= 13 && b[0] == 0x5d && b[1] == 0 && b[2] == 0)
		return KM_COMP_LZMA;
	return KM_COMP_NONE;
}

enum km_comp km_comp_from_name(const char *path)
{
	static const struct {
		const char *suffix;
		enum km_comp kind;
	} map[] = { { ".gz", KM_COMP_GZIP },
		    { ".xz", KM_COMP_XZ },
		    { ".lzma", KM_COMP_LZMA },
		    { ".zst", KM_COMP_ZSTD } };
	size_t n = strlen(path), i;

	for (i = 0; i < ARRAY_SIZE(map); i++) {
		size_t k = strlen(map[i].suffix);

		if (n > k && streq(path + n - k, map[i].suffix))
			return map[i].kind;
	}
	return KM_COMP_NONE;
}

const char *km_comp_name(enum km_comp kind)
{
	static const char *const names[] = { "none", "gzip", "xz", "lzma", "zstd" };

	return (unsigned int)kind < ARRAY_SIZE(names) ? names[kind] : "?";
}

/*
 * A growing output buffer. max is one byte above the caller's cap, so that
 * output of exactly the cap can finish and anything longer is caught.
 */
struct outbuf {
	uint8_t *data;
	size_t len, cap, max;
};

static int grow(struct outbuf *o, struct km_err *e)
{
	size_t n = o->cap ? o->cap * 2 : CHUNK;
	uint8_t *p;

	if (o->cap >= o->max)
		return km_err_set(e, -EFBIG, "decompressed data exceeds %zu bytes", o->max - 1);
	if (n > o->max || n < o->cap)
		n = o->max;
	p = realloc(o->data, n);
	if (!p)
		return km_err_set(e, -ENOMEM, "out of memory");
	o->data = p;
	o->cap = n;
	return 0;
}

static int gzip_status(int zr, const z_stream *z, struct km_err *e)
{
	if (zr == Z_STREAM_END)
		return 0;
	if (zr == Z_OK || zr == Z_BUF_ERROR)
		return km_err_set(e, -EBADMSG, "gzip: truncated data");
	return km_err_set(e, -EBADMSG, "gzip: corrupt data (%s)", z->msg ? z->msg : "inflate");
}

static int run_gzip(const uint8_t *in, size_t len, struct outbuf *o, struct km_err *e)
{
	z_stream z = { 0 };
	int zr = Z_OK, r = 0;

	if (len > UINT_MAX)
		return km_err_set(e, -EFBIG, "gzip: input too large");
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return km_err_set(e, -ENOMEM, "gzip: cannot initialise");
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	while (zr == Z_OK) {
		if (o->len == o->cap && (r = grow(o, e)) < 0)
			break;
		z.next_out = o->data + o->len;
		z.avail_out = (uInt)(o->cap - o->len);
		zr = inflate(&z, Z_NO_FLUSH);
		o->len = o->cap - z.avail_out;
		/* No input left and room to spare: the stream stopped short. */
		if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0)
			break;
	}
	inflateEnd(&z);
	return r < 0 ? r : gzip_status(zr, &z, e);
}

static int lzma_status(lzma_ret lr, bool xz, struct km_err *e)
{
	const char *name = xz ? "xz" : "lzma";

	if (lr == LZMA_STREAM_END)
		return 0;
	if (lr == LZMA_MEMLIMIT_ERROR)
		return km_err_set(e, -EFBIG, "%s: the data asks for more than %llu MiB to unpack",
				  name, LZMA_MEMLIMIT >> 20);
	if (lr == LZMA_OK || lr == LZMA_BUF_ERROR)
		return km_err_set(e, -EBADMSG, "%s: truncated data", name);
	return km_err_set(e, -EBADMSG, "%s: corrupt data (liblzma error %d)", name, (int)lr);
}

static int run_lzma(const uint8_t *in, size_t len, bool xz, struct outbuf *o, struct km_err *e)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret lr = xz ? lzma_stream_decoder(&s, LZMA_MEMLIMIT, 0)
			 : lzma_alone_decoder(&s, LZMA_MEMLIMIT);
	int r = 0;

	if (lr != LZMA_OK)
		return km_err_set(e, -ENOMEM, "%s: cannot initialise", xz ? "xz" : "lzma");
	s.next_in = in;
	s.avail_in = len;
	while (lr == LZMA_OK) {
		if (o->len == o->cap && (r = grow(o, e)) < 0)
			break;
		s.next_out = o->data + o->len;
		s.avail_out = o->cap - o->len;
		lr = lzma_code(&s, LZMA_FINISH);
		o->len = o->cap - s.avail_out;
	}
	lzma_end(&s);
	return r < 0 ? r : lzma_status(lr, xz, e);
}

static int run_zstd(const uint8_t *in, size_t len, struct outbuf *o, struct km_err *e)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, len, 0 };
	size_t zr = 1;
	int r = 0;

	if (!z)
		return km_err_set(e, -ENOMEM, "zstd: cannot initialise");
	ZSTD_initDStream(z);
	while (zr != 0 && r == 0) {
		ZSTD_outBuffer ob;

		if (o->len == o->cap && (r = grow(o, e)) < 0)
			break;
		ob = (ZSTD_outBuffer){ o->data + o->len, o->cap - o->len, 0 };
		zr = ZSTD_decompressStream(z, &ob, &ib);
		o->len += ob.pos;
		if (ZSTD_isError(zr))
			r = km_err_set(e, -EBADMSG, "zstd: corrupt data (%s)",
				       ZSTD_getErrorName(zr));
		else if (zr != 0 && ib.pos == ib.size && ob.pos < ob.size)
			r = km_err_set(e, -EBADMSG, "zstd: truncated data");
	}
	ZSTD_freeDStream(z);
	return r;
}

static int run(const uint8_t *in, size_t len, enum km_comp kind, struct outbuf *o, struct km_err *e)
{
	switch (kind) {
	case KM_COMP_GZIP:
		return run_gzip(in, len, o, e);
	case KM_COMP_XZ:
		return run_lzma(in, len, true, o, e);
	case KM_COMP_LZMA:
		return run_lzma(in, len, false, o, e);
	case KM_COMP_ZSTD:
		return run_zstd(in, len, o, e);
	default:
		return km_err_set(e, -EINVAL, "not compressed data kmsign reads");
	}
}

int km_decompress(const uint8_t *in, size_t len, enum km_comp kind, size_t max_out, uint8_t **out,
		  size_t *out_len, struct km_err *e)
{
	struct outbuf o = { 0 };
	int r;

	if (!max_out)
		max_out = KM_DECOMP_MAX_DEFAULT;
	o.max = max_out == SIZE_MAX ? SIZE_MAX : max_out + 1;
	r = run(in, len, kind, &o, e);
	if (r == 0 && o.len > max_out)
		r = km_err_set(e, -EFBIG, "decompressed data exceeds %zu bytes", max_out);
	if (r < 0) {
		free(o.data);
		return r;
	}
	*out = o.data ? o.data : malloc(1);
	*out_len = o.len;
	return *out ? 0 : km_err_set(e, -ENOMEM, "out of memory");
}
