/* Whole-file reads and atomic replacement of files (temp file beside the target, then rename). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* Reads a whole file; refuses files larger than max bytes. */
int km_read_file(const char *path, uint8_t **buf, size_t *len, size_t max,
		 struct km_err *e) _must_check_;

/*
 * A temp file created 0600 with O_EXCL in the target's directory. Commit
 * sets the final mode, fsyncs and renames it over the target; abort unlinks it.
 * An interrupted process leaves only a ".NAME.kmsign-XXXXXX" file behind,
 * never a half-written target.
 */
struct km_tmpfile {
	int fd;
	char *path;
	char *target;
};

int km_tmpfile_open(struct km_tmpfile *t, const char *target, struct km_err *e) _must_check_;
int km_tmpfile_write(struct km_tmpfile *t, const void *buf, size_t len,
		     struct km_err *e) _must_check_;
int km_tmpfile_commit(struct km_tmpfile *t, mode_t mode, struct km_err *e) _must_check_;
void km_tmpfile_abort(struct km_tmpfile *t);

/*
 * Removes temp files that an interrupted run (SIGKILL, power loss) left
 * beside target. Returns how many were removed.
 */
int km_tmpfile_cleanup(const char *target);

/* The mode to give a replacement: the target's current mode, else dflt. */
mode_t km_file_mode(const char *path, mode_t dflt);

/* Writes buf to path atomically with the given mode. */
int km_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode,
			 struct km_err *e) _must_check_;
