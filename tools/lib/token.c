/* Access to a key in a PKCS#11 token through libp11's library API (no ENGINE, no provider). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libp11.h>
#include <openssl/err.h>

#include "cert.h"
#include "token.h"
#include "uri.h"

#define P11_KIT_PROXY "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so"

/*
 * libp11 (0.4.12) keeps at most 16 sessions per slot object, so that many
 * signatures at a time. Each enumeration of the slots makes new slot objects
 * with session pools of their own: a lane. Lane 0 is the token's own.
 */
#define LANE_SESSIONS 16
#define MAX_LANES     32

struct lane {
	PKCS11_SLOT *slots;
	unsigned int nslots;
	PKCS11_KEY *key;
};

struct km_token {
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	PKCS11_SLOT *slot;
	PKCS11_KEY *key;
	struct lane lanes[MAX_LANES]; /* [0] unused: lane 0 is slots/key above */
	unsigned int nlanes;
	char *module;
	bool loaded; /* PKCS11_CTX_unload crashes on a context that never loaded */
	struct km_uri uri;
};

static const char *default_module(void)
{
	const char *env = getenv("PKCS11_MODULE_PATH");

	if (env && *env)
		return env;
	return access(P11_KIT_PROXY, R_OK) == 0 ? P11_KIT_PROXY : NULL;
}

static int load_module(struct km_token *t, struct km_err *e)
{
	const char *path = t->uri.module_path ? t->uri.module_path : default_module();

	if (!path)
		return km_err_set(e, -ENOENT,
				  "no PKCS#11 module: give module-path= in the URI or "
				  "set PKCS11_MODULE_PATH");
	t->module = strdup(path);
	t->ctx = PKCS11_CTX_new();
	if (!t->module || !t->ctx)
		return km_err_set(e, -ENOMEM, "out of memory");
	if (access(path, R_OK) < 0)
		return km_err_set(e, -errno, "PKCS#11 module %s: %s", path, strerror(errno));
	if (PKCS11_CTX_load(t->ctx, path) < 0)
		return km_err_ssl(e, -EIO, "cannot load PKCS#11 module %s", path);
	t->loaded = true;
	if (PKCS11_enumerate_slots(t->ctx, &t->slots, &t->nslots) < 0)
		return km_err_ssl(e, -EIO, "PKCS#11 module %s: cannot list slots", path);
	return 0;
}

static bool field_matches(const char *want, const char *have)
{
	return !want || (have && streq(want, have));
}

static bool slot_matches(struct km_token *t, PKCS11_SLOT *slot)
{
	PKCS11_TOKEN *tok = slot->token;

	if (!tok || !tok->initialized)
		return false;
	if (t->uri.has_slot_id && PKCS11_get_slotid_from_slot(slot) != t->uri.slot_id)
		return false;
	return field_matches(t->uri.token, tok->label) &&
	       field_matches(t->uri.manufacturer, tok->manufacturer) &&
	       field_matches(t->uri.model, tok->model) &&
	       field_matches(t->uri.serial, tok->serialnr);
}

/* "a, b, c": the labels a user could have meant, for the error message. */
static void list_tokens(struct km_token *t, char *buf, size_t size)
{
	unsigned int i;
	size_t len = 0;

	buf[0] = '\0';
	for (i = 0; i < t->nslots && len + 1 < size; i++) {
		PKCS11_TOKEN *tok = t->slots[i].token;

		if (tok && tok->initialized)
			len += snprintf(buf + len, size - len, "%s'%s'", len ? ", " : "",
					tok->label);
	}
	if (!buf[0])
		snprintf(buf, size, "none");
}

static int find_slot(struct km_token *t, struct km_err *e)
{
	char names[256];
	unsigned int i;

	for (i = 0; i < t->nslots; i++) {
		if (!slot_matches(t, &t->slots[i]))
			continue;
		if (t->slot)
			return km_err_set(e, -ENOTUNIQ,
					  "several tokens match the URI; add token= or "
					  "serial= to choose one");
		t->slot = &t->slots[i];
	}
	if (t->slot)
		return 0;
	list_tokens(t, names, sizeof(names));
	if (t->uri.token)
		return km_err_set(e, -ENODEV, "no token labelled '%s' in %s (tokens: %s)",
				  t->uri.token, t->module, names);
	return km_err_set(e, -ENODEV, "no token matches the URI in %s (tokens: %s)", t->module,
			  names);
}

static int login(struct km_token *t, struct km_err *e)
{
	PKCS11_TOKEN *tok = t->slot->token;
	char *pin = NULL;
	int logged_in = 0, r;

	if (!tok->loginRequired)
		return 0;
	if (PKCS11_is_logged_in(t->slot, 0, &logged_in) == 0 && logged_in)
		return 0;
	r = km_uri_pin(&t->uri, "KBUILD_SIGN_PIN", &pin, e);
	if (r < 0)
		return r;
	if (!pin)
		return km_err_set(e, -EACCES,
				  "token '%s' needs a PIN: set KBUILD_SIGN_PIN or add "
				  "pin-source= to the URI",
				  tok->label);
	r = PKCS11_login(t->slot, 0, pin);
	km_pin_free(pin);
	if (r < 0)
		return km_err_ssl(e, -EACCES, "token '%s': login failed", tok->label);
	return 0;
}

static bool key_matches(const struct km_uri *u, const PKCS11_KEY *k)
{
	if (u->object && (!k->label || !streq(u->object, k->label)))
		return false;
	if (u->has_id && (k->id_len != u->id_len || memcmp(k->id, u->id, u->id_len) != 0))
		return false;
	return true;
}

static int find_key(struct km_token *t, struct km_err *e)
{
	PKCS11_KEY *keys;
	unsigned int n, i;

	if (t->uri.type && !streq(t->uri.type, "private"))
		return km_err_set(e, -EINVAL,
				  "the URI names a '%s' object; a private key is needed "
				  "(type=private)",
				  t->uri.type);
	if (PKCS11_enumerate_keys(t->slot->token, &keys, &n) < 0)
		return km_err_ssl(e, -EIO, "token '%s': cannot list keys", t->slot->token->label);
	for (i = 0; i < n; i++) {
		if (!key_matches(&t->uri, &keys[i]))
			continue;
		if (t->key)
			return km_err_set(e, -ENOTUNIQ,
					  "token '%s' holds several keys; add object= "
					  "or id= to the URI",
					  t->slot->token->label);
		t->key = &keys[i];
	}
	if (t->key)
		return 0;
	if (t->uri.object)
		return km_err_set(e, -ENOKEY, "token '%s' has no private key labelled '%s'",
				  t->slot->token->label, t->uri.object);
	return km_err_set(e, -ENOKEY, "token '%s' has no private key matching the URI",
			  t->slot->token->label);
}

static int open_session(struct km_token *t, unsigned int flags, struct km_err *e)
{
	/* libp11 drops its sessions when the mode changes, so choose before login. */
	if (PKCS11_open_session(t->slot, !!(flags & KM_TOKEN_RW)) < 0)
		return km_err_ssl(e, -EIO, "token '%s': cannot open a %s session",
				  t->slot->token->label,
				  flags & KM_TOKEN_RW ? "read-write" : "read-only");
	return 0;
}

int km_token_open(const char *uri, unsigned int flags, struct km_token **out, struct km_err *e)
{
	struct km_token *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return km_err_set(e, -ENOMEM, "out of memory");
	r = km_uri_parse(uri, &t->uri, e);
	if (r == 0)
		r = load_module(t, e);
	if (r == 0)
		r = find_slot(t, e);
	if (r == 0)
		r = open_session(t, flags, e);
	if (r == 0)
		r = login(t, e);
	if (r == 0)
		r = find_key(t, e);
	if (r < 0) {
		km_token_close(t);
		return r;
	}
	*out = t;
	return 0;
}

void km_token_close(struct km_token *t)
{
	unsigned int i;

	if (!t)
		return;
	for (i = 1; i < t->nlanes; i++)
		PKCS11_release_all_slots(t->ctx, t->lanes[i].slots, t->lanes[i].nslots);
	if (t->slots)
		PKCS11_release_all_slots(t->ctx, t->slots, t->nslots);
	if (t->loaded)
		PKCS11_CTX_unload(t->ctx);
	if (t->ctx)
		PKCS11_CTX_free(t->ctx);
	km_uri_clear(&t->uri);
	free(t->module);
	free(t);
}

int km_token_private_key(struct km_token *t, EVP_PKEY **out, struct km_err *e)
{
	*out = PKCS11_get_private_key(t->key);
	if (!*out)
		return km_err_ssl(e, -EIO, "token '%s': cannot use key '%s'", km_token_label(t),
				  km_token_key_label(t));
	return 0;
}

/* The key again, through a new enumeration of the slots: a new session pool. */
static int add_lane(struct km_token *t, struct lane *l, struct km_err *e)
{
	unsigned long id = PKCS11_get_slotid_from_slot(t->slot);
	PKCS11_SLOT *slot = NULL;
	PKCS11_KEY *keys;
	unsigned int n, i;

	/*
	 * No PKCS11_open_session here: on a new slot object it closes every
	 * session of the slot, the other lanes' (and their login) included.
	 */
	if (PKCS11_enumerate_slots(t->ctx, &l->slots, &l->nslots) < 0)
		return km_err_ssl(e, -EIO, "%s: cannot list the slots again", t->module);
	for (i = 0; i < l->nslots && !slot; i++)
		if (l->slots[i].token && PKCS11_get_slotid_from_slot(&l->slots[i]) == id)
			slot = &l->slots[i];
	if (!slot || PKCS11_enumerate_keys(slot->token, &keys, &n) < 0)
		return km_err_ssl(e, -EIO, "token '%s': cannot list keys again", km_token_label(t));
	for (i = 0; i < n && !l->key; i++)
		if (keys[i].id_len == t->key->id_len &&
		    memcmp(keys[i].id, t->key->id, t->key->id_len) == 0 &&
		    !!keys[i].label == !!t->key->label &&
		    (!keys[i].label || streq(keys[i].label, t->key->label)))
			l->key = &keys[i];
	if (!l->key)
		return km_err_set(e, -ENOKEY, "token '%s': key '%s' not found again",
				  km_token_label(t), km_token_key_label(t));
	return 0;
}

int km_token_lanes(struct km_token *t, unsigned int sessions, struct km_err *e)
{
	unsigned int want = (sessions + LANE_SESSIONS - 1) / LANE_SESSIONS;
	int r;

	if (want > MAX_LANES)
		want = MAX_LANES;
	if (t->nlanes == 0)
		t->nlanes = 1;
	while (t->nlanes < want) {
		r = add_lane(t, &t->lanes[t->nlanes], e);
		if (r < 0) {
			PKCS11_release_all_slots(t->ctx, t->lanes[t->nlanes].slots,
						 t->lanes[t->nlanes].nslots);
			memset(&t->lanes[t->nlanes], 0, sizeof(t->lanes[0]));
			return r;
		}
		t->nlanes++;
	}
	return (int)t->nlanes;
}

int km_token_lane_key(struct km_token *t, unsigned int lane, EVP_PKEY **out, struct km_err *e)
{
	PKCS11_KEY *k = lane == 0 ? t->key : lane < t->nlanes ? t->lanes[lane].key : NULL;

	*out = k ? PKCS11_get_private_key(k) : NULL;
	if (!*out)
		return km_err_ssl(e, -EIO, "token '%s': cannot use key '%s'", km_token_label(t),
				  km_token_key_label(t));
	return 0;
}

int km_token_public_key(struct km_token *t, EVP_PKEY **out, struct km_err *e)
{
	*out = PKCS11_get_public_key(t->key);
	if (!*out)
		return km_err_ssl(e, -EIO, "token '%s': cannot read the public key of '%s'",
				  km_token_label(t), km_token_key_label(t));
	return 0;
}

static bool same_id(const PKCS11_CERT *c, const PKCS11_KEY *k)
{
	return k->id_len && c->id_len == k->id_len && memcmp(c->id, k->id, k->id_len) == 0;
}

static bool same_label(const PKCS11_CERT *c, const PKCS11_KEY *k)
{
	return k->label && c->label && streq(c->label, k->label);
}

int km_token_find_cert(struct km_token *t, X509 **out, struct km_err *e)
{
	PKCS11_CERT *certs, *found = NULL;
	unsigned int n, i;

	if (PKCS11_enumerate_certs(t->slot->token, &certs, &n) < 0)
		return km_err_ssl(e, -EIO, "token '%s': cannot list certificates",
				  km_token_label(t));
	for (i = 0; i < n && !found; i++)
		if (same_id(&certs[i], t->key))
			found = &certs[i];
	for (i = 0; i < n && !found; i++)
		if (same_label(&certs[i], t->key))
			found = &certs[i];
	if (!found || !found->x509)
		return km_err_set(e, -ENOENT, "token '%s' has no certificate for key '%s'",
				  km_token_label(t), km_token_key_label(t));
	*out = X509_dup(found->x509);
	if (!*out)
		return km_err_set(e, -ENOMEM, "out of memory");
	return 0;
}

int km_token_store_cert(struct km_token *t, X509 *cert, struct km_err *e)
{
	if (PKCS11_store_certificate(t->slot->token, cert, t->key->label, t->key->id,
				     t->key->id_len, NULL) < 0)
		return km_err_ssl(e, -EIO, "token '%s': cannot store the certificate",
				  km_token_label(t));
	return 0;
}

const char *km_token_label(const struct km_token *t)
{
	return t->slot->token->label;
}

const char *km_token_key_label(const struct km_token *t)
{
	return t->key && t->key->label ? t->key->label : "(no label)";
}

const char *km_token_module(const struct km_token *t)
{
	return t->module;
}

void km_token_key_id(const struct km_token *t, char *buf, size_t size)
{
	km_hex(t->key->id, t->key->id_len, buf, size);
}
