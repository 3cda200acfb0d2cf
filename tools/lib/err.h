/* Error reporting for the library: a code and one line of text, never printed here. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macros.h"

#define KM_ERR_MSG_MAX 1024

/*
 * Library functions return 0 or a negative errno and, on failure, fill a
 * struct km_err the caller owns. The message is one line meant for users;
 * detail holds what only -v shows (the OpenSSL error queue with file:line,
 * raw CKR values).
 */
struct km_err {
	int code;
	unsigned long ckr; /* raw PKCS#11 return value, 0 when none */
	char msg[KM_ERR_MSG_MAX];
	char detail[KM_ERR_MSG_MAX];
};

/* Sets the error and returns code (a negative errno), so callers can `return km_err_set(...)`. */
int km_err_set(struct km_err *e, int code, const char *fmt, ...) _printf_(3, 4);
int km_err_setv(struct km_err *e, int code, const char *fmt, va_list ap);

/*
 * Like km_err_set, and drains the OpenSSL error queue: the most relevant
 * reason is appended to msg (": reason"), the full queue goes to detail.
 */
int km_err_ssl(struct km_err *e, int code, const char *fmt, ...) _printf_(3, 4);

/* Prepends "what: " to an existing message, e.g. a file name. Returns e->code. */
int km_err_prefix(struct km_err *e, const char *fmt, ...) _printf_(2, 3);

void km_err_clear(struct km_err *e);

/* Readable text for a PKCS#11 CKR_* value ("CKR_PIN_INCORRECT: wrong PIN"). */
const char *km_ckr_str(unsigned long rv);
