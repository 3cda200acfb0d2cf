/* The aws-kms-pkcs11 JSON config: search path, parsing, and writing certificate_path back. */
#pragma once

#include <stddef.h>

#include "err.h"

/*
 * One entry of "slots". Absent keys (and keys of the wrong JSON type, which
 * aws-kms-pkcs11 ignores too) are NULL. certificate_path and sim_key_file
 * are resolved: a relative path is taken relative to the config file's
 * directory. aws-kms-pkcs11 itself opens certificate_path relative to the
 * signing process's working directory, so kmsign only ever writes absolute
 * paths.
 */
struct km_awscfg_slot {
	char *label;
	char *kms_key_id;
	char *aws_region;
	char *certificate;	/* base64 DER */
	char *certificate_path; /* PEM file */
	char *certificate_arn;
	char *ca_arn;
	char *sim_key_file; /* PEM private key; read only by the kms-sim stand-in */
};

struct km_awscfg {
	char *path;
	char *aws_region;
	struct km_awscfg_slot *slots;
	size_t n_slots;
};

/*
 * The config aws-kms-pkcs11 would use: $XDG_CONFIG_HOME (else
 * $HOME/.config)/aws-kms-pkcs11/config.json, then
 * /etc/aws-kms-pkcs11/config.json; the first that exists and parses wins.
 * -ENOENT when none exists; when only broken ones exist, the first one's
 * parse error.
 */
int km_awscfg_find(char **path_out, struct km_err *e) _must_check_;

/* Loads and parses one config file. Free with km_awscfg_free. */
int km_awscfg_load(const char *path, struct km_awscfg *cfg, struct km_err *e) _must_check_;

/* Finds the config with km_awscfg_find and loads it. */
int km_awscfg_load_default(struct km_awscfg *cfg, struct km_err *e) _must_check_;

void km_awscfg_free(struct km_awscfg *cfg);

/* The token label aws-kms-pkcs11 gives a slot: its label, else its kms_key_id. */
const char *km_awscfg_slot_name(const struct km_awscfg_slot *s);

/*
 * The slot whose token label is token_label. Token labels are at most 32
 * bytes, so a 32-byte token_label also matches a longer name (a key id)
 * that starts with it; an exact match wins.
 */
const struct km_awscfg_slot *km_awscfg_find_slot(const struct km_awscfg *cfg,
						 const char *token_label);

/* Replace a slot's inline "certificate" (by removing it) instead of refusing. */
#define KM_AWSCFG_REPLACE_INLINE (1u << 0)

/*
 * Sets certificate_path (made absolute) in the slot named slot_label,
 * adding or replacing it, and rewrites the config atomically with the same
 * mode (and owner when run as root). Every other key and value, unknown
 * ones included, is kept in its order; the layout is normalized to json-c's
 * two-space pretty printing. A broken config is left as it is. A slot with
 * an inline "certificate" is refused (-EEXIST) unless
 * KM_AWSCFG_REPLACE_INLINE is given, since aws-kms-pkcs11 prefers
 * certificate_path and would silently shadow that certificate.
 */
int km_awscfg_set_certificate_path_ex(const char *cfgpath, const char *slot_label,
				      const char *cert_path, unsigned flags,
				      struct km_err *e) _must_check_;

/* km_awscfg_set_certificate_path_ex without flags. */
int km_awscfg_set_certificate_path(const char *cfgpath, const char *slot_label,
				   const char *cert_path, struct km_err *e) _must_check_;
