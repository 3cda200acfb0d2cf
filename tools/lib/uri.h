/* RFC 7512 PKCS#11 URIs: "pkcs11:token=kernel;object=signing?pin-source=file:/run/pin". */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct km_uri {
	char *token;
	char *manufacturer;
	char *model;
	char *serial;
	char *object;
	char *type; /* "private", "public", "cert", ... */
	unsigned char *id;
	size_t id_len;
	bool has_id;
	unsigned long slot_id;
	bool has_slot_id;
	char *module_path;
	char *module_name;
	char *pin_value;  /* wiped by km_uri_clear */
	char *pin_source; /* "file:/path" or a plain path */
};

bool km_is_pkcs11_uri(const char *s);

/* Parses a URI; percent-encoding is decoded. Unknown attributes (other than x-*) are errors. */
int km_uri_parse(const char *s, struct km_uri *u, struct km_err *e) _must_check_;

/* Frees the fields and wipes the PIN. */
void km_uri_clear(struct km_uri *u);

/*
 * Resolves the PIN: pin-value, else pin-source (file, first line), else the
 * environment variable env (KBUILD_SIGN_PIN). *pin is NULL when none is given.
 * Free with km_pin_free, which wipes it.
 */
int km_uri_pin(const struct km_uri *u, const char *env, char **pin, struct km_err *e) _must_check_;
void km_pin_free(char *pin);

/* The URI without its pin-value, safe to print in messages. */
char *km_uri_redact(const char *s);
