/* Fuzzes the aws-kms-pkcs11 JSON config reader. */
#include "awscfg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct km_awscfg c;
	struct km_err e = { 0 };
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	if (km_awscfg_load(path, &c, &e) == 0)
		km_awscfg_free(&c);
	close(fd);
	return 0;
}
