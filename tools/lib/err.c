/* Error reporting: one user-facing line, plus detail for -v. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libp11.h>
#include <openssl/err.h>

#include "err.h"

int km_err_setv(struct km_err *e, int code, const char *fmt, va_list ap)
{
	if (code >= 0)
		code = -EINVAL;
	if (!e)
		return code;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return code;
}

int km_err_set(struct km_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = km_err_setv(e, code, fmt, ap);
	va_end(ap);
	return code;
}

static void append(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);
static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

/* Pops one queued OpenSSL error; one place for the 1.1.1/3.x difference. */
static unsigned long pop_ssl_error(const char **file, int *line)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	return ERR_get_error_all(file, line, NULL, NULL, NULL);
#else
	return ERR_get_error_line(file, line);
#endif
}

static void drain_ssl(struct km_err *e)
{
	char reason[256] = "";
	const char *file;
	unsigned long err;
	int line;

	e->detail[0] = '\0';
	while ((err = pop_ssl_error(&file, &line)) != 0) {
		char buf[256];

		ERR_error_string_n(err, buf, sizeof(buf));
		append(e->detail, sizeof(e->detail), "%s%s (%s:%d)", e->detail[0] ? "; " : "", buf,
		       file, line);
		if (ERR_GET_LIB(err) == ERR_get_CKR_code()) {
			e->ckr = ERR_GET_REASON(err);
			snprintf(reason, sizeof(reason), "%s", km_ckr_str(e->ckr));
		} else if (!reason[0] || !e->ckr) {
			const char *r = ERR_reason_error_string(err);

			snprintf(reason, sizeof(reason), "%s", r ? r : buf);
		}
	}
	if (reason[0])
		append(e->msg, sizeof(e->msg), ": %s", reason);
}

int km_err_ssl(struct km_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = km_err_setv(e, code, fmt, ap);
	va_end(ap);
	if (e)
		drain_ssl(e);
	else
		ERR_clear_error();
	return code;
}

int km_err_prefix(struct km_err *e, const char *fmt, ...)
{
	char head[KM_ERR_MSG_MAX], old[KM_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	/* Messages that already start with this context keep it once. */
	if (strncmp(e->msg, head, strlen(head)) == 0 && e->msg[strlen(head)] == ':')
		return e->code;
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", head, old);
	return e->code;
}

void km_err_clear(struct km_err *e)
{
	memset(e, 0, sizeof(*e));
}

struct ckr_name {
	unsigned long rv;
	const char *text;
};

static const struct ckr_name ckr_names[] = {
	{ 0x00000000UL, "CKR_OK" },
	{ 0x00000001UL, "CKR_CANCEL" },
	{ 0x00000002UL, "CKR_HOST_MEMORY: out of memory" },
	{ 0x00000003UL, "CKR_SLOT_ID_INVALID: no such slot" },
	{ 0x00000005UL,
	  "CKR_GENERAL_ERROR: the token failed (for a KMS: network, throttling or permissions)" },
	{ 0x00000006UL, "CKR_FUNCTION_FAILED: the token could not complete the operation" },
	{ 0x00000007UL, "CKR_ARGUMENTS_BAD" },
	{ 0x00000030UL, "CKR_DEVICE_ERROR: the device failed" },
	{ 0x00000031UL, "CKR_DEVICE_MEMORY: the token is out of memory" },
	{ 0x00000032UL, "CKR_DEVICE_REMOVED: the token was removed" },
	{ 0x00000054UL, "CKR_FUNCTION_NOT_SUPPORTED: the token does not support this" },
	{ 0x00000060UL, "CKR_KEY_HANDLE_INVALID: the key is gone" },
	{ 0x00000063UL, "CKR_KEY_TYPE_INCONSISTENT: the key cannot be used with this mechanism" },
	{ 0x00000068UL, "CKR_KEY_FUNCTION_NOT_PERMITTED: the key may not sign" },
	{ 0x00000070UL, "CKR_MECHANISM_INVALID: the token does not support this mechanism" },
	{ 0x00000071UL, "CKR_MECHANISM_PARAM_INVALID" },
	{ 0x00000082UL, "CKR_OBJECT_HANDLE_INVALID" },
	{ 0x00000090UL, "CKR_OPERATION_ACTIVE" },
	{ 0x000000A0UL, "CKR_PIN_INCORRECT: wrong PIN" },
	{ 0x000000A1UL, "CKR_PIN_INVALID: the PIN has invalid characters" },
	{ 0x000000A2UL, "CKR_PIN_LEN_RANGE: the PIN is too long or too short" },
	{ 0x000000A3UL, "CKR_PIN_EXPIRED: the PIN has expired" },
	{ 0x000000A4UL, "CKR_PIN_LOCKED: the PIN is locked" },
	{ 0x000000B0UL, "CKR_SESSION_CLOSED" },
	{ 0x000000B1UL, "CKR_SESSION_COUNT: too many sessions" },
	{ 0x000000B3UL, "CKR_SESSION_HANDLE_INVALID" },
	{ 0x000000B5UL, "CKR_SESSION_READ_ONLY" },
	{ 0x000000C0UL, "CKR_SIGNATURE_INVALID" },
	{ 0x000000C1UL, "CKR_SIGNATURE_LEN_RANGE" },
	{ 0x000000E0UL, "CKR_TOKEN_NOT_PRESENT: no token in the slot" },
	{ 0x000000E1UL, "CKR_TOKEN_NOT_RECOGNIZED" },
	{ 0x000000E2UL, "CKR_TOKEN_WRITE_PROTECTED: the token is read-only" },
	{ 0x00000100UL, "CKR_USER_ALREADY_LOGGED_IN" },
	{ 0x00000101UL, "CKR_USER_NOT_LOGGED_IN: log in first (set a PIN)" },
	{ 0x00000102UL, "CKR_USER_PIN_NOT_INITIALIZED: the token has no user PIN" },
	{ 0x00000150UL, "CKR_BUFFER_TOO_SMALL" },
	{ 0x00000190UL, "CKR_CRYPTOKI_NOT_INITIALIZED" },
	{ 0x00000191UL, "CKR_CRYPTOKI_ALREADY_INITIALIZED" },
};

const char *km_ckr_str(unsigned long rv)
{
	static _Thread_local char unknown[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ckr_names); i++)
		if (ckr_names[i].rv == rv)
			return ckr_names[i].text;
	snprintf(unknown, sizeof(unknown), "CKR 0x%08lx", rv);
	return unknown;
}
