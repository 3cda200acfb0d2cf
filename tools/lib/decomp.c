/* In-memory decompression: gzip (zlib), xz and lzma (liblzma), zstd (libzstd). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "decomp.h"

#define CHUNK (1024 * 1024)
/* Kernels use xz dictionaries up to 32 MiB; a header asking for more is hostile. */
#define LZMA_MEMLIMIT (256ULL * 1024 * 1024)

enum km_comp km_comp_detect(const uint8_t *b, size_t len)
{
	if (len >= 2 && b[0] == 0x1f && (b[1] == 0x8b || b[1] == 0x9e))
		return KM_COMP_GZIP;
	if (len >= 6 && memcmp(b,
			       "\xfd"
			       "7zXZ\0",
			       6) == 0)
		return KM_COMP_XZ;
	if (len >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0)
		return KM_COMP_ZSTD;
	if (len >= 3 && b[0] == 0x5d && b[1] == 0 && b[2] == 0)
		return KM_COMP_LZMA;
	return KM_COMP_NONE;
}

const char *km_comp_name(enum km_comp kind)
{
	static const char *const names[] = { "none", "gzip", "xz", "lzma", "zstd" };

	return (unsigned int)kind < ARRAY_SIZE(names) ? names[kind] : "?";
}

/* A growing output buffer with a hard cap. */
struct outbuf {
	uint8_t *data;
	size_t len, cap, max;
};

static int grow(struct outbuf *o, struct km_err *e)
{
	size_t n = o->cap ? o->cap * 2 : CHUNK;
	uint8_t *p;

	if (o->cap >= o->max)
		return km_err_set(e, -EFBIG, "decompressed data exceeds %zu bytes", o->max);
	if (n > o->max)
		n = o->max;
	p = realloc(o->data, n);
	if (!p)
		return km_err_set(e, -ENOMEM, "out of memory");
	o->data = p;
	o->cap = n;
	return 0;
}

static int run_gzip(const uint8_t *in, size_t len, struct outbuf *o, struct km_err *e)
{
	z_stream z = { 0 };
	int zr = Z_OK;

	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return km_err_set(e, -ENOMEM, "gzip: cannot initialise");
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	while (zr != Z_STREAM_END) {
		if (o->len == o->cap && grow(o, e) < 0)
			break;
		z.next_out = o->data + o->len;
		z.avail_out = (uInt)(o->cap - o->len);
		zr = inflate(&z, Z_NO_FLUSH);
		o->len = o->cap - z.avail_out;
		if (zr != Z_OK && zr != Z_STREAM_END) {
			km_err_set(e, -EBADMSG, "gzip: corrupt data (%s)",
				   z.msg ? z.msg : "inflate");
			break;
		}
		if (zr == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
			km_err_set(e, -EBADMSG, "gzip: truncated data");
			break;
		}
	}
	inflateEnd(&z);
	return zr == Z_STREAM_END ? 0 : -EBADMSG;
}

static int run_lzma(const uint8_t *in, size_t len, bool xz, struct outbuf *o, struct km_err *e)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret lr = xz ? lzma_stream_decoder(&s, LZMA_MEMLIMIT, 0)
			 : lzma_alone_decoder(&s, LZMA_MEMLIMIT);

	if (lr != LZMA_OK)
		return km_err_set(e, -ENOMEM, "xz: cannot initialise");
	s.next_in = in;
	s.avail_in = len;
	while (lr == LZMA_OK) {
		if (o->len == o->cap && grow(o, e) < 0)
			break;
		s.next_out = o->data + o->len;
		s.avail_out = o->cap - o->len;
		lr = lzma_code(&s, LZMA_FINISH);
		o->len = o->cap - s.avail_out;
	}
	lzma_end(&s);
	if (lr == LZMA_STREAM_END)
		return 0;
	if (lr == LZMA_MEMLIMIT_ERROR)
		km_err_set(e, -EFBIG, "%s: the data asks for more than %llu MiB to unpack",
			   xz ? "xz" : "lzma", LZMA_MEMLIMIT >> 20);
	else if (lr != LZMA_OK)
		km_err_set(e, -EBADMSG, "%s: corrupt or truncated data (error %d)",
			   xz ? "xz" : "lzma", (int)lr);
	return -EBADMSG;
}

static int run_zstd(const uint8_t *in, size_t len, struct outbuf *o, struct km_err *e)
{
	ZSTD_DStream *z = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, len, 0 };
	size_t zr = 1;

	if (!z)
		return km_err_set(e, -ENOMEM, "zstd: cannot initialise");
	ZSTD_initDStream(z);
	while (zr != 0) {
		ZSTD_outBuffer ob;

		if (o->len == o->cap && grow(o, e) < 0)
			break;
		ob = (ZSTD_outBuffer){ o->data + o->len, o->cap - o->len, 0 };
		zr = ZSTD_decompressStream(z, &ob, &ib);
		o->len += ob.pos;
		if (ZSTD_isError(zr)) {
			km_err_set(e, -EBADMSG, "zstd: corrupt data (%s)", ZSTD_getErrorName(zr));
			break;
		}
		if (zr != 0 && ib.pos == ib.size && ob.pos < ob.size) {
			km_err_set(e, -EBADMSG, "zstd: truncated data");
			zr = 1;
			break;
		}
	}
	ZSTD_freeDStream(z);
	return zr == 0 ? 0 : -EBADMSG;
}

int km_decompress(const uint8_t *in, size_t len, enum km_comp kind, size_t max_out, uint8_t **out,
		  size_t *out_len, struct km_err *e)
{
	struct outbuf o = { .max = max_out };
	int r;

	switch (kind) {
	case KM_COMP_GZIP:
		r = run_gzip(in, len, &o, e);
		break;
	case KM_COMP_XZ:
		r = run_lzma(in, len, true, &o, e);
		break;
	case KM_COMP_LZMA:
		r = run_lzma(in, len, false, &o, e);
		break;
	case KM_COMP_ZSTD:
		r = run_zstd(in, len, &o, e);
		break;
	default:
		r = km_err_set(e, -EINVAL, "not compressed data");
	}
	if (r < 0) {
		free(o.data);
		return e->code ? e->code : r;
	}
	*out = o.data ? o.data : malloc(1);
	*out_len = o.len;
	return *out ? 0 : km_err_set(e, -ENOMEM, "out of memory");
}
