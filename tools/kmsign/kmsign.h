/* The command table and the logging shared by kmsign's commands. */
#pragma once

#include <stdbool.h>

#include "err.h"
#include "macros.h"

struct kmsign_cmd {
	const char *name;
	int (*fn)(int argc, char *argv[]);
	const char *help;
};

extern const struct kmsign_cmd kmsign_cmd_sign;
extern const struct kmsign_cmd kmsign_cmd_sign_file;
extern const struct kmsign_cmd kmsign_cmd_verify;
extern const struct kmsign_cmd kmsign_cmd_genkey;
extern const struct kmsign_cmd kmsign_cmd_cert;
extern const struct kmsign_cmd kmsign_cmd_embed;
extern const struct kmsign_cmd kmsign_cmd_doctor;

enum km_log_level { KM_LOG_ERR, KM_LOG_WRN, KM_LOG_INF, KM_LOG_DBG };

/* -v raises the level; -q lowers it to errors only. KBUILD_VERBOSE is honoured. */
void km_log_set_level(enum km_log_level level);
enum km_log_level km_log_get_level(void);
void km_log(enum km_log_level level, const char *fmt, ...) _printf_(2, 3);
/* Prints a library error as one line, and its detail at -v. */
void km_log_err(const struct km_err *e);

#define ERR(...) km_log(KM_LOG_ERR, __VA_ARGS__)
#define WRN(...) km_log(KM_LOG_WRN, __VA_ARGS__)
#define INF(...) km_log(KM_LOG_INF, __VA_ARGS__)
#define DBG(...) km_log(KM_LOG_DBG, __VA_ARGS__)

/* Exit codes: 0 ok, 1 a failure of the work (a module did not verify), 2 bad usage. */
#define KM_EXIT_FAILURE 1
#define KM_EXIT_USAGE	2
