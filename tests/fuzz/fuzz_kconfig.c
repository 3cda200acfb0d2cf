/* Fuzzes the kernel .config reader. */
#include "fuzz.h"
#include "kconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct km_kconfig *c = NULL;
	struct km_err e = { 0 };
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	if (km_kconfig_load(path, &c, &e) == 0) {
		(void)km_kconfig_get(c, "CONFIG_MODULE_SIG_KMS_CERT_CN");
		km_kconfig_free(c);
	}
	close(fd);
	return 0;
}
