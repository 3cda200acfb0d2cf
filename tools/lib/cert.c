/* X.509 certificates: loading, key matching, description, writing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "fileio.h"

#define KM_CERT_MAX (1024 * 1024)

static bool looks_der(const unsigned char *buf, size_t len)
{
	return len >= 2 && buf[0] == 0x30 && buf[1] >= 0x81 && buf[1] <= 0x84;
}

int km_cert_parse(const void *buf, size_t len, X509 **out, struct km_err *e)
{
	const unsigned char *p = buf;
	X509 *x = NULL;

	if (looks_der(buf, len)) {
		x = d2i_X509(NULL, &p, (long)len);
	} else {
		BIO *b = BIO_new_mem_buf(buf, (int)len);

		if (b)
			x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (!x)
		return km_err_ssl(e, -EBADMSG, "not an X.509 certificate (PEM or DER)");
	*out = x;
	return 0;
}

int km_cert_load(const char *path, X509 **out, struct km_err *e)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len;
	int r;

	r = km_read_file(path, &buf, &len, KM_CERT_MAX, e);
	if (r < 0)
		return r;
	r = km_cert_parse(buf, len, out, e);
	if (r < 0)
		return km_err_prefix(e, "%s", path);
	return 0;
}

int km_cert_load_all(const char *path, STACK_OF(X509) * *out, struct km_err *e)
{
	_cleanup_free_ uint8_t *buf = NULL;
	STACK_OF(X509) * sk;
	size_t len;
	X509 *x;
	BIO *b;
	int r;

	r = km_read_file(path, &buf, &len, KM_CERT_MAX, e);
	if (r < 0)
		return r;
	sk = sk_X509_new_null();
	if (!sk)
		return km_err_set(e, -ENOMEM, "out of memory");
	if (looks_der(buf, len)) {
		r = km_cert_parse(buf, len, &x, e);
		if (r < 0 || !sk_X509_push(sk, x))
			goto fail;
		*out = sk;
		return 0;
	}
	b = BIO_new_mem_buf(buf, (int)len);
	while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x))
			break;
	BIO_free(b);
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		km_err_set(e, -EBADMSG, "not an X.509 certificate (PEM or DER)");
		goto fail;
	}
	*out = sk;
	return 0;
fail:
	sk_X509_pop_free(sk, X509_free);
	return km_err_prefix(e, "%s", path);
}

int km_cert_check_key(X509 *cert, EVP_PKEY *key, struct km_err *e)
{
	EVP_PKEY *cpub = X509_get0_pubkey(cert);
	char signer[256];

	if (cpub && key && EVP_PKEY_eq(cpub, key) == 1)
		return 0;
	ERR_clear_error();
	km_cert_signer(cert, signer, sizeof(signer));
	return km_err_set(e, -EKEYREJECTED,
			  "the certificate \"%s\" does not match the key (another public key)",
			  signer);
}

void km_cert_signer(X509 *cert, char *buf, size_t size)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;

	if (idx >= 0) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));

		if (ASN1_STRING_to_UTF8(&utf8, s) >= 0) {
			snprintf(buf, size, "%s", utf8);
			OPENSSL_free(utf8);
			return;
		}
	}
	X509_NAME_oneline(name, buf, (int)size);
}

void km_hex(const unsigned char *in, size_t len, char *buf, size_t size)
{
	size_t i;

	if (!size)
		return;
	buf[0] = '\0';
	for (i = 0; i < len && 2 * i + 2 < size; i++)
		snprintf(buf + 2 * i, 3, "%02x", in[i]);
}

void km_cert_keyid(X509 *cert, char *buf, size_t size)
{
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);

	if (!skid) {
		if (size)
			buf[0] = '\0';
		return;
	}
	km_hex(ASN1_STRING_get0_data(skid), ASN1_STRING_length(skid), buf, size);
}

void km_cert_sha256(X509 *cert, char *buf, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &len))
		len = 0;
	km_hex(md, len, buf, size);
}

int km_cert_write(const char *path, X509 *cert, bool pem, mode_t mode, struct km_err *e)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int r;

	if (!b)
		return km_err_set(e, -ENOMEM, "out of memory");
	r = pem ? PEM_write_bio_X509(b, cert) : i2d_X509_bio(b, cert);
	if (r != 1) {
		BIO_free(b);
		return km_err_ssl(e, -EINVAL, "%s: cannot encode the certificate", path);
	}
	len = BIO_get_mem_data(b, &data);
	r = km_write_file_atomic(path, data, (size_t)len, mode, e);
	BIO_free(b);
	return r;
}
