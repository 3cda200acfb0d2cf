/* Reading a kernel .config: CONFIG_X=y|m|n|number|"string". */
#pragma once

#include "err.h"

struct km_kconfig;

int km_kconfig_load(const char *path, struct km_kconfig **out, struct km_err *e) _must_check_;
void km_kconfig_free(struct km_kconfig *c);

/*
 * The value of NAME (with or without the CONFIG_ prefix): strings unquoted
 * and unescaped, "n" for "# CONFIG_X is not set", NULL when absent.
 */
const char *km_kconfig_get(const struct km_kconfig *c, const char *name);
