#!/bin/bash
# kmsign embed --insert fills a built vmlinux's CONFIG_SYSTEM_EXTRA_CERTIFICATE
# area byte for byte as the kernel's scripts/insert-sys-cert does; it is
# idempotent, works from System.map on a stripped image, and refuses a
# certificate too large for the area or a file that is not a vmlinux.
. "$(dirname "$0")/lib.sh"

tiny=$CACHE/tiny-vmlinux
"$SRCDIR/tests/fixtures/tiny-vmlinux.sh" "$tiny" || die "cannot build the test vmlinux"
make_rsa_key "$T/key.pem" 3072
make_cert "$T/key.pem" "$T/cert.pem" "Extra certificate"
openssl x509 -in "$T/cert.pem" -outform DER -out "$T/cert.der"

# Before: only the build key.
cp "$tiny/vmlinux" "$T/ours"
cp "$tiny/vmlinux" "$T/oracle"
"$KMSIGN" embed --list "$T/ours" >"$T/before"
! grep -q "Extra certificate" "$T/before" || die "the certificate is there before inserting it"

# Insert: byte-identical to insert-sys-cert, and listed afterwards.
"$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/ours" >"$T/out" || die "embed --insert failed"
assert_grep "certificate inserted" "$T/out"
"$tiny/insert-sys-cert" -b "$T/oracle" -c "$T/cert.der" >/dev/null 2>&1 || die "insert-sys-cert failed"
assert_same_file "$T/ours" "$T/oracle"
"$KMSIGN" embed --list "$T/ours" >"$T/after"
assert_grep "^Extra certificate$" "$T/after"
[ "$(grep -c '^  key id' "$T/after")" -eq $(($(grep -c '^  key id' "$T/before") + 1)) ] ||
	die "expected exactly one more certificate"
# A module signed with that key verifies against the image.
cp "$(test_modules)/kmsign_hello.ko" "$T/m.ko"
expect_ok "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/m.ko"
expect_ok "$KMSIGN" verify -q --kernel "$T/ours" "$T/m.ko"

# Idempotent: the same certificate again changes nothing.
cp "$T/ours" "$T/ours.1"
"$KMSIGN" embed --insert "$T/cert.der" --vmlinux "$T/ours" >"$T/out"
assert_grep "already present, unchanged" "$T/out"
assert_same_file "$T/ours" "$T/ours.1"
# Another certificate replaces it, as insert-sys-cert does.
make_ec_key "$T/ec.pem" P-384
make_cert "$T/ec.pem" "$T/ec.pem.crt" "Second certificate"
openssl x509 -in "$T/ec.pem.crt" -outform DER -out "$T/ec.der"
expect_ok "$KMSIGN" embed --insert "$T/ec.pem.crt" --vmlinux "$T/ours"
"$tiny/insert-sys-cert" -b "$T/oracle" -c "$T/ec.der" >/dev/null 2>&1
assert_same_file "$T/ours" "$T/oracle"

# A stripped image: symbols from System.map.
cp "$tiny/vmlinux" "$T/stripped"
objcopy --strip-all "$T/stripped"
cp "$T/stripped" "$T/stripped.oracle"
expect_fail "no symbol table: give --system-map" "$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/stripped"
expect_ok "$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/stripped" --system-map "$tiny/System.map"
"$tiny/insert-sys-cert" -b "$T/stripped.oracle" -c "$T/cert.der" -s "$tiny/System.map" >/dev/null 2>&1
assert_same_file "$T/stripped" "$T/stripped.oracle"

# Too large for the 4 KiB area: refused, file unchanged.
openssl req -new -x509 -key "$T/key.pem" -out "$T/big.pem" -days 30 -subj "/CN=big" \
	-addext "subjectAltName=$(python3 -c 'print(",".join("DNS:host%d.example.org" % i for i in range(300)))')" 2>/dev/null
cp "$tiny/vmlinux" "$T/small"
expect_fail "the extra certificate area holds 4096" "$KMSIGN" embed --insert "$T/big.pem" --vmlinux "$T/small"
assert_same_file "$T/small" "$tiny/vmlinux"
# Not a vmlinux.
expect_fail "not an ELF vmlinux" "$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/cert.pem"
# --der: the DER file system_certificates.S includes.
expect_ok "$KMSIGN" embed --der "$T/cert.pem" -o "$T/signing_key.x509"
assert_same_file "$T/signing_key.x509" "$T/cert.der"
