/* The aws-kms-pkcs11 JSON config: search path, parsing, and writing certificate_path back. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "awscfg.h"
#include "fileio.h"

#define CONFIG_MAX	(1024 * 1024)
#define TOKEN_LABEL_MAX 32

static void json_putp(struct json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

static int bad_json(const char *path, const char *buf, size_t end, const char *why,
		    struct km_err *e)
{
	unsigned line = 1;
	size_t i;

	for (i = 0; i < end; i++)
		line += buf[i] == '\n';
	return km_err_set(e, -EINVAL, "%s: invalid JSON: %s at line %u (offset %zu)", path, why,
			  line, end);
}

/* Parses as aws-kms-pkcs11 does: json-c's default (lenient) tokener over the whole file. */
static int parse_json(const char *path, const char *buf, size_t len, struct json_object **out,
		      struct km_err *e)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	size_t end;

	if (len > INT32_MAX)
		return km_err_set(e, -EFBIG, "%s: file too large", path);
	tok = json_tokener_new();
	if (!tok)
		return km_err_set(e, -ENOMEM, "out of memory");
	*out = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (*out)
		return 0;
	if (jerr == json_tokener_continue || jerr == json_tokener_success)
		return bad_json(path, buf, end, "unexpected end of file", e);
	return bad_json(path, buf, end, json_tokener_error_desc(jerr), e);
}

static int read_json(const char *path, struct json_object **out, struct km_err *e)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len;
	int r;

	r = km_read_file(path, &buf, &len, CONFIG_MAX, e);
	if (r < 0)
		return r;
	return parse_json(path, (const char *)buf, len, out, e);
}

static int config_candidates(char *paths[2])
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	paths[0] = paths[1] = NULL;
	/* As aws-kms-pkcs11: a set XDG_CONFIG_HOME is used even when empty. */
	if (xdg && asprintf(&paths[0], "%s/aws-kms-pkcs11/config.json", xdg) < 0)
		return -ENOMEM;
	if (!xdg && home && asprintf(&paths[0], "%s/.config/aws-kms-pkcs11/config.json", home) < 0)
		return -ENOMEM;
	paths[1] = strdup("/etc/aws-kms-pkcs11/config.json");
	return paths[1] ? 0 : -ENOMEM;
}

/* 1: this config wins, 0: skip it (missing or broken), <0: out of memory. */
static int try_candidate(const char *path, char **path_out, struct km_err *first, bool *broken)
{
	_cleanup_json_ struct json_object *root = NULL;
	struct km_err e = { 0 };

	if (access(path, F_OK) < 0)
		return 0;
	if (read_json(path, &root, &e) < 0) {
		if (!*broken)
			*first = e;
		*broken = true;
		return 0;
	}
	*path_out = strdup(path);
	return *path_out ? 1 : -ENOMEM;
}

int km_awscfg_find(char **path_out, struct km_err *e)
{
	char *paths[2];
	struct km_err first = { 0 };
	bool broken = false;
	int i, r = config_candidates(paths);

	for (i = 0; r == 0 && i < 2; i++)
		if (paths[i])
			r = try_candidate(paths[i], path_out, &first, &broken);
	if (r < 0)
		km_err_set(e, r, "out of memory");
	else if (r == 0 && broken && e)
		*e = first;
	else if (r == 0)
		km_err_set(e, -ENOENT, "no aws-kms-pkcs11 config: neither %s nor %s exists",
			   paths[0] ? paths[0] : "$HOME/.config/aws-kms-pkcs11/config.json",
			   paths[1]);
	free(paths[0]);
	free(paths[1]);
	if (r == 0)
		r = broken ? first.code : -ENOENT;
	return r > 0 ? 0 : r;
}

/* A string member, or NULL when absent or not a string (aws-kms-pkcs11 ignores those). */
static const char *get_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int dup_str(struct json_object *obj, const char *key, char **out)
{
	const char *s = get_str(obj, key);

	*out = NULL;
	if (s && !(*out = strdup(s)))
		return -ENOMEM;
	return 0;
}

/* A path from the config: relative ones are relative to the config file's directory. */
static int dup_path(struct json_object *obj, const char *key, const char *dir, char **out)
{
	const char *s = get_str(obj, key);

	*out = NULL;
	if (!s)
		return 0;
	if (s[0] == '/' || !s[0])
		*out = strdup(s);
	else if (asprintf(out, "%s/%s", dir, s) < 0)
		*out = NULL;
	return *out ? 0 : -ENOMEM;
}

static int parse_slot(struct json_object *obj, const char *dir, struct km_awscfg_slot *s)
{
	int r = 0;

	r |= dup_str(obj, "label", &s->label);
	r |= dup_str(obj, "kms_key_id", &s->kms_key_id);
	r |= dup_str(obj, "aws_region", &s->aws_region);
	r |= dup_str(obj, "certificate", &s->certificate);
	r |= dup_path(obj, "certificate_path", dir, &s->certificate_path);
	r |= dup_str(obj, "certificate_arn", &s->certificate_arn);
	r |= dup_str(obj, "ca_arn", &s->ca_arn);
	r |= dup_path(obj, "sim_key_file", dir, &s->sim_key_file);
	return r ? -ENOMEM : 0;
}

static int parse_slots(const char *path, struct json_object *arr, struct km_awscfg *cfg,
		       struct km_err *e)
{
	_cleanup_free_ char *dcopy = strdup(path);
	size_t i, n = json_object_array_length(arr);

	cfg->slots = calloc(n ? n : 1, sizeof(*cfg->slots));
	if (!cfg->slots || !dcopy)
		return km_err_set(e, -ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct json_object *obj = json_object_array_get_idx(arr, i);

		/* aws-kms-pkcs11 skips entries that are not objects. */
		if (!json_object_is_type(obj, json_type_object))
			continue;
		if (parse_slot(obj, dirname(dcopy), &cfg->slots[cfg->n_slots++]) < 0)
			return km_err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_config(const char *path, struct json_object *root, struct km_awscfg *cfg,
			struct km_err *e)
{
	struct json_object *slots;

	if (!json_object_is_type(root, json_type_object))
		return km_err_set(e, -EINVAL, "%s: the top level is not a JSON object", path);
	if (dup_str(root, "aws_region", &cfg->aws_region) < 0)
		return km_err_set(e, -ENOMEM, "out of memory");
	if (!json_object_object_get_ex(root, "slots", &slots))
		return 0;
	if (!json_object_is_type(slots, json_type_array))
		return km_err_set(e, -EINVAL, "%s: \"slots\" is not an array", path);
	return parse_slots(path, slots, cfg, e);
}

int km_awscfg_load(const char *path, struct km_awscfg *cfg, struct km_err *e)
{
	_cleanup_json_ struct json_object *root = NULL;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	r = read_json(path, &root, e);
	if (r < 0)
		return r;
	cfg->path = strdup(path);
	if (!cfg->path)
		r = km_err_set(e, -ENOMEM, "out of memory");
	if (r == 0)
		r = parse_config(path, root, cfg, e);
	if (r < 0)
		km_awscfg_free(cfg);
	return r;
}

int km_awscfg_load_default(struct km_awscfg *cfg, struct km_err *e)
{
	_cleanup_free_ char *path = NULL;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	r = km_awscfg_find(&path, e);
	if (r < 0)
		return r;
	return km_awscfg_load(path, cfg, e);
}

static void slot_free(struct km_awscfg_slot *s)
{
	free(s->label);
	free(s->kms_key_id);
	free(s->aws_region);
	free(s->certificate);
	free(s->certificate_path);
	free(s->certificate_arn);
	free(s->ca_arn);
	free(s->sim_key_file);
}

void km_awscfg_free(struct km_awscfg *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_slots; i++)
		slot_free(&cfg->slots[i]);
	free(cfg->slots);
	free(cfg->path);
	free(cfg->aws_region);
	memset(cfg, 0, sizeof(*cfg));
}

static const char *name_of(const char *label, const char *key_id)
{
	if (label && label[0])
		return label;
	return key_id ? key_id : "";
}

const char *km_awscfg_slot_name(const struct km_awscfg_slot *s)
{
	return name_of(s->label, s->kms_key_id);
}

/* 2: exact match, 1: the token label is the 32-byte truncation of name, 0: no match. */
static int name_matches(const char *name, const char *token_label)
{
	if (streq(name, token_label))
		return 2;
	if (strlen(token_label) == TOKEN_LABEL_MAX &&
	    strncmp(name, token_label, TOKEN_LABEL_MAX) == 0)
		return 1;
	return 0;
}

const struct km_awscfg_slot *km_awscfg_find_slot(const struct km_awscfg *cfg,
						 const char *token_label)
{
	const struct km_awscfg_slot *prefix = NULL;
	size_t i;

	for (i = 0; i < cfg->n_slots; i++) {
		int m = name_matches(km_awscfg_slot_name(&cfg->slots[i]), token_label);

		if (m == 2)
			return &cfg->slots[i];
		if (m == 1 && !prefix)
			prefix = &cfg->slots[i];
	}
	return prefix;
}

static struct json_object *find_slot_json(struct json_object *root, const char *token_label)
{
	struct json_object *slots, *prefix = NULL;
	size_t i, n;

	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "slots", &slots) ||
	    !json_object_is_type(slots, json_type_array))
		return NULL;
	n = json_object_array_length(slots);
	for (i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(slots, i);
		int m;

		if (!json_object_is_type(s, json_type_object))
			continue;
		m = name_matches(name_of(get_str(s, "label"), get_str(s, "kms_key_id")),
				 token_label);
		if (m == 2)
			return s;
		if (m == 1 && !prefix)
			prefix = s;
	}
	return prefix;
}

static int absolute_path(const char *path, char **out, struct km_err *e)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		*out = strdup(path);
	else if (!getcwd(cwd, sizeof(cwd)))
		return km_err_set(e, -errno, "cannot get the working directory: %s",
				  strerror(errno));
	else if (asprintf(out, "%s/%s", cwd, path) < 0)
		*out = NULL;
	return *out ? 0 : km_err_set(e, -ENOMEM, "out of memory");
}

static int write_json(const char *path, const char *shown, struct json_object *root,
		      struct km_err *e)
{
	const int flags =
		JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE;
	const char *text = json_object_to_json_string_ext(root, flags);
	struct km_tmpfile t;
	struct stat st;
	int r;

	if (!text)
		return km_err_set(e, -ENOMEM, "out of memory");
	if (stat(path, &st) < 0)
		return km_err_set(e, -errno, "%s: %s", shown, strerror(errno));
	r = km_tmpfile_open(&t, path, e);
	if (r == 0)
		r = km_tmpfile_write(&t, text, strlen(text), e);
	if (r == 0)
		r = km_tmpfile_write(&t, "\n", 1, e);
	if (r == 0 && geteuid() == 0 && fchown(t.fd, st.st_uid, st.st_gid) < 0)
		r = km_err_set(e, -errno, "%s: cannot keep the owner: %s", shown, strerror(errno));
	if (r < 0) {
		km_tmpfile_abort(&t);
		return r;
	}
	return km_tmpfile_commit(&t, st.st_mode, e);
}

static int set_path(struct json_object *slot, const char *shown, const char *label,
		    const char *cert_path, unsigned flags, struct km_err *e)
{
	struct json_object *v;

	if (json_object_object_get_ex(slot, "certificate", NULL)) {
		if (!(flags & KM_AWSCFG_REPLACE_INLINE))
			return km_err_set(e, -EEXIST,
					  "%s: slot '%s' already has an inline \"certificate\"; "
					  "remove it to store certificate_path instead",
					  shown, label);
		json_object_object_del(slot, "certificate");
	}
	v = json_object_new_string(cert_path);
	if (!v || json_object_object_add(slot, "certificate_path", v) < 0) {
		json_object_put(v);
		return km_err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

int km_awscfg_set_certificate_path_ex(const char *cfgpath, const char *slot_label,
				      const char *cert_path, unsigned flags, struct km_err *e)
{
	_cleanup_free_ char *real = NULL, *abs = NULL;
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *slot;
	int r;

	/* Write through a symlinked config rather than replacing the link. */
	real = realpath(cfgpath, NULL);
	if (!real)
		return km_err_set(e, -errno, "%s: %s", cfgpath, strerror(errno));
	r = absolute_path(cert_path, &abs, e);
	if (r == 0)
		r = read_json(real, &root, e);
	if (r < 0)
		return r;
	slot = find_slot_json(root, slot_label);
	if (!slot)
		return km_err_set(e, -ENOENT, "%s: no slot labelled '%s'", cfgpath, slot_label);
	r = set_path(slot, cfgpath, slot_label, abs, flags, e);
	if (r < 0)
		return r;
	return write_json(real, cfgpath, root, e);
}

int km_awscfg_set_certificate_path(const char *cfgpath, const char *slot_label,
				   const char *cert_path, struct km_err *e)
{
	return km_awscfg_set_certificate_path_ex(cfgpath, slot_label, cert_path, 0, e);
}
