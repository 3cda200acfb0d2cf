/* Fuzzes the x509.genkey reader and the subject it builds. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "genkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct km_genkey g;
	struct km_err e = { 0 };
	X509_NAME *name;
	char *text;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (km_genkey_parse(s, "fuzz", &g, &e) == 0) {
		if (km_genkey_subject(&g, &name, &e) == 0)
			X509_NAME_free(name);
		if (km_genkey_format(&g, &text, &e) == 0)
			free(text);
		km_genkey_clear(&g);
	}
	free(s);
	return 0;
}
