/* Access to a key (and its certificate) in a PKCS#11 token, through libp11. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"

struct km_token;

/*
 * Opens the token and key named by an RFC 7512 URI. The module comes from
 * module-path, else $PKCS11_MODULE_PATH, else p11-kit's proxy. The PIN comes
 * from pin-value, pin-source or $KBUILD_SIGN_PIN; it is wiped after login.
 * The key must be unique: give object= or id= when the token holds several.
 */
enum { KM_TOKEN_RW = 1 << 0 }; /* open read-write, to store a certificate */
int km_token_open(const char *uri, unsigned int flags, struct km_token **out,
		  struct km_err *e) _must_check_;
void km_token_close(struct km_token *t);

/* A key whose signing operations go to the token (thread-safe; libp11 pools sessions). */
int km_token_private_key(struct km_token *t, EVP_PKEY **out, struct km_err *e) _must_check_;
int km_token_public_key(struct km_token *t, EVP_PKEY **out, struct km_err *e) _must_check_;

/*
 * libp11 signs through at most 16 sessions of a slot at a time. For more,
 * km_token_lanes sets up ceil(sessions / 16) lanes, each with a session pool
 * of its own, and returns how many there are; km_token_lane_key gives the
 * key through lane i. Call both before going parallel.
 */
int km_token_lanes(struct km_token *t, unsigned int sessions, struct km_err *e) _must_check_;
int km_token_lane_key(struct km_token *t, unsigned int lane, EVP_PKEY **out,
		      struct km_err *e) _must_check_;

/* The token's certificate for the key: matched by id, else by label. -ENOENT if none. */
int km_token_find_cert(struct km_token *t, X509 **out, struct km_err *e) _must_check_;

/* Stores a certificate object with the key's id and label (needs KM_TOKEN_RW). */
int km_token_store_cert(struct km_token *t, X509 *cert, struct km_err *e) _must_check_;

const char *km_token_label(const struct km_token *t);
const char *km_token_key_label(const struct km_token *t);
const char *km_token_module(const struct km_token *t);
/* Key id as lowercase hex. */
void km_token_key_id(const struct km_token *t, char *buf, size_t size);
