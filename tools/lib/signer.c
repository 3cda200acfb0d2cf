/* A signing key (PEM file or PKCS#11 token) with pacing, retries and verify-after-sign. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "signer.h"
#include "uri.h"

/* CKR values that a remote signer returns for throttling, timeouts and outages. */
#define CKR_GENERAL_ERROR   0x05UL
#define CKR_FUNCTION_FAILED 0x06UL
#define CKR_DEVICE_ERROR    0x30UL
#define CKR_DEVICE_MEMORY   0x31UL
#define CKR_SESSION_COUNT   0xB1UL

struct km_signer {
	EVP_PKEY *key; /* private; for a token, operations go to the token */
	EVP_PKEY *pub;
	EVP_PKEY *lane_keys[32]; /* the token key through more session pools */
	unsigned int nlanes;	 /* lane_keys in use; 0 or 1: key alone */
	unsigned int next_lane;
	struct km_token *token;
	struct km_sign_policy policy;
	char desc[32];

	pthread_mutex_t lock; /* guards the fields below */
	double next_slot;     /* monotonic time of the next paced signature */
	unsigned long signs, retries;
	unsigned long abandoned; /* token calls still hanging on their own threads */
};

/*
 * One token call on a thread of its own, so that a call that hangs (a KMS
 * request that never returns) can be abandoned and retried. Whoever of the
 * caller and the call finishes last frees it.
 */
struct call {
	pthread_mutex_t lock;
	pthread_cond_t done_cv;
	bool done, abandoned;
	struct km_signer *s;
	const EVP_MD *md;
	unsigned char dg[EVP_MAX_MD_SIZE];
	size_t dlen, siglen;
	unsigned char *sig;
	struct km_err e;
	int r;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_for(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pass = getenv("KBUILD_SIGN_PIN");
	int len;

	if (!pass)
		return -1;
	len = (int)strlen(pass);
	if (len >= size)
		return -1;
	memcpy(buf, pass, len);
	return len;
}

static int open_file_key(struct km_signer *s, const char *path, struct km_err *e)
{
	BIO *b = BIO_new_file(path, "rb");

	if (!b)
		return km_err_set(e, -errno ? -errno : -ENOENT, "%s: %s", path,
				  strerror(errno ? errno : ENOENT));
	s->key = PEM_read_bio_PrivateKey(b, NULL, pem_pass_cb, NULL);
	BIO_free(b);
	if (!s->key)
		return km_err_ssl(e, -EINVAL,
				  "%s: not a PEM private key (or a wrong passphrase in "
				  "KBUILD_SIGN_PIN)",
				  path);
	return 0;
}

/* The public half as a plain OpenSSL key, detached from the token. */
static int extract_public(struct km_signer *s, struct km_err *e)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_PUBKEY(s->key, &der);

	if (len <= 0)
		return km_err_ssl(e, -EINVAL, "cannot read the public key");
	p = der;
	s->pub = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	if (!s->pub)
		return km_err_ssl(e, -EINVAL, "cannot read the public key");
	return 0;
}

static int describe(struct km_signer *s, struct km_err *e)
{
	int bits = EVP_PKEY_bits(s->pub);

	switch (EVP_PKEY_base_id(s->pub)) {
	case EVP_PKEY_RSA:
		snprintf(s->desc, sizeof(s->desc), "RSA %d", bits);
		return 0;
	case EVP_PKEY_EC:
		snprintf(s->desc, sizeof(s->desc), "EC P-%d", bits);
		return 0;
	default:
		return km_err_set(e, -EOPNOTSUPP,
				  "unsupported key type (kmsign signs with RSA "
				  "and ECDSA keys)");
	}
}

int km_signer_open(const char *key, unsigned int token_flags, struct km_signer **out,
		   struct km_err *e)
{
	struct km_signer *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return km_err_set(e, -ENOMEM, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	s->policy = (struct km_sign_policy){
		.retries = 6, .backoff_ms = 50, .backoff_max_ms = 5000, .deadline_ms = 120000
	};
	if (km_is_pkcs11_uri(key)) {
		r = km_token_open(key, token_flags, &s->token, e);
		if (r == 0)
			r = km_token_private_key(s->token, &s->key, e);
	} else {
		r = open_file_key(s, key, e);
	}
	if (r == 0)
		r = extract_public(s, e);
	if (r == 0)
		r = describe(s, e);
	if (r < 0) {
		km_signer_free(s);
		return r;
	}
	*out = s;
	return 0;
}

void km_signer_free(struct km_signer *s)
{
	if (!s)
		return;
	/* A call still hanging uses the key and the token: leave them to process exit. */
	if (s->abandoned)
		return;
	for (unsigned int i = 1; i < s->nlanes; i++)
		EVP_PKEY_free(s->lane_keys[i]);
	EVP_PKEY_free(s->key);
	EVP_PKEY_free(s->pub);
	km_token_close(s->token);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void km_signer_set_policy(struct km_signer *s, const struct km_sign_policy *p)
{
	s->policy = *p;
}

int km_signer_set_jobs(struct km_signer *s, unsigned int jobs, struct km_err *e)
{
	int n, r;

	if (!s->token)
		return 0;
	n = km_token_lanes(s->token, jobs, e);
	if (n < 0)
		return n;
	if ((unsigned int)n > sizeof(s->lane_keys) / sizeof(s->lane_keys[0]))
		n = sizeof(s->lane_keys) / sizeof(s->lane_keys[0]);
	s->lane_keys[0] = s->key;
	for (s->nlanes = s->nlanes ? s->nlanes : 1; s->nlanes < (unsigned int)n; s->nlanes++) {
		r = km_token_lane_key(s->token, s->nlanes, &s->lane_keys[s->nlanes], e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The key to sign with: the lanes in turn, so that their pools share the load. */
static EVP_PKEY *pick_key(struct km_signer *s)
{
	if (s->nlanes < 2)
		return s->key;
	return s->lane_keys[__atomic_fetch_add(&s->next_lane, 1, __ATOMIC_RELAXED) % s->nlanes];
}

EVP_PKEY *km_signer_pubkey(struct km_signer *s)
{
	return s->pub;
}

EVP_PKEY *km_signer_private_key(struct km_signer *s)
{
	return s->key;
}

struct km_token *km_signer_token(struct km_signer *s)
{
	return s->token;
}

const char *km_signer_describe(struct km_signer *s)
{
	return s->desc;
}

size_t km_signer_sig_max(struct km_signer *s)
{
	return (size_t)EVP_PKEY_size(s->pub);
}

int km_signer_check_md(struct km_signer *s, const EVP_MD *md, struct km_err *e)
{
	int bits = EVP_PKEY_bits(s->pub);
	int need;

	if (EVP_PKEY_base_id(s->pub) != EVP_PKEY_EC)
		return 0;
	/* ECDSA signers in KMSs and HSMs pair each curve with one hash. */
	need = bits <= 256 ? 32 : bits <= 384 ? 48 : 64;
	if (EVP_MD_size(md) == need)
		return 0;
	return km_err_set(e, -EINVAL, "%s cannot be used with EC P-%d: use sha%d",
			  km_md_short_name(md), bits,
			  need == 32   ? 256
			  : need == 48 ? 384
				       : 512);
}

static const struct {
	const char *name;
	int nid;
} hashes[] = {
	{ "sha1", NID_sha1 },	  { "sha224", NID_sha224 }, { "sha256", NID_sha256 },
	{ "sha384", NID_sha384 }, { "sha512", NID_sha512 },
};

const EVP_MD *km_md_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hashes); i++)
		if (strcasecmp(name, hashes[i].name) == 0)
			return EVP_get_digestbynid(hashes[i].nid);
	return NULL;
}

const char *km_md_short_name(const EVP_MD *md)
{
	size_t i;

	for (i = 0; md && i < ARRAY_SIZE(hashes); i++)
		if (EVP_MD_type(md) == hashes[i].nid)
			return hashes[i].name;
	return "unknown";
}

static EVP_PKEY_CTX *sign_ctx(EVP_PKEY *key, const EVP_MD *md, bool verify)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);

	if (!ctx)
		return NULL;
	if ((verify ? EVP_PKEY_verify_init(ctx) : EVP_PKEY_sign_init(ctx)) <= 0)
		goto fail;
	if (EVP_PKEY_base_id(key) == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0)
		goto fail;
	if (EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0)
		goto fail;
	return ctx;
fail:
	EVP_PKEY_CTX_free(ctx);
	return NULL;
}

int km_verify_digest(EVP_PKEY *pub, const EVP_MD *md, const unsigned char *dg, size_t dlen,
		     const unsigned char *sig, size_t siglen, struct km_err *e)
{
	EVP_PKEY_CTX *ctx = sign_ctx(pub, md, true);
	int r;

	if (!ctx)
		return km_err_ssl(e, -EINVAL, "cannot set up verification");
	r = EVP_PKEY_verify(ctx, sig, siglen, dg, dlen);
	EVP_PKEY_CTX_free(ctx);
	if (r != 1)
		return km_err_ssl(e, -EBADMSG, "the signature does not verify");
	return 0;
}

/* Waits for this caller's turn under max_rate; the schedule is shared by all threads. */
static void pace(struct km_signer *s)
{
	double slot, now;

	if (s->policy.max_rate <= 0)
		return;
	pthread_mutex_lock(&s->lock);
	now = now_mono();
	slot = s->next_slot > now ? s->next_slot : now;
	s->next_slot = slot + 1.0 / s->policy.max_rate;
	pthread_mutex_unlock(&s->lock);
	sleep_for(slot - now);
}

static bool transient(const struct km_err *e)
{
	/*
	 * A timeout, or a signature that failed verify-after-sign: aws-kms-pkcs11
	 * once returned malformed ECDSA r||s for some signatures; a new one is fine.
	 */
	if (e->code == -ETIMEDOUT || e->code == -EBADMSG)
		return true;
	switch (e->ckr) {
	case CKR_GENERAL_ERROR:
	case CKR_FUNCTION_FAILED:
	case CKR_DEVICE_ERROR:
	case CKR_DEVICE_MEMORY:
	case CKR_SESSION_COUNT:
		return true;
	default:
		return false;
	}
}

/* Exponential backoff with full jitter: a random delay in [d/2, d]. */
static double backoff(const struct km_sign_policy *p, unsigned int attempt)
{
	double d = p->backoff_ms / 1000.0;
	unsigned int r = 0;

	while (attempt-- && d < p->backoff_max_ms / 1000.0)
		d *= 2;
	if (d > p->backoff_max_ms / 1000.0)
		d = p->backoff_max_ms / 1000.0;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = 0;
	return d / 2 + d / 2 * (r / 4294967295.0);
}

static int sign_direct(struct km_signer *s, const EVP_MD *md, const unsigned char *dg, size_t dlen,
		       unsigned char *sig, size_t *siglen, struct km_err *e)
{
	EVP_PKEY_CTX *ctx = sign_ctx(pick_key(s), md, false);
	int r;

	if (!ctx)
		return km_err_ssl(e, -EINVAL, "cannot set up signing with %s", s->desc);
	r = EVP_PKEY_sign(ctx, sig, siglen, dg, dlen);
	EVP_PKEY_CTX_free(ctx);
	if (r != 1)
		return km_err_ssl(e, -EIO, "%s%s%s: signing failed", s->token ? "token '" : "key",
				  s->token ? km_token_label(s->token) : "", s->token ? "'" : "");
	return km_verify_digest(s->pub, md, dg, dlen, sig, *siglen, e) < 0
		       ? km_err_set(e, -EBADMSG,
				    "the signer returned a signature that does not "
				    "verify with its public key")
		       : 0;
}

static void call_free(struct call *c)
{
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->done_cv);
	free(c->sig);
	free(c);
}

static void *call_run(void *arg)
{
	struct call *c = arg;
	bool abandoned;

	c->r = sign_direct(c->s, c->md, c->dg, c->dlen, c->sig, &c->siglen, &c->e);
	pthread_mutex_lock(&c->lock);
	c->done = true;
	abandoned = c->abandoned;
	pthread_cond_signal(&c->done_cv);
	pthread_mutex_unlock(&c->lock);
	if (abandoned)
		call_free(c);
	return NULL;
}

static struct call *call_new(struct km_signer *s, const EVP_MD *md, const unsigned char *dg,
			     size_t dlen, size_t cap)
{
	struct call *c = calloc(1, sizeof(*c));

	if (!c || dlen > sizeof(c->dg) || !(c->sig = malloc(cap))) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->done_cv, NULL);
	c->s = s;
	c->md = md;
	memcpy(c->dg, dg, dlen);
	c->dlen = dlen;
	c->siglen = cap;
	return c;
}

/* Waits for the call until the policy's limit; false when it timed out. */
static bool call_wait(struct call *c, unsigned int ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!c->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c->done_cv, &c->lock, &until);
	return c->done;
}

static int sign_once(struct km_signer *s, const EVP_MD *md, const unsigned char *dg, size_t dlen,
		     unsigned char *sig, size_t *siglen, struct km_err *e)
{
	struct call *c = s->policy.call_ms ? call_new(s, md, dg, dlen, *siglen) : NULL;
	pthread_attr_t attr;
	pthread_t tid;
	int r;

	if (!c)
		return sign_direct(s, md, dg, dlen, sig, siglen, e);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&c->lock);
	r = pthread_create(&tid, &attr, call_run, c);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		pthread_mutex_unlock(&c->lock);
		call_free(c);
		return sign_direct(s, md, dg, dlen, sig, siglen, e);
	}
	if (!call_wait(c, s->policy.call_ms)) {
		c->abandoned = true;
		pthread_mutex_unlock(&c->lock);
		pthread_mutex_lock(&s->lock);
		s->abandoned++;
		pthread_mutex_unlock(&s->lock);
		return km_err_set(e, -ETIMEDOUT, "token '%s': no answer within %u ms",
				  s->token ? km_token_label(s->token) : "?", s->policy.call_ms);
	}
	pthread_mutex_unlock(&c->lock);
	r = c->r;
	*e = c->e;
	if (r == 0) {
		memcpy(sig, c->sig, c->siglen);
		*siglen = c->siglen;
	}
	call_free(c);
	return r;
}

int km_signer_sign(struct km_signer *s, const EVP_MD *md, const unsigned char *dg, size_t dlen,
		   unsigned char *sig, size_t *siglen, struct km_err *e)
{
	double deadline = now_mono() + s->policy.deadline_ms / 1000.0;
	size_t cap = *siglen;
	unsigned int attempt;
	int r = -EIO;

	for (attempt = 0; attempt <= s->policy.retries; attempt++) {
		if (attempt) {
			double wait = backoff(&s->policy, attempt - 1);

			if (now_mono() + wait > deadline)
				break;
			pthread_mutex_lock(&s->lock);
			s->retries++;
			pthread_mutex_unlock(&s->lock);
			sleep_for(wait);
		}
		pace(s);
		*siglen = cap;
		km_err_clear(e);
		r = sign_once(s, md, dg, dlen, sig, siglen, e);
		if (r == 0) {
			pthread_mutex_lock(&s->lock);
			s->signs++;
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		if (!transient(e))
			return r;
	}
	if (attempt > 1)
		km_err_prefix(e, "gave up after %u attempts", attempt);
	return r;
}

void km_signer_stats(struct km_signer *s, unsigned long *signs, unsigned long *retries)
{
	pthread_mutex_lock(&s->lock);
	*signs = s->signs;
	*retries = s->retries;
	pthread_mutex_unlock(&s->lock);
}
