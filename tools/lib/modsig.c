/* The kernel's appended module signature trailer. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "modsig.h"

_Static_assert(sizeof(struct km_module_signature) == 12, "struct module_signature is 12 bytes");

int km_modsig_parse(const uint8_t *tail, size_t tail_len, uint64_t file_len, struct km_modsig *out,
		    struct km_err *e)
{
	const uint8_t *magic = tail + tail_len - KM_MODSIG_MAGIC_LEN;
	struct km_module_signature ms;
	uint64_t need;

	memset(out, 0, sizeof(*out));
	out->content_len = file_len;
	if (tail_len < KM_MODSIG_MAGIC_LEN || memcmp(magic, KM_MODSIG_MAGIC, KM_MODSIG_MAGIC_LEN))
		return 0;
	if (tail_len < KM_MODSIG_TRAILER_LEN)
		return km_err_set(e, -EBADMSG,
				  "truncated signature: no room for the signature "
				  "header before the magic");
	memcpy(&ms, magic - sizeof(ms), sizeof(ms));
	if (ms.id_type != KM_PKEY_ID_PKCS7)
		return km_err_set(e, -EBADMSG,
				  "malformed signature: id_type %u, the kernel accepts "
				  "only PKCS#7 (2)",
				  ms.id_type);
	if (ms.algo || ms.hash || ms.signer_len || ms.key_id_len || ms.pad[0] || ms.pad[1] ||
	    ms.pad[2])
		return km_err_set(e, -EBADMSG,
				  "malformed signature: header fields the kernel "
				  "requires to be zero are set");
	out->sig_len = ntohl(ms.sig_len);
	need = (uint64_t)out->sig_len + KM_MODSIG_TRAILER_LEN;
	if (out->sig_len == 0 || need > file_len)
		return km_err_set(e, -EBADMSG,
				  "truncated signature: %u signature bytes announced, "
				  "%llu present",
				  out->sig_len,
				  (unsigned long long)(file_len - KM_MODSIG_TRAILER_LEN));
	out->is_signed = true;
	out->content_len = file_len - need;
	out->sig_offset = out->content_len;
	return 0;
}

void km_modsig_trailer(uint8_t out[KM_MODSIG_TRAILER_LEN], uint32_t sig_len)
{
	struct km_module_signature ms = { .id_type = KM_PKEY_ID_PKCS7, .sig_len = htonl(sig_len) };

	memcpy(out, &ms, sizeof(ms));
	memcpy(out + sizeof(ms), KM_MODSIG_MAGIC, KM_MODSIG_MAGIC_LEN);
}
