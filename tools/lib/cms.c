/* Builds and checks the CMS SignedData of a module signature. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>

#include "cert.h"
#include "cms.h"
#include "signer.h"

/* The flags sign-file passes; the same flags give the same bytes. */
#define SIGNFILE_CMS_FLAGS    (CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM)
#define SIGNFILE_SIGNER_FLAGS (CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR)

int km_cms_build(X509 *cert, const EVP_MD *md, bool keyid, const unsigned char *sig, size_t siglen,
		 unsigned char **der, size_t *derlen, struct km_err *e)
{
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, SIGNFILE_CMS_FLAGS);
	CMS_SignerInfo *si;
	unsigned char *out = NULL;
	int len;

	if (!cms)
		return km_err_ssl(e, -ENOMEM, "cannot create the CMS message");
	/*
	 * The certificate's public key stands in for the private one: with
	 * CMS_NOATTR nothing is signed here, and the signature made by the
	 * token goes into the SignerInfo below.
	 */
	si = CMS_add1_signer(cms, cert, X509_get0_pubkey(cert), md,
			     SIGNFILE_SIGNER_FLAGS | (keyid ? CMS_USE_KEYID : 0));
	if (!si || !ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sig, (int)siglen)) {
		CMS_ContentInfo_free(cms);
		return km_err_ssl(e, -EINVAL, "cannot build the CMS signer%s",
				  keyid ? " (does the certificate have a subjectKeyIdentifier?)"
					: "");
	}
	len = i2d_CMS_ContentInfo(cms, &out);
	CMS_ContentInfo_free(cms);
	if (len <= 0)
		return km_err_ssl(e, -EINVAL, "cannot encode the CMS message");
	*der = out;
	*derlen = (size_t)len;
	return 0;
}

static int parse(const unsigned char *der, size_t len, CMS_ContentInfo **out, struct km_err *e)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	ASN1_OCTET_STRING **content;

	if (!cms || p != der + len) {
		CMS_ContentInfo_free(cms);
		return km_err_ssl(e, -EBADMSG, "malformed signature: not a DER CMS message");
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed ||
	    sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) <= 0) {
		CMS_ContentInfo_free(cms);
		return km_err_set(e, -EBADMSG, "malformed signature: not a signed CMS message");
	}
	content = CMS_get0_content(cms);
	if (content && *content) {
		CMS_ContentInfo_free(cms);
		return km_err_set(e, -EBADMSG,
				  "malformed signature: the CMS message is not "
				  "detached (the kernel refuses it)");
	}
	*out = cms;
	return 0;
}

static const EVP_MD *signer_md(CMS_SignerInfo *si)
{
	X509_ALGOR *dig = NULL;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
	return dig ? EVP_get_digestbyobj(dig->algorithm) : NULL;
}

int km_cms_digest_alg(const unsigned char *der, size_t len, const EVP_MD **md, struct km_err *e)
{
	CMS_ContentInfo *cms;
	int r = parse(der, len, &cms, e);

	if (r < 0)
		return r;
	*md = signer_md(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0));
	CMS_ContentInfo_free(cms);
	if (!*md)
		return km_err_set(e, -EBADMSG, "malformed signature: unknown digest algorithm");
	return 0;
}

static void signer_id(CMS_SignerInfo *si, char *buf, size_t size)
{
	ASN1_OCTET_STRING *keyid = NULL;
	ASN1_INTEGER *serial = NULL;
	X509_NAME *issuer = NULL;
	const ASN1_STRING *s;

	buf[0] = '\0';
	if (!CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial))
		return;
	s = keyid ? keyid : serial;
	if (s)
		km_hex(ASN1_STRING_get0_data(s), ASN1_STRING_length(s), buf, size);
}

static X509 *find_cert(CMS_SignerInfo *si, STACK_OF(X509) * certs)
{
	int i;

	for (i = 0; i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			return sk_X509_value(certs, i);
	return NULL;
}

/* With signed attributes the signature covers them, and they carry the content digest. */
static int verify_attrs(CMS_SignerInfo *si, X509 *cert, const unsigned char *dg, size_t dlen,
			struct km_err *e)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1);
	ASN1_OCTET_STRING *md;

	if (idx < 0)
		return km_err_set(e, -EBADMSG,
				  "malformed signature: signed attributes without a "
				  "message digest");
	md = X509_ATTRIBUTE_get0_data(CMS_signed_get_attr(si, idx), 0, V_ASN1_OCTET_STRING, NULL);
	if (!md || (size_t)ASN1_STRING_length(md) != dlen ||
	    memcmp(ASN1_STRING_get0_data(md), dg, dlen) != 0)
		return km_err_set(e, -EBADMSG, "bad signature: the module's digest does not match");
	CMS_SignerInfo_set1_signer_cert(si, cert);
	if (CMS_SignerInfo_verify(si) != 1)
		return km_err_ssl(e, -EBADMSG, "bad signature");
	return 0;
}

static int verify_signer(CMS_SignerInfo *si, X509 *cert, const unsigned char *dg, size_t dlen,
			 struct km_err *e)
{
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);

	if (CMS_signed_get_attr_count(si) > 0)
		return verify_attrs(si, cert, dg, dlen, e);
	if (km_verify_digest(X509_get0_pubkey(cert), signer_md(si), dg, dlen,
			     ASN1_STRING_get0_data(sig), ASN1_STRING_length(sig), e) < 0)
		return km_err_set(e, -EBADMSG,
				  "bad signature: it does not match the module's "
				  "contents");
	return 0;
}

int km_cms_verify(const unsigned char *der, size_t len, STACK_OF(X509) * certs,
		  const unsigned char *dg, size_t dlen, struct km_cms_verdict *v, struct km_err *e)
{
	STACK_OF(CMS_SignerInfo) * sis;
	CMS_ContentInfo *cms;
	int i, r = parse(der, len, &cms, e);

	memset(v, 0, sizeof(*v));
	if (r < 0) {
		v->malformed = true;
		return r;
	}
	sis = CMS_get0_SignerInfos(cms);
	r = -ENOKEY;
	for (i = 0; i < sk_CMS_SignerInfo_num(sis) && r != 0; i++) {
		CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, i);
		const EVP_MD *md = signer_md(si);
		X509 *cert = find_cert(si, certs);

		signer_id(si, v->key_id, sizeof(v->key_id));
		snprintf(v->md_name, sizeof(v->md_name), "%s", km_md_short_name(md));
		if (!cert)
			continue;
		v->signer = cert;
		r = verify_signer(si, cert, dg, dlen, e);
	}
	CMS_ContentInfo_free(cms);
	if (r == -ENOKEY)
		return km_err_set(e, -ENOKEY,
				  "unknown key: signed by key %s, which none of the "
				  "certificates holds",
				  v->key_id[0] ? v->key_id : "?");
	return r;
}
