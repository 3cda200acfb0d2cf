/* The PKCS#11 functions aws-kms-pkcs11 does not offer either: all CKR_FUNCTION_NOT_SUPPORTED. */
#include "sim.h"

/*
 * C_CreateObject is among them: aws-kms-pkcs11 cannot store a certificate, so
 * kmsign writes certificate_path into its config instead.
 */

CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID *slot, void *reserved)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_InitToken(CK_SLOT_ID slot_id, unsigned char *pin, unsigned long pin_len,
		  unsigned char *label)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_InitPIN(CK_SESSION_HANDLE session, unsigned char *pin, unsigned long pin_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SetPIN(CK_SESSION_HANDLE session, unsigned char *old_pin, unsigned long old_len,
	       unsigned char *new_pin, unsigned long new_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_GetOperationState(CK_SESSION_HANDLE session, unsigned char *operation_state,
			  unsigned long *operation_state_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SetOperationState(CK_SESSION_HANDLE session, unsigned char *operation_state,
			  unsigned long operation_state_len, CK_OBJECT_HANDLE encryption_key,
			  CK_OBJECT_HANDLE auth_key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_CreateObject(CK_SESSION_HANDLE session, CK_ATTRIBUTE *templ, unsigned long count,
		     CK_OBJECT_HANDLE *object)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_CopyObject(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE *templ,
		   unsigned long count, CK_OBJECT_HANDLE *new_object)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DestroyObject(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, unsigned long *size)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SetAttributeValue(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE *templ,
			  unsigned long count)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_EncryptInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_Encrypt(CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
		unsigned char *encrypted_data, unsigned long *encrypted_data_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_EncryptUpdate(CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len,
		      unsigned char *encrypted_part, unsigned long *encrypted_part_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_EncryptFinal(CK_SESSION_HANDLE session, unsigned char *last_encrypted_part,
		     unsigned long *last_encrypted_part_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DecryptInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_Decrypt(CK_SESSION_HANDLE session, unsigned char *encrypted_data,
		unsigned long encrypted_data_len, unsigned char *data, unsigned long *data_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DecryptUpdate(CK_SESSION_HANDLE session, unsigned char *encrypted_part,
		      unsigned long encrypted_part_len, unsigned char *part,
		      unsigned long *part_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DecryptFinal(CK_SESSION_HANDLE session, unsigned char *last_part,
		     unsigned long *last_part_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DigestInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_Digest(CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
	       unsigned char *digest, unsigned long *digest_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DigestUpdate(CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DigestKey(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DigestFinal(CK_SESSION_HANDLE session, unsigned char *digest, unsigned long *digest_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SignRecoverInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SignRecover(CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
		    unsigned char *signature, unsigned long *signature_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_Verify(CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
	       unsigned char *signature, unsigned long signature_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE session, unsigned char *signature,
		    unsigned long signature_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_VerifyRecover(CK_SESSION_HANDLE session, unsigned char *signature,
		      unsigned long signature_len, unsigned char *data, unsigned long *data_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len,
			    unsigned char *encrypted_part, unsigned long *encrypted_part_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE session, unsigned char *encrypted_part,
			    unsigned long encrypted_part_len, unsigned char *part,
			    unsigned long *part_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len,
			  unsigned char *encrypted_part, unsigned long *encrypted_part_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE session, unsigned char *encrypted_part,
			    unsigned long encrypted_part_len, unsigned char *part,
			    unsigned long *part_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_GenerateKey(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_ATTRIBUTE *templ,
		    unsigned long count, CK_OBJECT_HANDLE *key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
			CK_ATTRIBUTE *public_key_template, unsigned long public_key_attribute_count,
			CK_ATTRIBUTE *private_key_template,
			unsigned long private_key_attribute_count, CK_OBJECT_HANDLE *public_key,
			CK_OBJECT_HANDLE *private_key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_WrapKey(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE wrapping_key,
		CK_OBJECT_HANDLE key, unsigned char *wrapped_key, unsigned long *wrapped_key_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_UnwrapKey(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
		  CK_OBJECT_HANDLE unwrapping_key, unsigned char *wrapped_key,
		  unsigned long wrapped_key_len, CK_ATTRIBUTE *templ, unsigned long attribute_count,
		  CK_OBJECT_HANDLE *key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_DeriveKey(CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE base_key,
		  CK_ATTRIBUTE *templ, unsigned long attribute_count, CK_OBJECT_HANDLE *key)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_SeedRandom(CK_SESSION_HANDLE session, unsigned char *seed, unsigned long seed_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE session, unsigned char *random_data,
		       unsigned long random_len)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE session)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV C_CancelFunction(CK_SESSION_HANDLE session)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}
