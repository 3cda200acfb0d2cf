/* kms-sim: the key and certificate objects, their attributes, and object search. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

static bool set_ul(struct sim_attr *v, CK_ULONG x)
{
	v->ul = x;
	v->p = &v->ul;
	v->len = sizeof(v->ul);
	return true;
}

static bool set_bool(struct sim_attr *v, bool x)
{
	v->b = x ? CK_TRUE : CK_FALSE;
	v->p = &v->b;
	v->len = sizeof(v->b);
	return true;
}

static bool set_mem(struct sim_attr *v, const void *p, size_t len)
{
	v->p = p;
	v->len = len;
	return true;
}

static bool set_bytes(struct sim_attr *v, const struct sim_bytes *b)
{
	return b->p && set_mem(v, b->p, b->len);
}

static bool common_attr(const struct sim_slot *s, CK_ATTRIBUTE_TYPE type, struct sim_attr *v)
{
	switch (type) {
	case CKA_TOKEN:
		return set_bool(v, true);
	case CKA_ID:
		return set_mem(v, s->key_id, strlen(s->key_id));
	case CKA_LABEL:
		return set_mem(v, s->label, strlen(s->label));
	default:
		return false;
	}
}

/* Exactly the attributes aws-kms-pkcs11 answers for its key; everything else is invalid there too.
 */
static bool key_attr(const struct sim_slot *s, CK_ATTRIBUTE_TYPE type, struct sim_attr *v)
{
	switch (type) {
	case CKA_CLASS:
		return set_ul(v, CKO_PRIVATE_KEY);
	case CKA_SENSITIVE:
	case CKA_SIGN:
		return set_bool(v, true);
	case CKA_EXTRACTABLE:
	case CKA_ALWAYS_AUTHENTICATE:
		return set_bool(v, false);
	case CKA_KEY_TYPE:
		return set_ul(v, s->key_type);
	case CKA_MODULUS:
		return set_bytes(v, &s->modulus);
	case CKA_PUBLIC_EXPONENT:
		return set_bytes(v, &s->exponent);
	case CKA_EC_PARAMS:
		return set_bytes(v, &s->ec_params);
	case CKA_EC_POINT:
		return set_bytes(v, &s->ec_point);
	default:
		return common_attr(s, type, v);
	}
}

static bool cert_attr(const struct sim_slot *s, CK_ATTRIBUTE_TYPE type, struct sim_attr *v)
{
	switch (type) {
	case CKA_CLASS:
		return set_ul(v, CKO_CERTIFICATE);
	case CKA_CERTIFICATE_TYPE:
		return set_ul(v, CKC_X_509);
	case CKA_PRIVATE:
	case CKA_MODIFIABLE:
	case CKA_TRUSTED:
		return set_bool(v, false);
	case CKA_SUBJECT:
		return set_bytes(v, &s->subject);
	case CKA_ISSUER:
		return set_bytes(v, &s->issuer);
	case CKA_SERIAL_NUMBER:
		return set_bytes(v, &s->serial);
	case CKA_VALUE:
		return set_bytes(v, &s->cert);
	default:
		return common_attr(s, type, v);
	}
}

bool sim_object_exists(const struct sim_slot *s, CK_OBJECT_HANDLE h)
{
	return h == SIM_KEY_HANDLE || (h == SIM_CERT_HANDLE && s->has_cert);
}

bool sim_object_attr(const struct sim_slot *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
		     struct sim_attr *v)
{
	if (!sim_object_exists(s, h))
		return false;
	return h == SIM_KEY_HANDLE ? key_attr(s, type, v) : cert_attr(s, type, v);
}

/* The spec's rules: every attribute is processed; the last error found is returned. */
static CK_RV get_one(const struct sim_slot *s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE *a)
{
	struct sim_attr v;

	if (!sim_object_attr(s, h, a->type, &v)) {
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
	if (!a->pValue) {
		a->ulValueLen = v.len;
		return CKR_OK;
	}
	if (a->ulValueLen < v.len) {
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(a->pValue, v.p, v.len);
	a->ulValueLen = v.len;
	return CKR_OK;
}

static bool asks_public_key(const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (tmpl[i].type == CKA_MODULUS || tmpl[i].type == CKA_PUBLIC_EXPONENT ||
		    tmpl[i].type == CKA_EC_POINT || tmpl[i].type == CKA_EC_PARAMS)
			return true;
	return false;
}

/*
 * aws-kms-pkcs11 fetches the public key lazily with one GetPublicKey call
 * per process, through a client of its own, and caches it: the first read of
 * the key's public parts costs a KMS call (KMS_SIM_CONNECT_MS and
 * KMS_SIM_LATENCY_MS), later ones nothing.
 */
static void get_public_key_round_trip(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
				      const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	struct sim_session *sess;
	unsigned long wait = 0;
	struct sim_slot *s;

	if (obj != SIM_KEY_HANDLE || !tmpl || !asks_public_key(tmpl, n))
		return;
	pthread_mutex_lock(&sim_lock);
	sess = sim_state ? sim_session_get(h) : NULL;
	s = sess ? &sim_state->slots[sess->slot] : NULL;
	if (s && !s->pubkey_fetched) {
		s->pubkey_fetched = true;
		wait = sim_kms_call_ms(&sim_state->kms);
	}
	pthread_mutex_unlock(&sim_lock);
	if (wait) {
		struct timespec ts = { (time_t)(wait / 1000), (long)(wait % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

CK_RV C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	struct sim_session *sess;
	struct sim_slot *s;
	CK_RV rv = CKR_OK;
	CK_ULONG i;

	if (!tmpl && n)
		return CKR_ARGUMENTS_BAD;
	get_public_key_round_trip(h, obj, tmpl, n);
	pthread_mutex_lock(&sim_lock);
	sess = sim_session_get(h);
	s = sess ? &sim_state->slots[sess->slot] : NULL;
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (!sess)
		rv = CKR_SESSION_HANDLE_INVALID;
	else if (!sim_object_exists(s, obj))
		rv = CKR_OBJECT_HANDLE_INVALID;
	for (i = 0; s && sim_object_exists(s, obj) && i < n; i++) {
		CK_RV r = get_one(s, obj, &tmpl[i]);

		if (r != CKR_OK)
			rv = r;
	}
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

void sim_find_clear(struct sim_session *sess)
{
	CK_ULONG i;

	for (i = 0; i < sess->n_tmpl; i++)
		free(sess->tmpl[i].pValue);
	free(sess->tmpl);
	sess->tmpl = NULL;
	sess->n_tmpl = 0;
	sess->finding = false;
}

static CK_RV copy_template(struct sim_session *sess, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG i;

	sess->tmpl = calloc(n ? n : 1, sizeof(*sess->tmpl));
	if (!sess->tmpl)
		return CKR_HOST_MEMORY;
	for (i = 0; i < n; i++) {
		CK_ATTRIBUTE *a = &sess->tmpl[i];

		a->type = tmpl[i].type;
		a->ulValueLen = tmpl[i].ulValueLen;
		a->pValue = malloc(a->ulValueLen ? a->ulValueLen : 1);
		sess->n_tmpl = i + 1;
		if (!a->pValue)
			return CKR_HOST_MEMORY;
		if (a->ulValueLen && tmpl[i].pValue)
			memcpy(a->pValue, tmpl[i].pValue, a->ulValueLen);
	}
	return CKR_OK;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	struct sim_session *sess;
	CK_RV rv;

	if (!tmpl && n)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&sim_lock);
	sess = sim_session_get(h);
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (!sess)
		rv = CKR_SESSION_HANDLE_INVALID;
	else if (sess->finding)
		rv = CKR_OPERATION_ACTIVE;
	else
		rv = copy_template(sess, tmpl, n);
	if (sess && rv == CKR_OK) {
		sess->finding = true;
		sess->next = SIM_KEY_HANDLE;
	} else if (sess && !sess->finding) {
		sim_find_clear(sess);
	}
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

/* As aws-kms-pkcs11: the key also answers a search for CKO_PUBLIC_KEY. */
static bool matches(const struct sim_slot *s, CK_OBJECT_HANDLE h, const CK_ATTRIBUTE *a)
{
	struct sim_attr v;

	if (!sim_object_attr(s, h, a->type, &v))
		return false;
	if (a->type == CKA_CLASS && h == SIM_KEY_HANDLE && a->ulValueLen == sizeof(CK_ULONG) &&
	    *(const CK_ULONG *)a->pValue == CKO_PUBLIC_KEY)
		return true;
	return v.len == a->ulValueLen && memcmp(v.p, a->pValue, v.len) == 0;
}

static bool matches_all(const struct sim_slot *s, CK_OBJECT_HANDLE h,
			const struct sim_session *sess)
{
	CK_ULONG i;

	if (!sim_object_exists(s, h))
		return false;
	for (i = 0; i < sess->n_tmpl; i++)
		if (!matches(s, h, &sess->tmpl[i]))
			return false;
	return true;
}

CK_RV C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *out, CK_ULONG max, CK_ULONG *count)
{
	struct sim_session *sess;
	CK_RV rv = CKR_OK;

	if (!out || !count)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&sim_lock);
	sess = sim_session_get(h);
	*count = 0;
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (!sess)
		rv = CKR_SESSION_HANDLE_INVALID;
	else if (!sess->finding)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	for (; rv == CKR_OK && *count < max && sess->next <= SIM_CERT_HANDLE; sess->next++)
		if (matches_all(&sim_state->slots[sess->slot], sess->next, sess))
			out[(*count)++] = sess->next;
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
	struct sim_session *sess;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&sim_lock);
	sess = sim_session_get(h);
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (!sess)
		rv = CKR_SESSION_HANDLE_INVALID;
	else if (!sess->finding)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else
		sim_find_clear(sess);
	pthread_mutex_unlock(&sim_lock);
	return rv;
}
