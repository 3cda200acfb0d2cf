/* kms-sim: one token per aws-kms-pkcs11 config slot, its key from sim_key_file and its optional
 * certificate. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "awscfg.h"
#include "sim.h"

static void bytes_free(struct sim_bytes *b)
{
	OPENSSL_free(b->p);
	b->p = NULL;
	b->len = 0;
}

static bool bytes_bn(struct sim_bytes *b, const BIGNUM *bn)
{
	b->len = BN_num_bytes(bn);
	b->p = OPENSSL_malloc(b->len ? b->len : 1);
	return b->p && BN_bn2bin(bn, b->p) >= 0;
}

/* Takes over an i2d_*() result; len is evaluated before *p is read. */
static bool bytes_i2d(struct sim_bytes *b, int len, unsigned char **p)
{
	if (len <= 0 || !*p) {
		OPENSSL_free(*p);
		return false;
	}
	b->p = *p;
	b->len = len;
	return true;
}

static bool rsa_attrs(struct sim_slot *s)
{
	const RSA *rsa = EVP_PKEY_get0_RSA(s->key);

	s->key_type = CKK_RSA;
	return rsa && bytes_bn(&s->modulus, RSA_get0_n(rsa)) &&
	       bytes_bn(&s->exponent, RSA_get0_e(rsa));
}

/* The KMS key specs: each curve has its one signing algorithm, hence its digest size. */
static size_t curve_digest_len(int nid)
{
	switch (nid) {
	case NID_X9_62_prime256v1:
		return 32;
	case NID_secp384r1:
		return 48;
	case NID_secp521r1:
		return 64;
	default:
		return 0;
	}
}

/* CKA_EC_POINT is the point DER-wrapped in an OCTET STRING, as libp11 and aws-kms-pkcs11 expect. */
static bool ec_point(struct sim_bytes *b, const EC_KEY *ec)
{
	unsigned char *raw = NULL, *der = NULL;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	int len = i2o_ECPublicKey(ec, &raw);
	bool ok = false;

	if (os && len > 0 && ASN1_OCTET_STRING_set(os, raw, len))
		ok = bytes_i2d(b, i2d_ASN1_OCTET_STRING(os, &der), &der);
	ASN1_OCTET_STRING_free(os);
	OPENSSL_free(raw);
	return ok;
}

static bool ec_attrs(struct sim_slot *s)
{
	const EC_KEY *ec = EVP_PKEY_get0_EC_KEY(s->key);
	const EC_GROUP *group = ec ? EC_KEY_get0_group(ec) : NULL;
	unsigned char *der = NULL;

	if (!group)
		return false;
	s->key_type = CKK_EC;
	s->digest_len = curve_digest_len(EC_GROUP_get_curve_name(group));
	s->field_len = (EC_GROUP_get_degree(group) + 7) / 8;
	if (!s->digest_len) {
		sim_debug("%s: the key's curve is not one KMS signs with (P-256, P-384, P-521)",
			  s->label);
		return false;
	}
	return bytes_i2d(&s->ec_params, i2d_ECPKParameters(group, &der), &der) &&
	       ec_point(&s->ec_point, ec);
}

static bool load_key(struct sim_slot *s, const char *path)
{
	BIO *bio = BIO_new_file(path, "r");

	s->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!s->key) {
		sim_debug("%s: cannot load the private key %s", s->label, path);
		return false;
	}
	switch (EVP_PKEY_base_id(s->key)) {
	case EVP_PKEY_RSA:
		return rsa_attrs(s);
	case EVP_PKEY_EC:
		return ec_attrs(s);
	default:
		sim_debug("%s: %s is neither an RSA nor an EC key", s->label, path);
		return false;
	}
}

/* As aws-kms-pkcs11: the first CERTIFICATE block of a PEM file. */
static X509 *cert_from_pem(const char *path)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return cert;
}

static X509 *cert_from_b64(const char *b64)
{
	BIO *mem = BIO_new_mem_buf(b64, -1), *dec = BIO_new(BIO_f_base64());
	X509 *cert = NULL;

	if (mem && dec) {
		BIO_set_flags(dec, BIO_FLAGS_BASE64_NO_NL);
		mem = BIO_push(dec, mem);
		dec = NULL;
		cert = d2i_X509_bio(mem, NULL);
	}
	BIO_free_all(mem);
	BIO_free(dec);
	return cert;
}

static bool cert_attrs(struct sim_slot *s, X509 *cert)
{
	unsigned char *p = NULL, *q = NULL, *r = NULL, *t = NULL;

	s->has_cert = bytes_i2d(&s->cert, i2d_X509(cert, &p), &p) &&
		      bytes_i2d(&s->subject, i2d_X509_NAME(X509_get_subject_name(cert), &q), &q) &&
		      bytes_i2d(&s->issuer, i2d_X509_NAME(X509_get_issuer_name(cert), &r), &r) &&
		      bytes_i2d(&s->serial, i2d_ASN1_INTEGER(X509_get_serialNumber(cert), &t), &t);
	return s->has_cert;
}

/*
 * As aws-kms-pkcs11: certificate_path, when present, decides over an inline
 * certificate, and a certificate that does not load only means no
 * certificate object.
 */
static bool load_cert(struct sim_slot *s, const struct km_awscfg_slot *c)
{
	X509 *cert = NULL;
	bool ok;

	if (c->certificate_path)
		cert = cert_from_pem(c->certificate_path);
	else if (c->certificate)
		cert = cert_from_b64(c->certificate);
	else
		return true;
	if (!cert) {
		sim_debug("%s: cannot load the configured certificate", s->label);
		ERR_clear_error();
		return true;
	}
	ok = cert_attrs(s, cert);
	X509_free(cert);
	return ok;
}

static bool load_slot(struct sim_slot *s, const struct km_awscfg_slot *c)
{
	s->label = strdup(km_awscfg_slot_name(c));
	s->key_id = strdup(c->kms_key_id ? c->kms_key_id : "");
	if (!s->label || !s->key_id)
		return false;
	if (!c->sim_key_file) {
		sim_debug("%s: no sim_key_file: the stand-in has no key for this slot", s->label);
		return false;
	}
	return load_key(s, c->sim_key_file) && load_cert(s, c);
}

CK_RV sim_slots_load(struct sim *s)
{
	struct km_awscfg cfg;
	struct km_err e = { 0 };
	CK_RV rv = CKR_OK;
	size_t i;

	if (km_awscfg_load_default(&cfg, &e) < 0) {
		sim_debug("%s", e.msg);
		return CKR_FUNCTION_FAILED;
	}
	s->slots = calloc(cfg.n_slots ? cfg.n_slots : 1, sizeof(*s->slots));
	if (!s->slots)
		rv = CKR_HOST_MEMORY;
	else if (cfg.n_slots == 0)
		sim_debug("%s: no slots configured", cfg.path);
	if (!s->slots || cfg.n_slots == 0)
		rv = rv != CKR_OK ? rv : CKR_FUNCTION_FAILED;
	for (i = 0; rv == CKR_OK && i < cfg.n_slots; i++) {
		s->n_slots++;
		if (!load_slot(&s->slots[i], &cfg.slots[i]))
			rv = CKR_FUNCTION_FAILED;
	}
	km_awscfg_free(&cfg);
	ERR_clear_error();
	return rv;
}

void sim_slots_free(struct sim *s)
{
	size_t i;

	for (i = 0; i < s->n_slots; i++) {
		struct sim_slot *slot = &s->slots[i];

		free(slot->label);
		free(slot->key_id);
		EVP_PKEY_free(slot->key);
		bytes_free(&slot->modulus);
		bytes_free(&slot->exponent);
		bytes_free(&slot->ec_params);
		bytes_free(&slot->ec_point);
		bytes_free(&slot->cert);
		bytes_free(&slot->subject);
		bytes_free(&slot->issuer);
		bytes_free(&slot->serial);
	}
	free(s->slots);
	s->slots = NULL;
	s->n_slots = 0;
}
