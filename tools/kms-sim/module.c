/* kms-sim: the module's life cycle, slots, tokens, mechanisms, sessions and login. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

pthread_mutex_t sim_lock = PTHREAD_MUTEX_INITIALIZER;
struct sim *sim_state;

void sim_debug(const char *fmt, ...)
{
	const char *d = getenv("AWS_KMS_PKCS11_DEBUG");
	va_list ap;

	if (!d || !d[0])
		return;
	va_start(ap, fmt);
	fputs("kms-sim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void sim_free(struct sim *s)
{
	size_t i;

	for (i = 0; i < s->n_sessions; i++) {
		sim_find_clear(s->sessions[i]);
		free(s->sessions[i]);
	}
	free(s->sessions);
	sim_slots_free(s);
	sim_kms_fini(&s->kms);
	free(s);
}

/* Mutex callbacks are not used: the module always locks with pthreads, which any caller accepts. */
static CK_RV check_init_args(const CK_C_INITIALIZE_ARGS *a)
{
	int given;

	if (!a)
		return CKR_OK;
	if (a->pReserved)
		return CKR_ARGUMENTS_BAD;
	given = !!a->CreateMutex + !!a->DestroyMutex + !!a->LockMutex + !!a->UnlockMutex;
	if (given != 0 && given != 4)
		return CKR_ARGUMENTS_BAD;
	return CKR_OK;
}

CK_RV C_Initialize(void *init_args)
{
	struct sim *s;
	CK_RV rv = check_init_args(init_args);

	if (rv != CKR_OK)
		return rv;
	pthread_mutex_lock(&sim_lock);
	if (sim_state) {
		pthread_mutex_unlock(&sim_lock);
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	}
	s = calloc(1, sizeof(*s));
	rv = s ? sim_kms_init(&s->kms) : CKR_HOST_MEMORY;
	if (rv == CKR_OK)
		rv = sim_slots_load(s);
	if (rv == CKR_OK) {
		s->next_handle = 1;
		sim_state = s;
	} else if (s) {
		sim_free(s);
	}
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

CK_RV C_Finalize(void *reserved)
{
	struct sim *s;

	if (reserved)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&sim_lock);
	s = sim_state;
	sim_state = NULL;
	pthread_mutex_unlock(&sim_lock);
	if (!s)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	sim_free(s);
	return CKR_OK;
}

static void pad(unsigned char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	memset(dst, ' ', size);
	memcpy(dst, src, n < size ? n : size);
}

CK_RV C_GetInfo(CK_INFO *info)
{
	if (!sim_state)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (!info)
		return CKR_ARGUMENTS_BAD;
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	pad(info->manufacturerID, sizeof(info->manufacturerID), "aws_kms");
	pad(info->libraryDescription, sizeof(info->libraryDescription), "kmsign KMS stand-in");
	info->libraryVersion.major = 1;
	return CKR_OK;
}

/* Calls fn under sim_lock with the slot, or fails as a PKCS#11 module must. */
static CK_RV with_slot(CK_SLOT_ID id, CK_RV (*fn)(struct sim_slot *, void *), void *arg)
{
	CK_RV rv;

	pthread_mutex_lock(&sim_lock);
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (id >= sim_state->n_slots)
		rv = CKR_SLOT_ID_INVALID;
	else
		rv = fn(&sim_state->slots[id], arg);
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

CK_RV C_GetSlotList(CK_BBOOL token_present, CK_SLOT_ID *list, CK_ULONG *count)
{
	CK_RV rv = CKR_OK;
	CK_ULONG i, n;

	if (!count)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&sim_lock);
	n = sim_state ? sim_state->n_slots : 0;
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (list && *count < n)
		rv = CKR_BUFFER_TOO_SMALL;
	for (i = 0; rv == CKR_OK && list && i < n; i++)
		list[i] = i;
	if (rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL)
		*count = n;
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

static CK_RV slot_info(struct sim_slot *slot, void *arg)
{
	CK_SLOT_INFO *info = arg;

	memset(info, 0, sizeof(*info));
	pad(info->slotDescription, sizeof(info->slotDescription), slot->label);
	pad(info->manufacturerID, sizeof(info->manufacturerID), "aws_kms");
	info->flags = CKF_TOKEN_PRESENT;
	return CKR_OK;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO *info)
{
	if (!info)
		return CKR_ARGUMENTS_BAD;
	return with_slot(id, slot_info, info);
}

static CK_RV token_info(struct sim_slot *slot, void *arg)
{
	CK_TOKEN_INFO *info = arg;

	memset(info, 0, sizeof(*info));
	pad(info->label, sizeof(info->label), slot->label);
	pad(info->manufacturerID, sizeof(info->manufacturerID), "aws_kms");
	pad(info->model, sizeof(info->model), "kms-sim");
	pad(info->serialNumber, sizeof(info->serialNumber), "");
	/* No CKF_LOGIN_REQUIRED: aws-kms-pkcs11 needs no PIN. */
	info->flags = CKF_TOKEN_INITIALIZED;
	info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	return CKR_OK;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO *info)
{
	if (!info)
		return CKR_ARGUMENTS_BAD;
	return with_slot(id, token_info, info);
}

static CK_RV no_op(struct sim_slot *slot, void *arg)
{
	return CKR_OK;
}

CK_RV C_GetMechanismList(CK_SLOT_ID id, CK_MECHANISM_TYPE *list, CK_ULONG *count)
{
	CK_RV rv;

	if (!count)
		return CKR_ARGUMENTS_BAD;
	rv = with_slot(id, no_op, NULL);
	if (rv != CKR_OK)
		return rv;
	if (list && *count < 2) {
		*count = 2;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (list) {
		list[0] = CKM_RSA_PKCS;
		list[1] = CKM_ECDSA;
	}
	*count = 2;
	return CKR_OK;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	CK_RV rv;

	if (!info)
		return CKR_ARGUMENTS_BAD;
	rv = with_slot(id, no_op, NULL);
	if (rv != CKR_OK)
		return rv;
	memset(info, 0, sizeof(*info));
	info->flags = CKF_SIGN | CKF_HW;
	if (type == CKM_RSA_PKCS) {
		info->ulMinKeySize = 2048;
		info->ulMaxKeySize = 4096;
	} else if (type == CKM_ECDSA) {
		info->ulMinKeySize = 256;
		info->ulMaxKeySize = 521;
	} else {
		return CKR_MECHANISM_INVALID;
	}
	return CKR_OK;
}

struct sim_session *sim_session_get(CK_SESSION_HANDLE h)
{
	size_t i;

	if (!sim_state)
		return NULL;
	for (i = 0; i < sim_state->n_sessions; i++)
		if (sim_state->sessions[i]->handle == h)
			return sim_state->sessions[i];
	return NULL;
}

static CK_RV add_session(struct sim *s, struct sim_session *sess)
{
	if (s->n_sessions == s->cap_sessions) {
		size_t cap = s->cap_sessions ? 2 * s->cap_sessions : 16;
		struct sim_session **n = realloc(s->sessions, cap * sizeof(*n));

		if (!n)
			return CKR_HOST_MEMORY;
		s->sessions = n;
		s->cap_sessions = cap;
	}
	s->sessions[s->n_sessions++] = sess;
	return CKR_OK;
}

CK_RV C_OpenSession(CK_SLOT_ID id, CK_FLAGS flags, void *app, CK_NOTIFY notify,
		    CK_SESSION_HANDLE *handle)
{
	struct sim_session *sess;
	CK_RV rv;

	if (!handle)
		return CKR_ARGUMENTS_BAD;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	sess = calloc(1, sizeof(*sess));
	if (!sess)
		return CKR_HOST_MEMORY;
	pthread_mutex_lock(&sim_lock);
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (id >= sim_state->n_slots)
		rv = CKR_SLOT_ID_INVALID;
	else
		rv = add_session(sim_state, sess);
	if (rv == CKR_OK) {
		sess->handle = *handle = sim_state->next_handle++;
		sess->slot = id;
		sess->flags = flags;
	}
	pthread_mutex_unlock(&sim_lock);
	if (rv != CKR_OK)
		free(sess);
	return rv;
}

/* Under sim_lock. */
static void remove_session(size_t i)
{
	struct sim *s = sim_state;

	sim_find_clear(s->sessions[i]);
	free(s->sessions[i]);
	s->sessions[i] = s->sessions[--s->n_sessions];
}

CK_RV C_CloseSession(CK_SESSION_HANDLE h)
{
	CK_RV rv = CKR_SESSION_HANDLE_INVALID;
	size_t i;

	pthread_mutex_lock(&sim_lock);
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	for (i = 0; sim_state && i < sim_state->n_sessions; i++) {
		if (sim_state->sessions[i]->handle == h) {
			remove_session(i);
			rv = CKR_OK;
			break;
		}
	}
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID id)
{
	CK_RV rv = CKR_OK;
	size_t i;

	pthread_mutex_lock(&sim_lock);
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (id >= sim_state->n_slots)
		rv = CKR_SLOT_ID_INVALID;
	for (i = 0; rv == CKR_OK && i < sim_state->n_sessions;) {
		if (sim_state->sessions[i]->slot == id)
			remove_session(i);
		else
			i++;
	}
	if (rv == CKR_OK)
		sim_state->slots[id].logged_in = false;
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

/* Calls fn under sim_lock with the session, or fails as a PKCS#11 module must. */
static CK_RV with_session(CK_SESSION_HANDLE h, CK_RV (*fn)(struct sim_session *, void *), void *arg)
{
	struct sim_session *sess;
	CK_RV rv;

	pthread_mutex_lock(&sim_lock);
	sess = sim_session_get(h);
	if (!sim_state)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (!sess)
		rv = CKR_SESSION_HANDLE_INVALID;
	else
		rv = fn(sess, arg);
	pthread_mutex_unlock(&sim_lock);
	return rv;
}

static CK_RV session_info(struct sim_session *sess, void *arg)
{
	CK_SESSION_INFO *info = arg;
	bool rw = sess->flags & CKF_RW_SESSION;

	memset(info, 0, sizeof(*info));
	info->slotID = sess->slot;
	info->flags = sess->flags;
	if (sim_state->slots[sess->slot].logged_in)
		info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	else
		info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	return CKR_OK;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO *info)
{
	if (!info)
		return CKR_ARGUMENTS_BAD;
	return with_session(h, session_info, info);
}

static CK_RV set_login(struct sim_session *sess, void *arg)
{
	sim_state->slots[sess->slot].logged_in = arg != NULL;
	return CKR_OK;
}

/* As aws-kms-pkcs11: any PIN, any user, already logged in or not, succeeds. */
CK_RV C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, unsigned char *pin, CK_ULONG pin_len)
{
	return with_session(h, set_login, &h);
}

CK_RV C_Logout(CK_SESSION_HANDLE h)
{
	return with_session(h, set_login, NULL);
}

static CK_FUNCTION_LIST function_list = {
	.version = { 2, 40 },
#define F(name) .name = name
	F(C_Initialize),
	F(C_Finalize),
	F(C_GetInfo),
	F(C_GetFunctionList),
	F(C_GetSlotList),
	F(C_GetSlotInfo),
	F(C_GetTokenInfo),
	F(C_GetMechanismList),
	F(C_GetMechanismInfo),
	F(C_InitToken),
	F(C_InitPIN),
	F(C_SetPIN),
	F(C_OpenSession),
	F(C_CloseSession),
	F(C_CloseAllSessions),
	F(C_GetSessionInfo),
	F(C_GetOperationState),
	F(C_SetOperationState),
	F(C_Login),
	F(C_Logout),
	F(C_CreateObject),
	F(C_CopyObject),
	F(C_DestroyObject),
	F(C_GetObjectSize),
	F(C_GetAttributeValue),
	F(C_SetAttributeValue),
	F(C_FindObjectsInit),
	F(C_FindObjects),
	F(C_FindObjectsFinal),
	F(C_EncryptInit),
	F(C_Encrypt),
	F(C_EncryptUpdate),
	F(C_EncryptFinal),
	F(C_DecryptInit),
	F(C_Decrypt),
	F(C_DecryptUpdate),
	F(C_DecryptFinal),
	F(C_DigestInit),
	F(C_Digest),
	F(C_DigestUpdate),
	F(C_DigestKey),
	F(C_DigestFinal),
	F(C_SignInit),
	F(C_Sign),
	F(C_SignUpdate),
	F(C_SignFinal),
	F(C_SignRecoverInit),
	F(C_SignRecover),
	F(C_VerifyInit),
	F(C_Verify),
	F(C_VerifyUpdate),
	F(C_VerifyFinal),
	F(C_VerifyRecoverInit),
	F(C_VerifyRecover),
	F(C_DigestEncryptUpdate),
	F(C_DecryptDigestUpdate),
	F(C_SignEncryptUpdate),
	F(C_DecryptVerifyUpdate),
	F(C_GenerateKey),
	F(C_GenerateKeyPair),
	F(C_WrapKey),
	F(C_UnwrapKey),
	F(C_DeriveKey),
	F(C_SeedRandom),
	F(C_GenerateRandom),
	F(C_GetFunctionStatus),
	F(C_CancelFunction),
	F(C_WaitForSlotEvent),
#undef F
};

CK_RV C_GetFunctionList(CK_FUNCTION_LIST **list)
{
	if (!list)
		return CKR_ARGUMENTS_BAD;
	*list = &function_list;
	return CKR_OK;
}
