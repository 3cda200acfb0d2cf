/* RFC 7512 PKCS#11 URI parsing. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "fileio.h"
#include "uri.h"

#define KM_PIN_MAX 256

bool km_is_pkcs11_uri(const char *s)
{
	return s && strncasecmp(s, "pkcs11:", 7) == 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes %XX escapes of [s, s+len); the result may hold NUL bytes (ids do). */
static int pct_decode(const char *s, size_t len, unsigned char **out, size_t *out_len,
		      struct km_err *e)
{
	unsigned char *buf = malloc(len + 1);
	size_t i, n = 0;

	if (!buf)
		return km_err_set(e, -ENOMEM, "out of memory");
	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			buf[n++] = (unsigned char)s[i];
			continue;
		}
		if (i + 2 >= len) {
			free(buf);
			return km_err_set(e, -EINVAL, "bad PKCS#11 URI: truncated %%-escape");
		}
		if (hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
			free(buf);
			return km_err_set(e, -EINVAL, "bad PKCS#11 URI: invalid %%-escape '%.3s'",
					  s + i);
		}
		buf[n++] = (unsigned char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
		i += 2;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

/* A text attribute may not hold NUL bytes once decoded. */
static int set_text(char **field, const char *name, const char *v, size_t len, struct km_err *e)
{
	unsigned char *buf;
	size_t n;
	int r;

	if (*field)
		return km_err_set(e, -EINVAL, "bad PKCS#11 URI: '%s' given twice", name);
	r = pct_decode(v, len, &buf, &n, e);
	if (r < 0)
		return r;
	if (strlen((char *)buf) != n) {
		free(buf);
		return km_err_set(e, -EINVAL, "bad PKCS#11 URI: '%s' contains a NUL byte", name);
	}
	*field = (char *)buf;
	return 0;
}

static int set_slot_id(struct km_uri *u, const char *v, size_t len, struct km_err *e)
{
	char buf[32], *end;

	if (len == 0 || len >= sizeof(buf))
		return km_err_set(e, -EINVAL, "bad PKCS#11 URI: invalid slot-id");
	memcpy(buf, v, len);
	buf[len] = '\0';
	errno = 0;
	u->slot_id = strtoul(buf, &end, 10);
	if (errno || *end || !isdigit((unsigned char)buf[0]))
		return km_err_set(e, -EINVAL, "bad PKCS#11 URI: invalid slot-id '%s'", buf);
	u->has_slot_id = true;
	return 0;
}

struct attr {
	const char *name;
	size_t offset; /* of the char * field in struct km_uri */
	bool query;
};

#define ATTR(n, f, q)                                                                              \
	{                                                                                          \
		n, offsetof(struct km_uri, f), q                                                   \
	}
static const struct attr attrs[] = {
	ATTR("token", token, false),
	ATTR("manufacturer", manufacturer, false),
	ATTR("model", model, false),
	ATTR("serial", serial, false),
	ATTR("object", object, false),
	ATTR("type", type, false),
	ATTR("module-path", module_path, true),
	ATTR("module-name", module_name, true),
	ATTR("pin-value", pin_value, true),
	ATTR("pin-source", pin_source, true),
};

/* Attributes kmsign accepts but has no use for. */
static const char *const ignored[] = {
	"library-manufacturer", "library-description", "library-version",
	"slot-description",	"slot-manufacturer",
};

static int set_attr(struct km_uri *u, const char *name, size_t nlen, const char *v, size_t vlen,
		    bool query, struct km_err *e)
{
	char key[32];
	size_t i;

	if (nlen == 0 || nlen >= sizeof(key))
		return km_err_set(e, -EINVAL, "bad PKCS#11 URI: empty or overlong attribute name");
	memcpy(key, name, nlen);
	key[nlen] = '\0';
	if (streq(key, "id")) {
		if (u->has_id)
			return km_err_set(e, -EINVAL, "bad PKCS#11 URI: 'id' given twice");
		u->has_id = true;
		return pct_decode(v, vlen, &u->id, &u->id_len, e);
	}
	if (streq(key, "slot-id"))
		return set_slot_id(u, v, vlen, e);
	for (i = 0; i < ARRAY_SIZE(attrs); i++)
		if (streq(key, attrs[i].name) && attrs[i].query == query)
			return set_text((char **)((char *)u + attrs[i].offset), key, v, vlen, e);
	for (i = 0; i < ARRAY_SIZE(ignored); i++)
		if (streq(key, ignored[i]))
			return 0;
	if (startswith(key, "x-"))
		return 0;
	return km_err_set(e, -EINVAL, "bad PKCS#11 URI: unknown %s attribute '%s'",
			  query ? "query" : "path", key);
}

static int parse_list(struct km_uri *u, const char *s, size_t len, char sep, bool query,
		      struct km_err *e)
{
	const char *end = s + len;

	while (s < end) {
		const char *next = memchr(s, sep, end - s);
		const char *eq;
		int r;

		if (!next)
			next = end;
		eq = memchr(s, '=', next - s);
		if (!eq)
			return km_err_set(e, -EINVAL, "bad PKCS#11 URI: '%.*s' is not name=value",
					  (int)(next - s), s);
		r = set_attr(u, s, eq - s, eq + 1, next - eq - 1, query, e);
		if (r < 0)
			return r;
		s = next + 1;
	}
	return 0;
}

int km_uri_parse(const char *s, struct km_uri *u, struct km_err *e)
{
	const char *path, *q;
	int r;

	memset(u, 0, sizeof(*u));
	if (!km_is_pkcs11_uri(s))
		return km_err_set(e, -EINVAL, "bad PKCS#11 URI: must start with 'pkcs11:'");
	path = s + 7;
	q = strchr(path, '?');
	r = parse_list(u, path, q ? (size_t)(q - path) : strlen(path), ';', false, e);
	if (r == 0 && q)
		r = parse_list(u, q + 1, strlen(q + 1), '&', true, e);
	if (r == 0 && u->type && !streq(u->type, "private") && !streq(u->type, "public") &&
	    !streq(u->type, "cert") && !streq(u->type, "secret-key") && !streq(u->type, "data"))
		r = km_err_set(e, -EINVAL, "bad PKCS#11 URI: unknown type '%s'", u->type);
	if (r < 0)
		km_uri_clear(u);
	return r;
}

void km_uri_clear(struct km_uri *u)
{
	if (u->pin_value)
		OPENSSL_cleanse(u->pin_value, strlen(u->pin_value));
	free(u->token);
	free(u->manufacturer);
	free(u->model);
	free(u->serial);
	free(u->object);
	free(u->type);
	free(u->id);
	free(u->module_path);
	free(u->module_name);
	free(u->pin_value);
	free(u->pin_source);
	memset(u, 0, sizeof(*u));
}

void km_pin_free(char *pin)
{
	if (!pin)
		return;
	OPENSSL_cleanse(pin, strlen(pin));
	free(pin);
}

static int pin_from_file(const char *source, char **pin, struct km_err *e)
{
	const char *path = startswith(source, "file:") ? source + 5 : source;
	uint8_t *buf;
	size_t len;
	int r;

	/* file:///run/pin and file:/run/pin both name /run/pin */
	if (startswith(path, "//"))
		path += 2;
	r = km_read_file(path, &buf, &len, KM_PIN_MAX, e);
	if (r < 0)
		return km_err_prefix(e, "pin-source");
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (memchr(buf, '\0', len) || memchr(buf, '\n', len)) {
		OPENSSL_cleanse(buf, len);
		free(buf);
		return km_err_set(e, -EINVAL, "pin-source %s: the PIN must be a single line", path);
	}
	*pin = strndup((char *)buf, len);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (!*pin)
		return km_err_set(e, -ENOMEM, "out of memory");
	return 0;
}

int km_uri_pin(const struct km_uri *u, const char *env, char **pin, struct km_err *e)
{
	const char *v = NULL;

	*pin = NULL;
	if (u && u->pin_value)
		v = u->pin_value;
	else if (u && u->pin_source)
		return pin_from_file(u->pin_source, pin, e);
	else if (env)
		v = getenv(env);
	if (!v)
		return 0;
	*pin = strdup(v);
	if (!*pin)
		return km_err_set(e, -ENOMEM, "out of memory");
	return 0;
}

char *km_uri_redact(const char *s)
{
	const char *p = strstr(s, "pin-value=");
	const char *end;
	char *out;

	if (!p)
		return strdup(s);
	end = strpbrk(p, "&;");
	if (asprintf(&out, "%.*spin-value=***%s", (int)(p - s), s, end ? end : "") < 0)
		return NULL;
	return out;
}
