/* Fuzzes the module signature trailer parser and the ELF module check. */
#include <string.h>

#include "elfmod.h"
#include "fuzz.h"
#include "modsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct km_err e = { 0 };
	struct km_modsig m;
	size_t tl = size < KM_MODSIG_TRAILER_LEN ? size : KM_MODSIG_TRAILER_LEN;
	struct km_reader r = { .fd = -1, .buf = data, .len = size };

	if (km_modsig_parse(data + size - tl, tl, size, &m, &e) == 0) {
		if (m.content_len > size || (m.is_signed && m.sig_offset + m.sig_len > size))
			__builtin_trap();
		r.len = m.content_len;
	}
	(void)km_elf_check_module(&r, &e);
	if (memchr(e.msg, '\n', sizeof(e.msg)))
		__builtin_trap(); /* messages are one line */
	return 0;
}
