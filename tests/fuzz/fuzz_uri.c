/* Fuzzes the RFC 7512 PKCS#11 URI parser. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct km_err e = { 0 };
	struct km_uri u;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (km_uri_parse(s, &u, &e) == 0)
		km_uri_clear(&u);
	free(km_uri_redact(s));
	free(s);
	return 0;
}
