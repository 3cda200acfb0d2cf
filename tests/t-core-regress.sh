#!/bin/bash
# Inputs the fuzzers once broke kmsign with, through the commands a user runs:
# each must give a clean one-line refusal (and, under SANITIZE=1, no leak).
. "$(dirname "$0")/lib.sh"

R=$SRCDIR/tests/fuzz/regress
make_rsa_key "$T/key.pem"
make_cert "$T/key.pem" "$T/cert.pem"

# An .xz header asking for a 4 GiB dictionary: refused, not allocated.
cp "$R/verify/lzma-dictionary-4g" "$T/bomb.ko.xz"
rc=0; "$KMSIGN" verify -c "$T/cert.pem" "$T/bomb.ko.xz" >"$T/out" 2>/dev/null || rc=$?
[ $rc -eq 1 ] || die "verify of an lzma bomb: exit $rc"
assert_grep "bomb.ko.xz: malformed" "$T/out"

# Not a kernel image: refused without leaking the file's buffer.
expect_fail "not a kernel image" "$KMSIGN" embed --list "$R/kimage/not-an-image-leak"

# Every other regression input: no crash, a clean exit status.
for f in "$R"/verify/* ; do
	rc=0; "$KMSIGN" verify -c "$T/cert.pem" "$f" >/dev/null 2>&1 || rc=$?
	[ $rc -le 1 ] || die "verify crashed on $(basename "$f") (exit $rc)"
done
for f in "$R"/kimage/*; do
	rc=0; "$KMSIGN" embed --list "$f" >/dev/null 2>&1 || rc=$?
	[ $rc -le 1 ] || die "embed --list crashed on $(basename "$f") (exit $rc)"
done
