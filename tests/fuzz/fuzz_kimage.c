/* Fuzzes the kernel image reader: ELF vmlinux, bzImage headers, compressed payloads. */
#include "fuzz.h"
#include "kimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *sk = NULL;
	struct km_err e = { 0 };
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	if (km_kimage_load_certs(path, &sk, &e) == 0)
		sk_X509_pop_free(sk, X509_free);
	close(fd);
	return 0;
}
