#!/bin/bash
# Builds the kernel's own scripts/sign-file from Debian's linux-source-6.1 into DIR (cached).
#
# DIR/sign-file is the oracle with PEM keys. DIR/sign-file-engine takes the
# OpenSSL ENGINE path for pkcs11: URIs (the path 4.9-5.15 kernels use); on
# OpenSSL 3 the stock build only tries the pkcs11-provider, which Debian 12
# lacks.
set -euo pipefail

out=${1:?usage: build.sh DIR}
tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -1)
[ -n "$tarball" ] || { echo "oracle: apt-get install linux-source-6.1" >&2; exit 1; }
stamp="$(stat -c '%s %Y' "$tarball") $(sha256sum "$0" | cut -c1-16)"
if [ -x "$out/sign-file" ] && [ -x "$out/sign-file-engine" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
top=$(basename "$tarball" | sed "s/\.tar\..*//")
tar -xf "$tarball" -C "$work" "$top/scripts/sign-file.c" "$top/scripts/ssl-common.h"
srcf=$work/$top/scripts/sign-file.c
gcc -O2 -o "$out/sign-file" "$srcf" -lcrypto -Wno-deprecated-declarations
# The ENGINE variant: the same source with the provider branch switched off,
# and the engine pointed at $PKCS11_MODULE_PATH (what MODULE_PATH in an
# openssl.cnf engine section would do) before ENGINE_init.
sed -e 's/^#if OPENSSL_VERSION_MAJOR >= 3$/#if 0/' \
	-e 's/^\(\s*\)ERR(!e, "Load PKCS#11 ENGINE");$/&\n\1if (getenv("PKCS11_MODULE_PATH"))\n\1\tERR(!ENGINE_ctrl_cmd_string(e, "MODULE_PATH", getenv("PKCS11_MODULE_PATH"), 0), "MODULE_PATH");/' \
	"$srcf" >"$work/$top/scripts/sign-file-engine.c"
grep -q '^#if 0$' "$work/$top/scripts/sign-file-engine.c" &&
	grep -q '"MODULE_PATH", getenv' "$work/$top/scripts/sign-file-engine.c" ||
	{ echo "oracle: cannot select the ENGINE path" >&2; exit 1; }
gcc -O2 -o "$out/sign-file-engine" "$work/$top/scripts/sign-file-engine.c" -lcrypto -Wno-deprecated-declarations
echo "$stamp" >"$out/.stamp"
