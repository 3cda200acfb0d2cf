#!/bin/bash
# kmsign embed --insert fills a built vmlinux's CONFIG_SYSTEM_EXTRA_CERTIFICATE
# area byte for byte as the kernel's own scripts/insert-sys-cert (built from
# the same tree) does: a first certificate, a replacement, and from System.map
# on a stripped copy. The same certificate twice changes nothing; a
# certificate too large for the area, a System.map of another kernel and a
# file that is not a vmlinux are refused with one line, the file untouched.
. "$(dirname "$0")/lib.sh"
need_cmd openssl objcopy python3

tiny=$CACHE/tiny-vmlinux
"$SRCDIR/tests/fixtures/tiny-vmlinux.sh" "$tiny" >&2 || die "cannot build the test vmlinux"
grep -q '^CONFIG_SYSTEM_EXTRA_CERTIFICATE_SIZE=4096$' "$tiny/.config" || die "the test vmlinux has no 4 KiB area"
make_rsa_key "$T/key.pem" 3072
make_cert "$T/key.pem" "$T/cert.pem" "Extra certificate"
openssl x509 -in "$T/cert.pem" -outform DER -out "$T/cert.der"
keyid=$(openssl x509 -in "$T/cert.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr 'A-F' 'a-f')

cp "$tiny/vmlinux" "$T/ours"
cp "$tiny/vmlinux" "$T/oracle"
chmod 0751 "$T/ours"
expect_ok "$KMSIGN" embed --list "$T/ours"
cp "$T/.out" "$T/before"
[ "$(wc -l <"$T/before")" -eq 1 ] || die "the test vmlinux should hold only its build key"

# Insert: what insert-sys-cert writes, the mode kept, and listed afterwards.
expect_ok "$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/ours"
[ "$(cat "$T/.out")" = "$T/ours: certificate inserted" ] || die "said: $(cat "$T/.out")"
"$tiny/insert-sys-cert" -b "$T/oracle" -c "$T/cert.der" >"$T/oracle.log" 2>&1 ||
	die "insert-sys-cert failed: $(cat "$T/oracle.log")"
assert_same_file "$T/ours" "$T/oracle"
[ "$(stat -c %a "$T/ours")" = 751 ] || die "the vmlinux lost its mode"
cmp -s "$T/ours" "$tiny/vmlinux" && die "nothing was written"
expect_ok "$KMSIGN" embed --list "$T/ours"
[ "$(wc -l <"$T/.out")" -eq 2 ] || die "expected two certificates: $(cat "$T/.out")"
[ "$(head -1 "$T/.out")" = "$(cat "$T/before")" ] || die "the build key changed"
assert_grep "^Extra certificate  key id $keyid  sha256 $(sha256sum <"$T/cert.der" | cut -d' ' -f1)$" "$T/.out"

# The same certificate again (DER this time): nothing changes, not even the inode.
ino=$(stat -c %i "$T/ours")
expect_ok "$KMSIGN" embed --insert "$T/cert.der" --vmlinux "$T/ours"
[ "$(cat "$T/.out")" = "$T/ours: certificate already present, unchanged" ] || die "said: $(cat "$T/.out")"
assert_same_file "$T/ours" "$T/oracle"
[ "$(stat -c %i "$T/ours")" = "$ino" ] || die "the file was rewritten"

# Another certificate replaces it, as insert-sys-cert does (the list size follows).
make_ec_key "$T/ec.pem" P-384
make_cert "$T/ec.pem" "$T/ec.crt" "Second extra certificate"
openssl x509 -in "$T/ec.crt" -outform DER -out "$T/ec.der"
expect_ok "$KMSIGN" embed --insert "$T/ec.crt" --vmlinux "$T/ours"
assert_grep "replacing the one there before" "$T/.out"
"$tiny/insert-sys-cert" -b "$T/oracle" -c "$T/ec.der" >/dev/null 2>&1 || die "insert-sys-cert failed"
assert_same_file "$T/ours" "$T/oracle"
expect_ok "$KMSIGN" embed --list "$T/ours"
[ "$(wc -l <"$T/.out")" -eq 2 ] || die "expected two certificates: $(cat "$T/.out")"
assert_grep "^Second extra certificate  key id" "$T/.out"

# A stripped copy: refused without symbols, then filled through System.map.
cp "$tiny/vmlinux" "$T/stripped"
objcopy --strip-all "$T/stripped"
cp "$T/stripped" "$T/stripped.orig"
cp "$T/stripped" "$T/stripped.oracle"
expect_fail "^kmsign: ERROR: .*/stripped: no symbol table: give --system-map$" \
	"$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/stripped"
assert_same_file "$T/stripped" "$T/stripped.orig"
expect_ok "$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/stripped" --system-map "$tiny/System.map"
"$tiny/insert-sys-cert" -b "$T/stripped.oracle" -c "$T/cert.der" -s "$tiny/System.map" >/dev/null 2>&1 ||
	die "insert-sys-cert -s failed"
assert_same_file "$T/stripped" "$T/stripped.oracle"
expect_ok "$KMSIGN" embed --list "$T/stripped" --system-map "$tiny/System.map"
assert_grep "^Extra certificate  key id $keyid" "$T/.out"

# A System.map of another build (addresses moved) is refused, file unchanged.
python3 - "$tiny/System.map" >"$T/other.map" <<'PY'
import sys
for line in open(sys.argv[1]):
    addr, kind, name = line.split()[:3]
    if name == "system_extra_cert":
        addr = "%016x" % (int(addr, 16) + 64)
    print(addr, kind, name)
PY
cp "$tiny/vmlinux" "$T/v"
expect_fail "the System.map does not match the vmlinux \(system_extra_cert at" \
	"$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/v" --system-map "$T/other.map"
assert_same_file "$T/v" "$tiny/vmlinux"

# Too large for the 4 KiB area: one line naming both sizes, file unchanged.
san=$(python3 -c 'print(",".join("DNS:host%d.example.org" % i for i in range(300)))')
openssl req -new -x509 -key "$T/key.pem" -out "$T/big.pem" -days 30 -subj "/CN=big" \
	-addext "subjectAltName=$san" 2>/dev/null
big=$(openssl x509 -in "$T/big.pem" -outform DER | wc -c)
[ "$big" -gt 4096 ] || die "the big certificate is only $big bytes"
expect_fail "^kmsign: ERROR: .*/v: certificate is $big bytes; the kernel's extra certificate area holds 4096 \(CONFIG_SYSTEM_EXTRA_CERTIFICATE_SIZE\)$" \
	"$KMSIGN" embed --insert "$T/big.pem" --vmlinux "$T/v"
assert_same_file "$T/v" "$tiny/vmlinux"

# Not a vmlinux: a certificate, a bzImage, an ELF that is not a kernel.
expect_fail "^kmsign: ERROR: .*/cert.pem: not an ELF vmlinux$" \
	"$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/cert.pem"
cp "$KMSIGN" "$T/prog"
expect_fail "no symbol system_certificate_list_size: the kernel was not built with CONFIG_SYSTEM_EXTRA_CERTIFICATE=y$" \
	"$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/prog"
assert_same_file "$T/prog" "$KMSIGN"
expect_fail "^kmsign: ERROR: .*/missing: No such file or directory$" \
	"$KMSIGN" embed --insert "$T/cert.pem" --vmlinux "$T/missing"
rc=0; "$KMSIGN" embed --insert "$T/cert.pem" 2>/dev/null || rc=$?
[ $rc -eq 2 ] || die "--insert without --vmlinux exits $rc, not 2"

# --der: the DER file certs/system_certificates.S includes, 0644.
expect_ok "$KMSIGN" embed --der "$T/cert.pem" -o "$T/signing_key.x509"
assert_same_file "$T/signing_key.x509" "$T/cert.der"
[ "$(stat -c %a "$T/signing_key.x509")" = 644 ] || die "signing_key.x509 is not 0644"
expect_ok "$KMSIGN" embed --der "$T/cert.der" -o "$T/signing_key.x509"
assert_same_file "$T/signing_key.x509" "$T/cert.der"
expect_fail "^kmsign: ERROR: " "$KMSIGN" embed --der "$T/prog" -o "$T/bad.x509"
[ ! -e "$T/bad.x509" ] || die "a refused --der wrote a file"
