/* Self-signed X.509 certificates made through the signing key itself. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "selfsign.h"

#define SERIAL_LEN 16

int km_selfsign_time(int64_t *t, bool *reproducible, struct km_err *e)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	*reproducible = false;
	*t = (int64_t)time(NULL);
	if (!sde || !*sde)
		return 0;
	errno = 0;
	v = strtoll(sde, &end, 10);
	if (errno || *end || v < 0)
		return km_err_set(e, -EINVAL,
				  "SOURCE_DATE_EPOCH: expected seconds since 1970, got '%s'", sde);
	*t = v;
	*reproducible = true;
	return 0;
}

/* Random, or derived from the public key so that a rebuild gives the same bytes. */
static int set_serial(X509 *x, EVP_PKEY *pub, bool reproducible, struct km_err *e)
{
	unsigned char buf[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int len = 0;
	BIGNUM *bn;
	int n, ok;

	if (reproducible) {
		n = i2d_PUBKEY(pub, &der);
		ok = n > 0 && EVP_Digest(der, n, buf, &len, EVP_sha256(), NULL);
		OPENSSL_free(der);
	} else {
		ok = RAND_bytes(buf, SERIAL_LEN) == 1;
	}
	if (!ok)
		return km_err_ssl(e, -EIO, "cannot make a serial number");
	buf[0] &= 0x7f; /* positive, as RFC 5280 requires */
	buf[0] |= 0x40; /* and of a fixed length */
	bn = BN_bin2bn(buf, SERIAL_LEN, NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : km_err_ssl(e, -ENOMEM, "cannot set the serial number");
}

static int set_validity(X509 *x, int64_t start, int days, struct km_err *e)
{
	ASN1_TIME *nb = ASN1_TIME_set(NULL, (time_t)start);
	ASN1_TIME *na = ASN1_TIME_adj(NULL, (time_t)start, days, 0);
	int ok = nb && na && X509_set1_notBefore(x, nb) && X509_set1_notAfter(x, na);

	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	return ok ? 0 : km_err_ssl(e, -EINVAL, "cannot set the validity period");
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, struct km_err *e)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = ext && X509_add_ext(x, ext, -1);

	X509_EXTENSION_free(ext);
	return ok ? 0 : km_err_ssl(e, -EINVAL, "cannot add the %s extension", OBJ_nid2sn(nid));
}

static int add_exts(X509 *x, struct km_err *e)
{
	X509V3_CTX ctx;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE", e) < 0 ||
	    add_ext(x, &ctx, NID_key_usage, "digitalSignature", e) < 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash", e) < 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid", e) < 0)
		return e->code;
	return 0;
}

static int build(const struct km_selfsign *p, EVP_PKEY *pub, X509 *x, struct km_err *e)
{
	if (!X509_set_version(x, 2) || !X509_set_subject_name(x, p->subject) ||
	    !X509_set_issuer_name(x, p->subject) || !X509_set_pubkey(x, pub))
		return km_err_ssl(e, -EINVAL, "cannot fill in the certificate");
	if (set_serial(x, pub, p->reproducible, e) < 0 ||
	    set_validity(x, p->not_before, p->days, e) < 0)
		return e->code;
	return add_exts(x, e);
}

int km_selfsign(const struct km_selfsign *p, EVP_PKEY *key, EVP_PKEY *pub, X509 **out,
		struct km_err *e)
{
	X509 *x = X509_new();
	int r;

	if (!x)
		return km_err_set(e, -ENOMEM, "out of memory");
	r = build(p, pub, x, e);
	if (r == 0 && X509_sign(x, key, p->md) <= 0)
		r = km_err_ssl(e, -EIO, "signing the certificate through the key failed");
	if (r == 0 && X509_verify(x, pub) != 1)
		r = km_err_ssl(e, -EBADMSG,
			       "the signer returned a certificate signature that "
			       "does not verify");
	if (r < 0) {
		X509_free(x);
		return r;
	}
	*out = x;
	return 0;
}
