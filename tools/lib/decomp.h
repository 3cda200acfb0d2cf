/* In-memory decompression of modules and kernel images: gzip, xz/lzma, zstd. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum km_comp { KM_COMP_NONE, KM_COMP_GZIP, KM_COMP_XZ, KM_COMP_LZMA, KM_COMP_ZSTD };

/* Tells the format by its magic bytes. */
enum km_comp km_comp_detect(const uint8_t *buf, size_t len);
const char *km_comp_name(enum km_comp kind);

/* Decompresses one stream; refuses output above max_out bytes (decompression bombs). */
int km_decompress(const uint8_t *in, size_t len, enum km_comp kind, size_t max_out, uint8_t **out,
		  size_t *out_len, struct km_err *e) _must_check_;
