/* Reading a kernel .config. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "kconfig.h"

#define KCONFIG_MAX (16 * 1024 * 1024)

struct entry {
	char *name; /* without CONFIG_ */
	char *value;
};

struct km_kconfig {
	struct entry *v;
	size_t n, alloc;
};

static int add(struct km_kconfig *c, const char *name, size_t nlen, char *value)
{
	if (c->n == c->alloc) {
		size_t a = c->alloc ? c->alloc * 2 : 256;
		struct entry *p = realloc(c->v, a * sizeof(*p));

		if (!p)
			return -ENOMEM;
		c->v = p;
		c->alloc = a;
	}
	c->v[c->n].name = strndup(name, nlen);
	c->v[c->n].value = value;
	if (!c->v[c->n].name)
		return -ENOMEM;
	c->n++;
	return 0;
}

/* "..." with \" and \\ escapes, as kconfig writes strings. */
static int unquote(const char *s, char **out)
{
	size_t len = strlen(s), i, n = 0;
	char *buf;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return -EINVAL;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	for (i = 1; i < len - 1; i++) {
		if (s[i] == '\\' && i + 1 < len - 1)
			i++;
		else if (s[i] == '"') {
			free(buf);
			return -EINVAL;
		}
		buf[n++] = s[i];
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static bool valid_name(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return len > 0;
}

static int parse_line(struct km_kconfig *c, char *line)
{
	const char *eq;
	char *value;
	size_t nlen;

	if (startswith(line, "# CONFIG_") && strstr(line, " is not set")) {
		nlen = strcspn(line + 9, " ");
		return valid_name(line + 9, nlen) ? add(c, line + 9, nlen, strdup("n")) : -EINVAL;
	}
	if (line[0] == '#' || line[0] == '\0')
		return 0;
	eq = strchr(line, '=');
	if (!startswith(line, "CONFIG_") || !eq || !valid_name(line + 7, eq - line - 7))
		return -EINVAL;
	if (eq[1] == '"') {
		int r = unquote(eq + 1, &value);

		if (r < 0)
			return r;
	} else {
		value = strdup(eq + 1);
	}
	return value ? add(c, line + 7, eq - line - 7, value) : -ENOMEM;
}

static int parse(struct km_kconfig *c, char *text, const char *path, struct km_err *e)
{
	unsigned int lineno = 0;
	char *p = text, *line;

	while (p && *p) {
		char *nl = strchr(p, '\n');
		int r;

		lineno++;
		if (nl)
			*nl = '\0';
		line = p;
		p = nl ? nl + 1 : NULL;
		r = parse_line(c, line);
		if (r == -ENOMEM)
			return km_err_set(e, r, "out of memory");
		if (r < 0)
			return km_err_set(e, r, "%s:%u: not a .config line: '%.60s'", path, lineno,
					  line);
	}
	return 0;
}

int km_kconfig_load(const char *path, struct km_kconfig **out, struct km_err *e)
{
	struct km_kconfig *c = calloc(1, sizeof(*c));
	uint8_t *buf = NULL;
	size_t len;
	char *text;
	int r;

	if (!c)
		return km_err_set(e, -ENOMEM, "out of memory");
	r = km_read_file(path, &buf, &len, KCONFIG_MAX, e);
	text = r == 0 ? strndup((char *)buf, len) : NULL;
	free(buf);
	if (r == 0 && !text)
		r = km_err_set(e, -ENOMEM, "out of memory");
	if (r == 0 && strlen(text) != len)
		r = km_err_set(e, -EINVAL, "%s: not a text file", path);
	if (r == 0)
		r = parse(c, text, path, e);
	free(text);
	if (r < 0) {
		km_kconfig_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void km_kconfig_free(struct km_kconfig *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].value);
	}
	free(c->v);
	free(c);
}

const char *km_kconfig_get(const struct km_kconfig *c, const char *name)
{
	size_t i;

	if (startswith(name, "CONFIG_"))
		name += 7;
	/* The last assignment wins, as in kconfig. */
	for (i = c->n; i-- > 0;)
		if (streq(c->v[i].name, name))
			return c->v[i].value;
	return NULL;
}
