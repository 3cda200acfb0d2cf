/* Signing one module file: hash while copying, sign the digest, append, rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cms.h"
#include "elfmod.h"
#include "fileio.h"
#include "modsig.h"
#include "modsign.h"

#define COPY_CHUNK (128 * 1024)

struct module {
	int fd;
	struct stat st;
	struct km_modsig sig;
};

static int open_module(const char *path, struct module *m, struct km_err *e)
{
	uint8_t tail[KM_MODSIG_TRAILER_LEN];
	size_t tlen;
	struct km_reader r;

	m->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (m->fd < 0)
		return km_err_set(e, -errno, "%s",
				  errno == ELOOP ? "is a symbolic link (sign its "
						   "target instead)"
						 : strerror(errno));
	if (fstat(m->fd, &m->st) < 0)
		return km_err_set(e, -errno, "%s", strerror(errno));
	if (!S_ISREG(m->st.st_mode))
		return km_err_set(e, -EINVAL, "not a regular file");
	tlen = m->st.st_size < (off_t)sizeof(tail) ? (size_t)m->st.st_size : sizeof(tail);
	r = (struct km_reader){ .fd = m->fd, .len = (uint64_t)m->st.st_size };
	if (km_reader_pread(&r, tail, tlen, m->st.st_size - tlen, e) < 0)
		return e->code;
	if (km_modsig_parse(tail, tlen, m->st.st_size, &m->sig, e) < 0)
		return e->code;
	r.len = m->sig.content_len;
	return km_elf_check_module(&r, e);
}

/* Copies the module's unsigned bytes to out (when given) and hashes them. */
static int copy_and_hash(struct module *m, struct km_tmpfile *out, EVP_MD_CTX *ctx,
			 struct km_err *e)
{
	unsigned char *buf = malloc(COPY_CHUNK);
	uint64_t off = 0;
	int r = 0;

	if (!buf)
		return km_err_set(e, -ENOMEM, "out of memory");
	while (r == 0 && off < m->sig.content_len) {
		size_t n = m->sig.content_len - off < COPY_CHUNK ? m->sig.content_len - off
								 : COPY_CHUNK;
		struct km_reader rd = { .fd = m->fd, .len = m->sig.content_len };

		r = km_reader_pread(&rd, buf, n, off, e);
		if (r == 0 && EVP_DigestUpdate(ctx, buf, n) != 1)
			r = km_err_ssl(e, -EIO, "hashing failed");
		if (r == 0 && out)
			r = km_tmpfile_write(out, buf, n, e);
		off += n;
	}
	free(buf);
	return r;
}

static int make_cms(const struct km_sign_opts *o, EVP_MD_CTX *ctx, unsigned char **cms,
		    size_t *cms_len, bool *signer_failed, struct km_err *e)
{
	unsigned char dg[EVP_MAX_MD_SIZE], *sig;
	unsigned int dlen;
	size_t siglen;
	int r;

	if (o->raw_cms) {
		*cms = OPENSSL_memdup(o->raw_cms, o->raw_cms_len);
		*cms_len = o->raw_cms_len;
		return *cms ? 0 : km_err_set(e, -ENOMEM, "out of memory");
	}
	if (EVP_DigestFinal_ex(ctx, dg, &dlen) != 1)
		return km_err_ssl(e, -EIO, "hashing failed");
	siglen = km_signer_sig_max(o->signer);
	sig = malloc(siglen);
	if (!sig)
		return km_err_set(e, -ENOMEM, "out of memory");
	r = km_signer_sign(o->signer, o->md, dg, dlen, sig, &siglen, e);
	*signer_failed = r < 0;
	if (r == 0)
		r = km_cms_build(o->cert, o->md, o->keyid, sig, siglen, cms, cms_len, e);
	free(sig);
	return r;
}

static int write_p7s(const char *path, const unsigned char *cms, size_t len, struct km_err *e)
{
	_cleanup_free_ char *p7s = NULL;

	if (asprintf(&p7s, "%s.p7s", path) < 0)
		return km_err_set(e, -ENOMEM, "out of memory");
	return km_write_file_atomic(p7s, cms, len, km_file_mode(p7s, 0644), e);
}

static int append_signature(struct km_tmpfile *t, const unsigned char *cms, size_t len,
			    struct km_err *e)
{
	uint8_t trailer[KM_MODSIG_TRAILER_LEN];

	if (len > UINT32_MAX)
		return km_err_set(e, -EFBIG, "signature too large");
	km_modsig_trailer(trailer, (uint32_t)len);
	if (km_tmpfile_write(t, cms, len, e) < 0)
		return e->code;
	return km_tmpfile_write(t, trailer, sizeof(trailer), e);
}

static int sign_into(const struct km_sign_opts *o, struct module *m, const char *path,
		     const char *dest, struct km_sign_result *res, struct km_err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *cms = NULL;
	struct km_tmpfile t = { .fd = -1 };
	size_t cms_len = 0;
	int r;

	if (!ctx || EVP_DigestInit_ex(ctx, o->md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return km_err_ssl(e, -ENOMEM, "cannot start hashing");
	}
	r = o->detached ? 0 : km_tmpfile_open(&t, dest, e);
	if (r == 0)
		r = copy_and_hash(m, o->detached ? NULL : &t, ctx, e);
	if (r == 0)
		r = make_cms(o, ctx, &cms, &cms_len, &res->signer_failed, e);
	if (r == 0 && (o->save_p7s || o->detached))
		r = write_p7s(path, cms, cms_len, e);
	if (r == 0 && !o->detached)
		r = append_signature(&t, cms, cms_len, e);
	if (r == 0 && !o->detached)
		r = km_tmpfile_commit(&t, m->st.st_mode, e);
	if (r < 0)
		km_tmpfile_abort(&t);
	OPENSSL_free(cms);
	EVP_MD_CTX_free(ctx);
	return r;
}

int km_module_sign(const struct km_sign_opts *o, const char *path, const char *dest,
		   struct km_sign_result *res, struct km_err *e)
{
	struct module m = { .fd = -1 };
	int r;

	memset(res, 0, sizeof(*res));
	r = open_module(path, &m, e);
	if (r == 0)
		r = sign_into(o, &m, path, dest ? dest : path, res, e);
	if (r == 0)
		km_tmpfile_cleanup(dest ? dest : path);
	if (m.fd >= 0)
		close(m.fd);
	if (r < 0)
		return km_err_prefix(e, "%s", path);
	res->was_signed = m.sig.is_signed;
	res->bytes = m.sig.content_len;
	return 0;
}
