#!/bin/bash
# kmsign cert with the KMS stand-in, as with aws-kms-pkcs11: self-sign through
# KMS, store it as certificate_path in the config, fetch the same bytes next
# time; a broken config is left alone; a certificate of another key is refused.
. "$(dirname "$0")/lib.sh"

MODS=$(fresh_modules)
make_rsa_key "$T/key.pem" 3072
cfg=$(kms_sim_config kernel-signing "$T/key.pem" '"aws_region": "eu-west-1", "x-unknown": [1, 2.50]')
URI="pkcs11:token=kernel-signing?module-path=$KMS_SIM"
"$KMSIGN" genkey --cn "Kernel signing key" --org "kmsign tests" -o "$T/x509.genkey"

# No certificate yet: --source token refuses, auto self-signs and stores it.
expect_fail "has no certificate for key" "$KMSIGN" cert -k "$URI" --source token
"$KMSIGN" cert -k "$URI" --genkey "$T/x509.genkey" --store config --outform der -o "$T/first.der" 2>"$T/err" ||
	die "cert --store config failed: $(cat "$T/err")"
assert_grep 'self-signed "Kernel signing key" through the token' "$T/err"
stored=$(dirname "$cfg")/kernel-signing.crt.pem
assert_grep "stored the certificate in $stored" "$T/err"
python3 - "$cfg" "$stored" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
s = c["slots"][0]
assert s["certificate_path"] == sys.argv[2], s
assert s["x-unknown"] == [1, 2.5] and s["aws_region"] == "eu-west-1", s
assert list(s)[:3] == ["label", "kms_key_id", "sim_key_file"], list(s)
PY
grep -q '2.50' "$cfg" || die "the config's number 2.50 was rewritten"
# The next run fetches the stored certificate: no new self-sign, the same bytes.
"$KMSIGN" cert -k "$URI" --genkey "$T/x509.genkey" --store config --outform der -o "$T/second.der" 2>"$T/err" ||
	die "second cert failed"
! grep -q "self-signed" "$T/err" || die "the second run self-signed again"
assert_same_file "$T/first.der" "$T/second.der"
expect_ok "$KMSIGN" doctor -k "$URI"
expect_ok "$KMSIGN" sign -q -k "$URI" -c "$T/second.der" "$MODS"
expect_ok "$KMSIGN" verify -q -c "$T/first.der" "$MODS"

# A certificate_path to another key's certificate: refused by cert and by doctor.
make_rsa_key "$T/other.pem"
make_cert "$T/other.pem" "$T/other.crt" "Other key"
cp "$T/other.crt" "$stored"
expect_fail "the certificate \"Other key\" does not match the key" "$KMSIGN" cert -k "$URI"
rc=0; "$KMSIGN" doctor -k "$URI" >"$T/out" 2>&1 || rc=$?
[ $rc -eq 1 ] && assert_grep "FAIL  certificate" "$T/out"

# A broken config: a one-line error, and the file is left as it was.
cfg2=$(kms_sim_config kernel-signing "$T/key.pem")
printf '{"slots": [ {"label": "kernel-signing", "sim_key_file": "%s"}, ]\n' "$T/key.pem" >"$cfg2"
cp "$cfg2" "$T/broken.orig"
expect_fail "cannot load PKCS#11 module|invalid JSON|no token|cannot list slots" \
	"$KMSIGN" cert -k "$URI" --store config --aws-config "$cfg2"
assert_same_file "$cfg2" "$T/broken.orig"
# The config rewrite itself refuses a broken file, and an unknown slot label.
kms_sim_config kernel-signing "$T/key.pem" >/dev/null
cp "$T/broken.orig" "$T/broken.json"
expect_fail "broken.json: invalid JSON" "$KMSIGN" cert -k "$URI" --source self-sign --store config --aws-config "$T/broken.json"
assert_same_file "$T/broken.json" "$T/broken.orig"
printf '{"slots": [{"label": "another"}]}\n' >"$T/other.json"
expect_fail "other.json: no slot labelled 'kernel-signing'" \
	"$KMSIGN" cert -k "$URI" --source self-sign --store config --aws-config "$T/other.json"
