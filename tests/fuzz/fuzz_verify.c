/* Fuzzes the whole verification path: trailer, ELF, CMS, decompression. */
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fuzz.h"
#include "modverify.h"

/* A fixed trusted certificate, so that signer matching and verification run. */
static STACK_OF(X509) * trusted(void)
{
	static STACK_OF(X509) * sk;
	const char *path = getenv("FUZZ_CERT");
	FILE *f;

	if (sk)
		return sk;
	sk = sk_X509_new_null();
	f = path ? fopen(path, "r") : NULL;
	if (f) {
		X509 *x = PEM_read_X509(f, NULL, NULL, NULL);

		if (x)
			sk_X509_push(sk, x);
		fclose(f);
	}
	return sk;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct km_verify_result res;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	km_verify_module(path, trusted(), &res);
	close(fd);
	return 0;
}
