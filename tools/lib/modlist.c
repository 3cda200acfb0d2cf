/* Lists modules: files as given, directories searched recursively. */
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "modlist.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && streq(s + ls - lx, suffix);
}

bool km_is_module_name(const char *name, bool compressed)
{
	if (ends_with(name, ".ko"))
		return true;
	return compressed && (ends_with(name, ".ko.gz") || ends_with(name, ".ko.xz") ||
			      ends_with(name, ".ko.zst"));
}

static int push(struct km_modlist *l, const char *path, struct km_err *e)
{
	if (l->count == l->alloc) {
		size_t n = l->alloc ? 2 * l->alloc : 64;
		char **p = realloc(l->paths, n * sizeof(*p));

		if (!p)
			return km_err_set(e, -ENOMEM, "out of memory");
		l->paths = p;
		l->alloc = n;
	}
	l->paths[l->count] = strdup(path);
	if (!l->paths[l->count])
		return km_err_set(e, -ENOMEM, "out of memory");
	l->count++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define MAX_DEPTH 32

static int walk(struct km_modlist *l, const char *dir, unsigned int flags, int depth,
		struct km_err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (!d)
		return km_err_set(e, -errno, "%s: %s", dir, strerror(errno));
	if (depth > MAX_DEPTH) {
		closedir(d);
		return km_err_set(e, -ELOOP, "%s: directories nested too deeply", dir);
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		_cleanup_free_ char *path = NULL;
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			path = NULL;
			r = km_err_set(e, -ENOMEM, "out of memory");
			break;
		}
		/* Symbolic links are not followed: they could lead out of the tree. */
		if (lstat(path, &st) < 0)
			r = km_err_set(e, -errno, "%s: %s", path, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			r = walk(l, path, flags, depth + 1, e);
		else if (S_ISREG(st.st_mode) &&
			 km_is_module_name(de->d_name, flags & KM_LIST_COMPRESSED))
			r = push(l, path, e);
	}
	closedir(d);
	return r;
}

static int add_dir(struct km_modlist *l, const char *path, unsigned int flags, struct km_err *e)
{
	size_t first = l->count;
	int r = walk(l, path, flags, 0, e);

	if (r == 0)
		qsort(l->paths + first, l->count - first, sizeof(char *), cmp_str);
	return r;
}

int km_modlist_add(struct km_modlist *l, const char *path, unsigned int flags, struct km_err *e)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return km_err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return add_dir(l, path, flags, e);
	return push(l, path, e);
}

void km_modlist_free(struct km_modlist *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->paths[i]);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}
