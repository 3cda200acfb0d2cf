#!/bin/bash
# Bad input: one clear line naming the file and the cause, a non-zero exit, and nothing changed.
. "$(dirname "$0")/lib.sh"

MODS=$(fresh_modules)
make_rsa_key "$T/key.pem"
make_cert "$T/key.pem" "$T/cert.pem"
make_rsa_key "$T/other.pem"
make_cert "$T/other.pem" "$T/other.crt" "Other"
make_ec_key "$T/ec.pem" P-256
make_cert "$T/ec.pem" "$T/ec.crt" "EC key"
softhsm_init kmsign-test 1234
softhsm_import kmsign-test 1234 "$T/key.pem" 01 signer
URI="pkcs11:token=kmsign-test;object=signer"
m=$MODS/kmsign_hello.ko
cp "$m" "$T/orig.ko"

unchanged() {
	cmp -s "$m" "$T/orig.ko" || die "the module was changed by a failed run"
	! ls "$MODS"/.*kmsign-* >/dev/null 2>&1 || die "a temp file was left behind"
}

# Not an ELF module.
echo "hello" >"$T/text.ko"
expect_fail "text.ko: not a kernel module: not an ELF file" "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/text.ko"
cp /bin/true "$T/exe.ko"
expect_fail "exe.ko: not a kernel module: ELF type" "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/exe.ko"
# Truncated signature trailer.
head -c 100 "$m" >"$T/trunc.ko"; printf '\0\0\2\0\0\0\0\0\0\0\1\0~Module signature appended~\n' >>"$T/trunc.ko"
cp "$T/trunc.ko" "$T/trunc.orig"
expect_fail "trunc.ko: truncated signature" "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/trunc.ko"
assert_same_file "$T/trunc.ko" "$T/trunc.orig"
# A trailer whose header fields the kernel rejects.
cp "$m" "$T/bad-hdr.ko"; printf '\1\0\2\0\0\0\0\0\0\0\0\4~Module signature appended~\n' >>"$T/bad-hdr.ko"
expect_fail "bad-hdr.ko: malformed signature" "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/bad-hdr.ko"
# Unknown hash, and a hash the key cannot use.
expect_fail "unknown hash 'md5'" "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" -a md5 "$m"
expect_fail "sha512 cannot be used with EC P-256: use sha256" "$KMSIGN" sign -q -k "$T/ec.pem" -c "$T/ec.crt" -a sha512 "$m"
unchanged
# Wrong token label, wrong PIN, no PIN, missing key, a bad URI.
export KBUILD_SIGN_PIN=1234
expect_fail "no token labelled 'nope'.*tokens: 'kmsign-test'" "$KMSIGN" sign -q -k "pkcs11:token=nope" -c "$T/cert.pem" "$m"
KBUILD_SIGN_PIN=9999 expect_fail "login failed: CKR_PIN_INCORRECT: wrong PIN" "$KMSIGN" sign -q -k "$URI" -c "$T/cert.pem" "$m"
(unset KBUILD_SIGN_PIN; expect_fail "needs a PIN" "$KMSIGN" sign -q -k "$URI" -c "$T/cert.pem" "$m")
expect_fail "no private key labelled 'missing'" "$KMSIGN" sign -q -k "pkcs11:token=kmsign-test;object=missing" -c "$T/cert.pem" "$m"
expect_fail "bad PKCS#11 URI: unknown path attribute 'tokn'" "$KMSIGN" sign -q -k "pkcs11:tokn=kmsign-test" -c "$T/cert.pem" "$m"
expect_fail "PKCS#11 module /nonexistent.so: No such file" "$KMSIGN" sign -q -k "pkcs11:token=x?module-path=/nonexistent.so" -c "$T/cert.pem" "$m"
# A certificate that does not match the key, from a token and from a file.
expect_fail "other.crt: the certificate \"Other\" does not match the key" "$KMSIGN" sign -q -k "$URI" -c "$T/other.crt" "$m"
expect_fail "other.crt: the certificate \"Other\" does not match the key" "$KMSIGN" sign-file sha256 "$T/key.pem" "$T/other.crt" "$m"
# Not a certificate, not a key, unreadable files.
expect_fail "key.pem: not an X.509 certificate" "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/key.pem" "$m"
expect_fail "cert.pem: not a PEM private key" "$KMSIGN" sign -q -k "$T/cert.pem" -c "$T/cert.pem" "$m"
expect_fail "nothing.ko: No such file" "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/nothing.ko"
unchanged
# A read-only directory: the temp file cannot be created; the module stays as it was.
if [ "$(id -u)" -ne 0 ]; then
	mkdir "$T/ro"; cp "$m" "$T/ro/"; chmod 555 "$T/ro"
	expect_fail "cannot create a file in" "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/ro/kmsign_hello.ko"
fi
# Usage.
expect_fail "sign needs -k KEY" "$KMSIGN" sign "$m"
expect_fail "unknown command 'sing'" "$KMSIGN" sing
rc=0; "$KMSIGN" sign-file sha256 "$T/key.pem" >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || die "sign-file with too few arguments: exit $rc, expected 2"

# In a batch, a bad module fails alone: the others are signed, the exit says which failed.
mkdir "$T/batch"; cp "$MODS"/*.ko "$T/batch/"; cp "$T/text.ko" "$T/batch/zz-broken.ko"
rc=0; "$KMSIGN" sign -k "$T/key.pem" -c "$T/cert.pem" --no-progress "$T/batch" >"$T/out" 2>"$T/err" || rc=$?
[ $rc -eq 1 ] || die "a batch with a broken module must exit 1, got $rc"
assert_grep "zz-broken.ko: not a kernel module" "$T/err"
assert_grep "signed 3 of 4 modules" "$T/err"
expect_ok "$KMSIGN" verify -q -c "$T/cert.pem" "$T/batch/kmsign_hello.ko" "$T/batch/kmsign_big.ko" "$T/batch/kmsign_param.ko"
# The PIN never shows up in output.
KBUILD_SIGN_PIN=s3cr3t-pin "$KMSIGN" sign -v -k "pkcs11:token=kmsign-test;object=signer" -c "$T/cert.pem" "$m" >"$T/out" 2>&1 || true
"$KMSIGN" doctor -k "pkcs11:token=kmsign-test;object=signer?pin-value=s3cr3t-pin" >>"$T/out" 2>&1 || true
! grep -q s3cr3t-pin "$T/out" || die "the PIN appeared in the output"
