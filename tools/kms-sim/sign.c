/* kms-sim: CKM_RSA_PKCS and CKM_ECDSA signing as aws-kms-pkcs11 asks KMS for it
 * (MessageType=DIGEST). */
#include <string.h>
#include <time.h>

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "sim.h"

/* One KMS Sign request: the digest and the hash KMS is told it is. */
struct sign_req {
	const EVP_MD *md; /* RSA only */
	const unsigned char *digest;
	size_t len;
};

static const unsigned char di_sha256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
					   0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
					   0x01, 0x05, 0x00, 0x04, 0x20 };
static const unsigned char di_sha384[] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60,
					   0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
					   0x02, 0x05, 0x00, 0x04, 0x30 };
static const unsigned char di_sha512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60,
					   0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
					   0x03, 0x05, 0x00, 0x04, 0x40 };

static bool strip_prefix(struct sign_req *r, const unsigned char *prefix, size_t plen,
			 const EVP_MD *md)
{
	if (r->len < plen || memcmp(r->digest, prefix, plen) != 0)
		return false;
	r->md = md;
	r->digest += plen;
	r->len -= plen;
	return true;
}

/*
 * As aws-kms-pkcs11: a SHA-256/384/512 DigestInfo names its hash; anything
 * else is taken as a bare digest whose hash is guessed from its length
 * (up to 32 bytes SHA-256, 48 SHA-384, 64 SHA-512). KMS then refuses a
 * digest of the wrong size, which reaches the caller as CKR_FUNCTION_FAILED.
 */
static CK_RV rsa_request(struct sign_req *r)
{
	if (!strip_prefix(r, di_sha256, sizeof(di_sha256), EVP_sha256()) &&
	    !strip_prefix(r, di_sha384, sizeof(di_sha384), EVP_sha384()) &&
	    !strip_prefix(r, di_sha512, sizeof(di_sha512), EVP_sha512()))
		r->md = r->len <= 32   ? EVP_sha256()
			: r->len <= 48 ? EVP_sha384()
			: r->len <= 64 ? EVP_sha512()
				       : NULL;
	if (!r->md) {
		sim_debug("Invalid data length for RSA signature: %zu", r->len);
		return CKR_ARGUMENTS_BAD;
	}
	if (r->len != (size_t)EVP_MD_size(r->md)) {
		sim_debug("Error signing: ValidationException: Digest is invalid length for "
			  "algorithm RSASSA_PKCS1_V1_5_%s",
			  EVP_MD_name(r->md));
		return CKR_FUNCTION_FAILED;
	}
	return CKR_OK;
}

static CK_RV make_request(const struct sim_slot *s, CK_MECHANISM_TYPE mech, struct sign_req *r)
{
	if (mech == CKM_RSA_PKCS)
		return rsa_request(r);
	/* The curve fixes the algorithm: ECDSA_SHA_256 for P-256, and so on. */
	if (r->len != s->digest_len) {
		sim_debug("Error signing: ValidationException: Digest is invalid length for "
			  "algorithm ECDSA_SHA_%zu",
			  s->digest_len * 8);
		return CKR_FUNCTION_FAILED;
	}
	return CKR_OK;
}

/* The length C_Sign reports: the modulus size, or r||s; the old unpadded build reported ECDSA_size.
 */
static size_t sig_len(const struct sim_slot *s, const struct sim_kms *k)
{
	if (s->key_type == CKK_RSA)
		return EVP_PKEY_size(s->key);
	return k->ecdsa_nopad ? (size_t)EVP_PKEY_size(s->key) : 2 * s->field_len;
}

static bool pkey_sign(const struct sim_slot *s, const struct sign_req *r, unsigned char *out,
		      size_t *len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(s->key, NULL);
	bool ok = ctx && EVP_PKEY_sign_init(ctx) > 0;

	if (ok && s->key_type == CKK_RSA)
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_signature_md(ctx, r->md) > 0;
	ok = ok && EVP_PKEY_sign(ctx, out, len, r->digest, r->len) > 0;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* KMS returns DER; aws-kms-pkcs11 turns it into r||s, padded (or, in its old bug, not). */
static bool der_to_raw(const struct sim_slot *s, bool nopad, const unsigned char *der,
		       size_t der_len, unsigned char *out, CK_ULONG *out_len)
{
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &der, der_len);
	const BIGNUM *r, *ss;
	int n;

	if (!sig)
		return false;
	ECDSA_SIG_get0(sig, &r, &ss);
	if (nopad) {
		n = BN_bn2bin(r, out);
		n += BN_bn2bin(ss, out + n);
	} else {
		n = BN_bn2binpad(r, out, s->field_len);
		n = n < 0 ? n : n + BN_bn2binpad(ss, out + s->field_len, s->field_len);
	}
	ECDSA_SIG_free(sig);
	*out_len = n;
	return n > 0;
}

static CK_RV do_sign(const struct sim_slot *s, bool nopad, const struct sign_req *r,
		     unsigned char *out, CK_ULONG *out_len)
{
	unsigned char der[256];
	size_t len = sizeof(der);
	bool ok;

	if (s->key_type == CKK_RSA) {
		len = *out_len;
		ok = pkey_sign(s, r, out, &len);
		*out_len = len;
	} else {
		ok = pkey_sign(s, r, der, &len) && der_to_raw(s, nopad, der, len, out, out_len);
	}
	ERR_clear_error();
	return ok ? CKR_OK : CKR_FUNCTION_FAILED;
}

CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
	struct sim_session *sess;
	CK_RV rv = CKR_OK;
	CK_KEY_TYPE want;

	if (!mech)
		return CKR_ARGUMENTS_BAD;
	want = mech->mechanism == CKM_RSA_PKCS ? CKK_RSA : CKK_EC;
	pthread_mutex_lock(&sim_lock);
	sess = sim_session_get(h);
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (!sess)
		rv = CKR_SESSION_HANDLE_INVALID;
	else if (sess->signing)
		rv = CKR_OPERATION_ACTIVE;
	else if (key != SIM_KEY_HANDLE)
		rv = CKR_KEY_HANDLE_INVALID;
	else if (mech->mechanism != CKM_RSA_PKCS && mech->mechanism != CKM_ECDSA)
		rv = CKR_MECHANISM_INVALID;
	else if (sim_state->slots[sess->slot].key_type != want)
		rv = CKR_KEY_TYPE_INCONSISTENT;
	if (rv == CKR_OK) {
		sess->signing = true;
		sess->mech = mech->mechanism;
	}
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

/*
 * Under sim_lock: the checks that precede the KMS call. *done is set when
 * C_Sign returns now (a length query, an error); otherwise the operation
 * ends here, as C_Sign ends it whatever the outcome.
 */
static CK_RV sign_begin(CK_SESSION_HANDLE h, struct sign_req *r, unsigned char *out,
			CK_ULONG *out_len, const struct sim_slot **slot, struct sim_ticket *t,
			bool *done)
{
	struct sim_session *sess = sim_session_get(h);
	CK_RV rv;
	size_t n;

	*done = true;
	if (!sim_state)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (!sess)
		return CKR_SESSION_HANDLE_INVALID;
	if (!sess->signing)
		return CKR_OPERATION_NOT_INITIALIZED;
	*slot = &sim_state->slots[sess->slot];
	n = sig_len(*slot, &sim_state->kms);
	if (!out || *out_len < n) {
		rv = out ? CKR_BUFFER_TOO_SMALL : CKR_OK;
		*out_len = n;
		return rv;
	}
	sess->signing = false;
	rv = make_request(*slot, sess->mech, r);
	if (rv == CKR_OK)
		rv = sim_kms_admit(&sim_state->kms, t);
	*done = rv != CKR_OK && t->sleep_ms == 0;
	return rv;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

CK_RV C_Sign(CK_SESSION_HANDLE h, unsigned char *data, CK_ULONG len, unsigned char *out,
	     CK_ULONG *out_len)
{
	struct sign_req r = { .digest = data, .len = len };
	struct sim_ticket t = { 0 };
	const struct sim_slot *slot = NULL;
	bool done, nopad;
	CK_RV rv;

	if (!data || !out_len)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&sim_lock);
	rv = sign_begin(h, &r, out, out_len, &slot, &t, &done);
	nopad = sim_state && sim_state->kms.ecdsa_nopad;
	pthread_mutex_unlock(&sim_lock);
	if (done)
		return rv;
	/* The round trip happens outside the lock, so that sessions overlap as KMS calls do. */
	sleep_ms(t.sleep_ms);
	if (rv != CKR_OK)
		return rv;
	rv = do_sign(slot, nopad, &r, out, out_len);
	if (rv == CKR_OK && t.corrupt && *out_len)
		out[(t.corrupt_bit / 8) % *out_len] ^= 1u << (t.corrupt_bit % 8);
	pthread_mutex_lock(&sim_lock);
	if (sim_state)
		sim_kms_done(&sim_state->kms, rv == CKR_OK);
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

/* aws-kms-pkcs11 hashes nothing itself, so there is no multi-part signing. */
CK_RV C_SignUpdate(CK_SESSION_HANDLE h, unsigned char *part, CK_ULONG len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SignFinal(CK_SESSION_HANDLE h, unsigned char *out, CK_ULONG *out_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}
