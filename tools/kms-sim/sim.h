/* kms-sim: a PKCS#11 module that behaves as aws-kms-pkcs11 does, with a local key and KMS-like
 * conditions. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "macros.h"

/* The object handles aws-kms-pkcs11 uses in every token. */
#define SIM_KEY_HANDLE	1UL
#define SIM_CERT_HANDLE 2UL

struct sim_bytes {
	unsigned char *p;
	size_t len;
};

struct sim_slot {
	char *label;  /* token label and CKA_LABEL: the slot label, else the key id */
	char *key_id; /* CKA_ID: the kms_key_id bytes */
	EVP_PKEY *key;
	CK_KEY_TYPE key_type;
	size_t field_len;  /* EC: bytes of r and of s */
	size_t digest_len; /* EC: the digest size the curve's KMS algorithm takes */
	/* Public attributes, DER or big-endian, computed once at C_Initialize. */
	struct sim_bytes modulus, exponent, ec_params, ec_point;
	bool has_cert;
	struct sim_bytes cert, subject, issuer, serial;
	bool logged_in;
	bool pubkey_fetched; /* the GetPublicKey round trip was paid in this process */
};

struct sim_session {
	CK_SESSION_HANDLE handle;
	CK_SLOT_ID slot;
	CK_FLAGS flags;
	bool finding;
	CK_ATTRIBUTE *tmpl;
	CK_ULONG n_tmpl;
	CK_OBJECT_HANDLE next;
	bool signing;
	CK_MECHANISM_TYPE mech;
};

/* KMS-like conditions (KMS_SIM_* environment, read at C_Initialize) and counters. */
struct sim_kms {
	unsigned long latency_ms, throttle_pct, rate_limit, concurrency;
	unsigned long connect_ms; /* a new KMS client's TCP and TLS handshakes */
	unsigned long corrupt_pct, hang_ms, hang_pct;
	long long fail_after; /* -1: never */
	bool ecdsa_nopad;
	char *stats_file;
	uint64_t rng;
	struct timespec *window; /* the last rate_limit admissions, a ring */
	size_t window_pos;
	unsigned long signs, throttled, inflight, max_inflight;
};

/* What one admitted (or refused) sign call must do outside the lock. */
struct sim_ticket {
	unsigned long sleep_ms;
	bool corrupt;
	uint64_t corrupt_bit;
};

struct sim {
	struct sim_slot *slots;
	size_t n_slots;
	struct sim_session **sessions;
	size_t n_sessions, cap_sessions;
	CK_SESSION_HANDLE next_handle;
	struct sim_kms kms;
};

/*
 * A PKCS#11 module is a process-wide singleton by its API: the state lives
 * in one place, guarded by sim_lock. NULL when not initialized.
 */
extern pthread_mutex_t sim_lock;
extern struct sim *sim_state;

/* Prints to stderr only when AWS_KMS_PKCS11_DEBUG is set, as aws-kms-pkcs11's debug(). */
void sim_debug(const char *fmt, ...) _printf_(1, 2);

/* Under sim_lock: the session, or NULL. */
struct sim_session *sim_session_get(CK_SESSION_HANDLE h);

CK_RV sim_slots_load(struct sim *s);
void sim_slots_free(struct sim *s);

/* The value of one attribute of an object; false when the object has no such attribute. */
struct sim_attr {
	const void *p;
	CK_ULONG len;
	CK_ULONG ul;
	CK_BBOOL b;
};
bool sim_object_exists(const struct sim_slot *s, CK_OBJECT_HANDLE h);
bool sim_object_attr(const struct sim_slot *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		     struct sim_attr *v);
void sim_find_clear(struct sim_session *sess);

CK_RV sim_kms_init(struct sim_kms *k);
void sim_kms_fini(struct sim_kms *k);
/* The time one KMS call takes: a new client's connection, then the round trip. */
unsigned long sim_kms_call_ms(const struct sim_kms *k);
/* Under sim_lock: admits a sign call or refuses it as KMS would (throttled, gone). */
CK_RV sim_kms_admit(struct sim_kms *k, struct sim_ticket *t);
/* Under sim_lock: an admitted call finished. */
void sim_kms_done(struct sim_kms *k, bool ok);
