/* Lists the modules named on a command line: files as given, directories searched recursively. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct km_modlist {
	char **paths;
	size_t count, alloc;
};

enum {
	KM_LIST_COMPRESSED = 1 << 0, /* also *.ko.gz, *.ko.xz, *.ko.zst in directories */
};

/* Adds path: a file is taken as is; a directory contributes its modules, sorted. */
int km_modlist_add(struct km_modlist *l, const char *path, unsigned int flags,
		   struct km_err *e) _must_check_;
void km_modlist_free(struct km_modlist *l);

/* True for names ending in .ko, or .ko.gz/.ko.xz/.ko.zst when compressed is set. */
bool km_is_module_name(const char *name, bool compressed);
