#!/bin/bash
# kmsign verify: OK, unsigned, bad signature, unknown key, malformed; compressed modules; --json.
. "$(dirname "$0")/lib.sh"

MODS=$(fresh_modules)
make_rsa_key "$T/key.pem"
make_cert "$T/key.pem" "$T/cert.pem"
make_ec_key "$T/other.pem" P-256
make_cert "$T/other.pem" "$T/other.crt" "Another key"
expect_ok "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$MODS"
"$KMSIGN" verify -c "$T/cert.pem" "$MODS" >"$T/out" 2>"$T/err" || die "verify of freshly signed modules failed: $(cat "$T/out")"
[ "$(grep -c ': OK (signer "Test signing key"' "$T/out")" -eq 3 ] || die "expected 3 OK lines: $(cat "$T/out")"
assert_grep "verified 3 modules: 3 OK, 0 failed" "$T/err"

m=$MODS/kmsign_hello.ko
# One byte of the module changed: bad signature.
cp "$m" "$T/tampered.ko"
printf '\x5a' | dd of="$T/tampered.ko" bs=1 seek=200 conv=notrunc 2>/dev/null
rc=0; "$KMSIGN" verify -c "$T/cert.pem" "$T/tampered.ko" >"$T/out" 2>/dev/null || rc=$?
[ $rc -eq 1 ] || die "tampered module: exit $rc"
assert_grep "tampered.ko: bad signature" "$T/out"

# Signed by a key the certificates do not hold: unknown key.
cp "$m" "$T/foreign.ko"
expect_ok "$KMSIGN" sign -q -k "$T/other.pem" -c "$T/other.crt" "$T/foreign.ko"
rc=0; "$KMSIGN" verify -c "$T/cert.pem" "$T/foreign.ko" >"$T/out" 2>/dev/null || rc=$?
[ $rc -eq 1 ] || die "foreign module: exit $rc"
assert_grep "foreign.ko: unknown key" "$T/out"
# ... and trusted once its certificate is given too.
expect_ok "$KMSIGN" verify -c "$T/cert.pem" -c "$T/other.crt" "$T/foreign.ko"

# Unsigned.
cp "$(test_modules)/kmsign_hello.ko" "$T/unsigned.ko"
rc=0; "$KMSIGN" verify -c "$T/cert.pem" "$T/unsigned.ko" >"$T/out" 2>/dev/null || rc=$?
[ $rc -eq 1 ] && assert_grep "unsigned.ko: unsigned" "$T/out"

# Truncated signature: the trailer announces more bytes than there are.
head -c 100 "$m" >"$T/trunc.ko"
tail -c 40 "$m" >>"$T/trunc.ko"
rc=0; "$KMSIGN" verify -c "$T/cert.pem" "$T/trunc.ko" >"$T/out" 2>/dev/null || rc=$?
[ $rc -eq 1 ] && assert_grep "trunc.ko: malformed.*truncated" "$T/out"

# A corrupted CMS blob.
cp "$m" "$T/badcms.ko"
size=$(stat -c %s "$T/badcms.ko")
printf 'XXXXXXXX' | dd of="$T/badcms.ko" bs=1 seek=$((size - 40 - 100)) conv=notrunc 2>/dev/null
rc=0; "$KMSIGN" verify -c "$T/cert.pem" "$T/badcms.ko" >"$T/out" 2>/dev/null || rc=$?
[ $rc -eq 1 ] && grep -Eq "badcms.ko: (malformed|bad signature)" "$T/out" || die "corrupted CMS not reported: $(cat "$T/out")"

# Compressed modules, as modules_install leaves them with CONFIG_MODULE_COMPRESS_*.
mkdir "$T/z"
cp "$m" "$T/z/a.ko"; xz -k "$T/z/a.ko"; rm "$T/z/a.ko"
cp "$m" "$T/z/b.ko"; gzip "$T/z/b.ko"
cp "$m" "$T/z/c.ko"; zstd -q --rm "$T/z/c.ko"
cp "$T/tampered.ko" "$T/z/d.ko"; xz "$T/z/d.ko"
rc=0; "$KMSIGN" verify -c "$T/cert.pem" "$T/z" >"$T/out" 2>/dev/null || rc=$?
[ $rc -eq 1 ] || die "a tampered .ko.xz must fail the run"
for f in a.ko.xz b.ko.gz c.ko.zst; do assert_grep "$f: OK" "$T/out"; done
assert_grep "d.ko.xz: bad signature" "$T/out"
head -c 300 "$T/z/a.ko.xz" >"$T/cut.ko.xz"
rc=0; "$KMSIGN" verify -c "$T/cert.pem" "$T/cut.ko.xz" >"$T/out" 2>/dev/null || rc=$?
[ $rc -eq 1 ] && assert_grep "cut.ko.xz: malformed" "$T/out"

# --json, for tools.
"$KMSIGN" verify --json -c "$T/cert.pem" "$MODS/kmsign_hello.ko" "$T/unsigned.ko" >"$T/j.json" || true
python3 - "$T/j.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert [x["verdict"] for x in r] == ["OK", "unsigned"], r
assert r[0]["signer"] == "Test signing key" and r[0]["hash"] == "sha256" and r[0]["ok"], r
assert len(r[0]["key_id"]) >= 16, r
PY

# Usage errors.
expect_fail "verify needs -c CERT" "$KMSIGN" verify "$m"
expect_fail "no-such.pem: No such file" "$KMSIGN" verify -c "$T/no-such.pem" "$m"
