/* Logging for the commands: "kmsign: ERROR: what went wrong". */
#include <stdarg.h>
#include <stdio.h>

#include "kmsign.h"

static enum km_log_level log_level = KM_LOG_WRN;

void km_log_set_level(enum km_log_level level)
{
	log_level = level;
}

enum km_log_level km_log_get_level(void)
{
	return log_level;
}

void km_log(enum km_log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[KM_LOG_ERR] = "ERROR: ",
		[KM_LOG_WRN] = "WARNING: ",
		[KM_LOG_INF] = "",
		[KM_LOG_DBG] = "DEBUG: ",
	};
	va_list ap;

	if (level > log_level)
		return;
	fprintf(stderr, "kmsign: %s", prefix[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void km_log_err(const struct km_err *e)
{
	ERR("%s", e->msg[0] ? e->msg : "unknown error");
	if (e->detail[0])
		DBG("%s", e->detail);
	if (e->ckr)
		DBG("PKCS#11 return value 0x%08lx", e->ckr);
}
