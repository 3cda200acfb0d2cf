/* Verifying a module's appended signature against trusted certificates. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"
#include "cms.h"
#include "decomp.h"
#include "elfmod.h"
#include "fileio.h"
#include "modsig.h"
#include "modverify.h"

#define MODULE_MAX   (2ULL * 1024 * 1024 * 1024)
#define UNPACKED_MAX (512ULL * 1024 * 1024)
#define SIG_MAX	     (1024 * 1024)
#define HASH_CHUNK   (128 * 1024)

const char *km_verdict_name(enum km_verdict v)
{
	static const char *const names[] = {
		[KM_VERDICT_OK] = "OK",
		[KM_VERDICT_UNSIGNED] = "unsigned",
		[KM_VERDICT_BAD_SIGNATURE] = "bad signature",
		[KM_VERDICT_UNKNOWN_KEY] = "unknown key",
		[KM_VERDICT_MALFORMED] = "malformed",
		[KM_VERDICT_ERROR] = "unreadable",
	};

	return v < ARRAY_SIZE(names) ? names[v] : "?";
}

static int verdict(struct km_verify_result *res, enum km_verdict v, const struct km_err *e)
{
	res->verdict = v;
	snprintf(res->reason, sizeof(res->reason), "%s", e ? e->msg : "");
	return v == KM_VERDICT_OK ? 0 : -EBADMSG;
}

static int hash_content(const struct km_reader *r, const EVP_MD *md, unsigned char *dg,
			unsigned int *dlen, struct km_err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *buf = malloc(HASH_CHUNK);
	uint64_t off = 0;
	int rc = ctx && buf && EVP_DigestInit_ex(ctx, md, NULL) == 1 ? 0 : -ENOMEM;

	while (rc == 0 && off < r->len) {
		size_t n = r->len - off < HASH_CHUNK ? r->len - off : HASH_CHUNK;

		rc = km_reader_pread(r, buf, n, off, e);
		if (rc == 0 && EVP_DigestUpdate(ctx, buf, n) != 1)
			rc = -EIO;
		off += n;
	}
	if (rc == 0 && EVP_DigestFinal_ex(ctx, dg, dlen) != 1)
		rc = -EIO;
	if (rc == -ENOMEM || rc == -EIO)
		km_err_ssl(e, rc, "hashing failed");
	free(buf);
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int check_signed(struct km_reader *r, const struct km_modsig *sig, STACK_OF(X509) * certs,
			struct km_verify_result *res, struct km_err *e)
{
	unsigned char *blob, dg[EVP_MAX_MD_SIZE];
	struct km_reader whole = *r;
	struct km_cms_verdict v = { 0 };
	const EVP_MD *md;
	unsigned int dlen;
	int rc;

	if (sig->sig_len > SIG_MAX)
		return verdict(
			res, KM_VERDICT_MALFORMED,
			(km_err_set(e, -EBADMSG, "malformed signature: %u bytes", sig->sig_len),
			 e));
	blob = malloc(sig->sig_len);
	if (!blob)
		return verdict(res, KM_VERDICT_ERROR, (km_err_set(e, -ENOMEM, "out of memory"), e));
	whole.len = sig->sig_offset + sig->sig_len;
	rc = km_reader_pread(&whole, blob, sig->sig_len, sig->sig_offset, e);
	if (rc == 0)
		rc = km_cms_digest_alg(blob, sig->sig_len, &md, e);
	if (rc == 0)
		rc = hash_content(r, md, dg, &dlen, e);
	if (rc == 0)
		rc = km_cms_verify(blob, sig->sig_len, certs, dg, dlen, &v, e);
	free(blob);
	snprintf(res->hash, sizeof(res->hash), "%s", rc == 0 || v.md_name[0] ? v.md_name : "");
	snprintf(res->key_id, sizeof(res->key_id), "%s", v.key_id);
	if (v.signer)
		km_cert_signer(v.signer, res->signer, sizeof(res->signer));
	if (rc == 0)
		return verdict(res, KM_VERDICT_OK, NULL);
	if (rc == -ENOKEY)
		return verdict(res, KM_VERDICT_UNKNOWN_KEY, e);
	return verdict(
		res, v.malformed || !v.signer ? KM_VERDICT_MALFORMED : KM_VERDICT_BAD_SIGNATURE, e);
}

/* Checks a module whose bytes r gives (len = the whole file). */
static int check(struct km_reader *r, STACK_OF(X509) * certs, struct km_verify_result *res,
		 struct km_err *e)
{
	uint8_t tail[KM_MODSIG_TRAILER_LEN];
	size_t tlen = r->len < sizeof(tail) ? (size_t)r->len : sizeof(tail);
	struct km_modsig sig;

	if (km_reader_pread(r, tail, tlen, r->len - tlen, e) < 0)
		return verdict(res, KM_VERDICT_ERROR, e);
	if (km_modsig_parse(tail, tlen, r->len, &sig, e) < 0)
		return verdict(res, KM_VERDICT_MALFORMED, e);
	r->len = sig.content_len;
	if (km_elf_check_module(r, e) < 0)
		return verdict(res, KM_VERDICT_MALFORMED, e);
	if (!sig.is_signed)
		return verdict(res, KM_VERDICT_UNSIGNED,
			       (km_err_set(e, -ENODATA, "unsigned: no signature appended"), e));
	return check_signed(r, &sig, certs, res, e);
}

static int check_compressed(const char *path, enum km_comp kind, STACK_OF(X509) * certs,
			    struct km_verify_result *res, struct km_err *e)
{
	_cleanup_free_ uint8_t *packed = NULL;
	_cleanup_free_ uint8_t *data = NULL;
	struct km_reader r = { .fd = -1 };
	size_t len, dlen;

	if (km_read_file(path, &packed, &len, MODULE_MAX, e) < 0)
		return verdict(res, KM_VERDICT_ERROR, e);
	if (km_decompress(packed, len, kind, UNPACKED_MAX, &data, &dlen, e) < 0)
		return verdict(res, KM_VERDICT_MALFORMED, e);
	r.buf = data;
	r.len = dlen;
	return check(&r, certs, res, e);
}

int km_verify_module(const char *path, STACK_OF(X509) * certs, struct km_verify_result *res)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct km_err e = { 0 };
	uint8_t magic[8] = { 0 };
	struct km_reader r = { .fd = fd };
	struct stat st;
	enum km_comp kind;

	memset(res, 0, sizeof(*res));
	if (fd < 0 || fstat(fd, &st) < 0)
		return verdict(res, KM_VERDICT_ERROR,
			       (km_err_set(&e, -errno, "%s", strerror(errno)), &e));
	if (!S_ISREG(st.st_mode))
		return verdict(res, KM_VERDICT_ERROR,
			       (km_err_set(&e, -EINVAL, "not a regular file"), &e));
	r.len = (uint64_t)st.st_size;
	if (km_reader_pread(&r, magic, r.len < sizeof(magic) ? r.len : sizeof(magic), 0, &e) < 0)
		return verdict(res, KM_VERDICT_ERROR, &e);
	kind = km_comp_detect(magic, r.len < sizeof(magic) ? r.len : sizeof(magic));
	if (kind != KM_COMP_NONE)
		return check_compressed(path, kind, certs, res, &e);
	return check(&r, certs, res, &e);
}
