#!/bin/bash
# make demo: CONFIG_MODULE_SIG_KMS end to end on this machine, with the KMS
# stand-in token in place of AWS KMS. A throwaway key behind the stand-in;
# Debian's linux-source-6.1 (or KERNEL_SRC=/path/to/tree) patched, configured
# small and built: the certificate is self-signed through the token and stored
# in its aws-kms-pkcs11 config; modules_install signs in one batch and
# verifies; QEMU boots the kernel with module.sig_enforce=1 and shows the
# signed modules loading and the unsigned, tampered and foreign ones refused.
set -euo pipefail

cd "$(dirname "$0")/.."
SRCDIR=$PWD
B=${B:-build}
case $B in /*) ;; *) B=$SRCDIR/$B ;; esac
CACHE=${KMSIGN_CACHE:-$SRCDIR/.cache}
DEMO=$CACHE/demo
KMSIGN=$B/kmsign
KMS_SIM=$B/kms-sim.so
export OPENSSL_CONF=/dev/null
unset PKCS11_MODULE_PATH KBUILD_SIGN_PIN
. "$SRCDIR/tests/e2e/lib.sh"
step() { printf '\n==> %s\n' "$*"; }

step "installing what the demo needs (Debian packages)"
scripts/deps.sh
step "building kmsign"
make -s -j2 all

step "a KMS stand-in token 'kernel-signing' with a throwaway RSA-3072 key (never used for anything real)"
mkdir -p "$DEMO"
rm -rf "$DEMO/token"
kms_token "$DEMO/token" kernel-signing
echo "aws-kms-pkcs11 config: $KMS_TOKEN_CONFIG (no certificate in it yet)"
cat "$KMS_TOKEN_CONFIG"

if [ -n "${KERNEL_SRC:-}" ]; then
	step "your kernel tree: $KERNEL_SRC"
	src=$(cd "$KERNEL_SRC" && pwd)
	scripts/kmsign-apply "$src"
	if [ -e "$src/.config" ]; then
		cp "$src/.config" "$src/.config.before-kmsign-demo"
		echo "your .config is kept as .config.before-kmsign-demo (the demo builds a small one)"
	fi
else
	step "Debian's linux-source-6.1, with the kmsign patches (scripts/kmsign-apply)"
	src=$(kernel_tree_patched /usr/src/linux-source-6.1.tar.xz "$DEMO/linux-6.1")
fi

step "a small x86_64 config with CONFIG_MODULE_SIG_KMS=y (kconfig/module-sig-kms.config)"
missing=$(kernel_config "$src" kernel-signing)
[ -z "$missing" ] || echo "note: this tree did not take: $missing"
grep -E '^CONFIG_MODULE_SIG(_KMS[A-Z_]*|_KEY|_FORCE|_ALL)?=' "$src/.config"

step "make -j$KJOBS: certs/signing_key.x509 comes from kmsign (log: $DEMO/build.log)"
rm -f "$src/certs/signing_key.x509"
kernel_build "$src" "$DEMO/build.log" || { tail -20 "$DEMO/build.log"; exit 1; }
grep -E 'GENKEY|CERT    certs/signing_key|kmsign:' "$DEMO/build.log" || true
echo "the token's config now names the certificate:"
grep certificate_path "$KMS_TOKEN_CONFIG"
"$KMSIGN" embed --list "$src/vmlinux"

step "make modules_install: one kmsign batch, then kmsign verify"
root=$DEMO/root
rm -rf "$root"
modules_install "$src" "$root" "$DEMO/modules_install.log" || { tail -20 "$DEMO/modules_install.log"; exit 1; }
grep -E 'SIGN|kmsign' "$DEMO/modules_install.log" || true
rm -rf "$DEMO/oot" && cp -r "$E2E_DIR/oot" "$DEMO/oot"
kernel_build "$src" "$DEMO/oot.log" M="$DEMO/oot" modules
modules_install "$src" "$root" "$DEMO/oot.install.log" M="$DEMO/oot"
grep -E 'SIGN' "$DEMO/oot.install.log" || true
"$KMSIGN" verify -c "$src/certs/signing_key.x509" "$root"

step "unsigned, tampered and foreign-key copies of md4.ko"
bad_modules "$src/crypto/md4.ko" "$(find "$root" -name md4.ko | head -1)" "$DEMO/bad"
"$KMSIGN" verify -c "$src/certs/signing_key.x509" "$DEMO/bad" || true

step "booting it in QEMU (module.sig_enforce=1); the console:"
initramfs "$root" "$DEMO/bad" "$DEMO/initramfs.cpio.gz"
boot "$src/arch/x86/boot/bzImage" "$DEMO/initramfs.cpio.gz" "$DEMO/console.log"
grep -E '^(E2E-|LOAD-|BAD-)' "$DEMO/console.log.txt"
if grep -q '^LOAD-FAIL\|^BAD-LOADED' "$DEMO/console.log.txt" || ! grep -q '^E2E-DONE' "$DEMO/console.log.txt"; then
	echo "demo: FAILED (console: $DEMO/console.log.txt)"
	exit 1
fi
echo
echo "demo: signed modules loaded; unsigned, tampered and foreign-key modules were refused."
