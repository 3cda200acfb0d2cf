/* In-memory decompression of modules and kernel images: gzip, xz/lzma, zstd. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum km_comp { KM_COMP_NONE, KM_COMP_GZIP, KM_COMP_XZ, KM_COMP_LZMA, KM_COMP_ZSTD };

/* The cap km_decompress applies when given max_out = 0. */
#define KM_DECOMP_MAX_DEFAULT ((size_t)512 * 1024 * 1024)

/* Tells the format by its magic bytes; KM_COMP_NONE when it is none kmsign reads. */
enum km_comp km_comp_detect(const uint8_t *buf, size_t len);

/* Tells the format by the file name's suffix (.gz, .xz, .lzma, .zst). */
enum km_comp km_comp_from_name(const char *path);

/* "gzip", "xz", "lzma", "zstd" or "none". */
const char *km_comp_name(enum km_comp kind);

/*
 * Decompresses the first stream of in (data after it is ignored, as the
 * kernel's own decompressors do). Output above max_out bytes (0: the
 * default) is refused with -EFBIG. *out is malloc'ed; the caller frees it.
 */
int km_decompress(const uint8_t *in, size_t len, enum km_comp kind, size_t max_out, uint8_t **out,
		  size_t *out_len, struct km_err *e) _must_check_;
