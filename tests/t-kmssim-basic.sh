#!/bin/bash
# The KMS stand-in as PKCS#11 clients see it: tokens from the aws-kms-pkcs11 config,
# objects, RSA-PKCS and ECDSA signatures, KMS-like failures, and the config search order.
. "$(dirname "$0")/lib.sh"
need_cmd pkcs11-tool openssl
[ -r "$KMS_SIM" ] || die "$KMS_SIM is not built"

p11() { $SAN_RUN pkcs11-tool --module "$KMS_SIM" "$@"; }

make_rsa_key "$T/rsa.pem"
make_ec_key "$T/ec.pem" P-256
make_ec_key "$T/ec384.pem" P-384
make_cert "$T/rsa.pem" "$T/rsa.crt"
make_cert "$T/ec.pem" "$T/ec.crt"
openssl x509 -in "$T/rsa.crt" -outform DER -out "$T/rsa.der"
openssl x509 -in "$T/ec.crt" -outform DER -out "$T/ec.der"
for k in rsa ec ec384; do openssl pkey -in "$T/$k.pem" -pubout -out "$T/$k.pub"; done

# The first slot names its key file relative to the config's directory.
cfgdir=$XDG_CONFIG_HOME/aws-kms-pkcs11
mkdir -p "$cfgdir"
cp "$T/rsa.pem" "$cfgdir/rsa.pem"
cat >"$cfgdir/config.json" <<EOF
{
  "aws_region": "eu-west-1",
  "slots": [
    { "label": "kms-rsa", "kms_key_id": "alias/rsa", "sim_key_file": "rsa.pem",
      "certificate_path": "$T/rsa.crt", "x_unknown": [1, 2] },
    { "kms_key_id": "ec-key-id", "sim_key_file": "$T/ec.pem" },
    { "label": "kms-ec384", "kms_key_id": "k384", "sim_key_file": "$T/ec384.pem",
      "certificate": "$(base64 -w0 "$T/ec.der")" }
  ]
}
EOF

# Tokens by label; a slot without a label is named by its key id.
expect_ok p11 -L
assert_grep 'token label +: kms-rsa$' "$T/.out"
assert_grep 'token label +: ec-key-id$' "$T/.out"
assert_grep 'token label +: kms-ec384$' "$T/.out"
grep -q 'login required' "$T/.out" && die "the stand-in must not ask for a PIN"

# Objects: the key always, a certificate only when configured.
expect_ok p11 --token-label kms-rsa -O
assert_grep '^Private Key Object; RSA' "$T/.out"
assert_grep '^Certificate Object; type = X.509 cert' "$T/.out"
assert_grep 'ID: +616c6961732f727361$' "$T/.out"
expect_ok p11 --token-label ec-key-id -O
assert_grep '^Private Key Object; EC' "$T/.out"
grep -q '^Certificate Object' "$T/.out" && die "ec-key-id has no certificate configured"
expect_ok p11 --token-label kms-rsa --read-object --type cert --label kms-rsa -o "$T/got.der"
assert_same_file "$T/rsa.der" "$T/got.der"
expect_ok p11 --token-label kms-ec384 --read-object --type cert --label kms-ec384 -o "$T/got.der"
assert_same_file "$T/ec.der" "$T/got.der"
# The public key is readable through the private key object, without a login.
expect_ok p11 --token-label ec-key-id --read-object --type pubkey --label ec-key-id -o "$T/ecpub.der"
openssl pkey -pubin -inform DER -in "$T/ecpub.der" -out "$T/ecpub.pem"
cmp -s "$T/ecpub.pem" "$T/ec.pub" || die "the EC public key read through the token differs"

# Only the two mechanisms aws-kms-pkcs11 advertises.
expect_ok p11 --token-label kms-rsa -M
[ "$(grep -c ', *keySize' "$T/.out")" -eq 2 ] || die "expected two mechanisms"
assert_grep '^ +RSA-PKCS,' "$T/.out"
assert_grep '^ +ECDSA,' "$T/.out"

# RSA-PKCS over a DigestInfo, and over a bare digest: the same deterministic signature.
echo "kernel module bytes" >"$T/msg"
openssl dgst -sha256 -binary "$T/msg" >"$T/d32"
{ printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20'; cat "$T/d32"; } >"$T/di"
expect_ok p11 --token-label kms-rsa --sign -m RSA-PKCS -i "$T/di" -o "$T/rsa.sig"
expect_ok openssl pkeyutl -verify -pubin -inkey "$T/rsa.pub" -in "$T/d32" -sigfile "$T/rsa.sig" \
	-pkeyopt digest:sha256
expect_ok p11 --token-label kms-rsa --sign -m RSA-PKCS -i "$T/d32" -o "$T/rsa2.sig"
assert_same_file "$T/rsa.sig" "$T/rsa2.sig"
# A SHA-1 DigestInfo is taken as a bare 35-byte digest, which KMS refuses.
{ printf '\x30\x21\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00\x04\x14'; head -c 20 "$T/d32"; } >"$T/di1"
AWS_KMS_PKCS11_DEBUG=1 p11 --token-label kms-rsa --sign -m RSA-PKCS -i "$T/di1" -o "$T/x.sig" \
	>"$T/.out" 2>&1 && die "a SHA-1 DigestInfo must fail"
assert_grep 'ValidationException' "$T/.out"

# ECDSA: r||s, each padded to the field size; the digest size is fixed by the curve.
expect_ok p11 --token-label ec-key-id --sign -m ECDSA -i "$T/d32" -o "$T/ec.raw"
[ "$(stat -c %s "$T/ec.raw")" -eq 64 ] || die "a P-256 signature must be 64 bytes"
expect_ok p11 --token-label ec-key-id --sign -m ECDSA -i "$T/d32" -o "$T/ec.sig" \
	--signature-format openssl
expect_ok openssl dgst -sha256 -verify "$T/ec.pub" -signature "$T/ec.sig" "$T/msg"
openssl dgst -sha384 -binary "$T/msg" >"$T/d48"
expect_ok p11 --token-label kms-ec384 --sign -m ECDSA -i "$T/d48" -o "$T/ec384.sig" \
	--signature-format openssl
expect_ok openssl dgst -sha384 -verify "$T/ec384.pub" -signature "$T/ec384.sig" "$T/msg"
AWS_KMS_PKCS11_DEBUG=1 p11 --token-label ec-key-id --sign -m ECDSA -i "$T/d48" -o "$T/x.sig" \
	>"$T/.out" 2>&1 && die "a 48-byte digest must fail on P-256"
assert_grep 'ValidationException' "$T/.out"
AWS_KMS_PKCS11_DEBUG=1 p11 --token-label kms-ec384 --sign -m ECDSA -i "$T/d32" -o "$T/x.sig" \
	>"$T/.out" 2>&1 && die "a 32-byte digest must fail on P-384"
assert_grep 'ValidationException' "$T/.out"
p11 --token-label ec-key-id --sign -m RSA-PKCS -i "$T/d32" -o "$T/x.sig" >/dev/null 2>&1 &&
	die "RSA-PKCS must fail on an EC key"

# aws-kms-pkcs11 cannot store objects.
p11 --token-label kms-rsa --write-object "$T/rsa.der" --type cert --label x >/dev/null 2>&1 &&
	die "writing an object must fail"

# KMS-like conditions: throttling, counters, a vanished token, corruption.
KMS_SIM_THROTTLE_PCT=100 KMS_SIM_STATS=$T/stats AWS_KMS_PKCS11_DEBUG=1 \
	p11 --token-label kms-rsa --sign -m RSA-PKCS -i "$T/di" -o "$T/x.sig" >"$T/.out" 2>&1 &&
	die "a throttled sign must fail"
assert_grep 'ThrottlingException' "$T/.out"
assert_grep '^signs=0 throttled=1 max_inflight=0$' "$T/stats"
KMS_SIM_STATS=$T/stats2 expect_ok p11 --token-label kms-rsa --sign -m RSA-PKCS -i "$T/di" -o "$T/x.sig"
assert_grep '^signs=1 throttled=0 max_inflight=1$' "$T/stats2"
KMS_SIM_FAIL_AFTER=0 AWS_KMS_PKCS11_DEBUG=1 p11 --token-label kms-rsa --sign -m RSA-PKCS -i "$T/di" -o "$T/x.sig" \
	>"$T/.out" 2>&1 && die "a removed token must fail"
assert_grep 'token is gone' "$T/.out"
KMS_SIM_CORRUPT_PCT=100 expect_ok p11 --token-label kms-rsa --sign -m RSA-PKCS -i "$T/di" -o "$T/bad.sig"
openssl pkeyutl -verify -pubin -inkey "$T/rsa.pub" -in "$T/d32" -sigfile "$T/bad.sig" \
	-pkeyopt digest:sha256 >/dev/null 2>&1 && die "a corrupted signature must not verify"
cmp -s "$T/bad.sig" "$T/rsa.sig" && die "corruption changed nothing"
KMS_SIM_LATENCY_MS=300 expect_ok p11 --token-label kms-rsa --sign -m RSA-PKCS -i "$T/di" -o "$T/x.sig"
# A new client's connection is paid on top of the round trip, by every sign.
t0=$(date +%s%N)
KMS_SIM_CONNECT_MS=400 expect_ok p11 --token-label kms-rsa --sign -m RSA-PKCS -i "$T/di" -o "$T/x.sig"
[ $(($(date +%s%N) - t0)) -ge 400000000 ] || die "KMS_SIM_CONNECT_MS=400: a sign took less than 400 ms"
KMS_SIM_CONNECT_MS=-1 p11 -L >/dev/null 2>"$T/.err" && die "a negative KMS_SIM_CONNECT_MS must fail"
assert_grep 'KMS_SIM_CONNECT_MS=-1: expected a number' "$T/.err"
KMS_SIM_THROTTLE_PCT=abc p11 -L >/dev/null 2>"$T/.err" && die "a bad KMS_SIM_ value must fail"
assert_grep 'KMS_SIM_THROTTLE_PCT=abc' "$T/.err"

# Search order: $XDG_CONFIG_HOME, else $HOME/.config (the first that parses; /etc is left alone).
mkdir -p "$T/xdg/aws-kms-pkcs11"
printf '{"slots":[{"label":"from-xdg","sim_key_file":"%s"}]}\n' "$T/ec.pem" \
	>"$T/xdg/aws-kms-pkcs11/config.json"
XDG_CONFIG_HOME=$T/xdg expect_ok p11 -L
assert_grep 'token label +: from-xdg$' "$T/.out"
mv "$cfgdir" "$HOME/.config-save"
mkdir -p "$HOME/.config"
mv "$HOME/.config-save" "$HOME/.config/aws-kms-pkcs11"
(unset XDG_CONFIG_HOME; expect_ok p11 -L)
assert_grep 'token label +: kms-rsa$' "$T/.out"

# A broken config fails C_Initialize (and the stand-in says why when asked).
echo '{"slots": [ {"label": "x",, } ]}' >"$T/xdg/aws-kms-pkcs11/config.json"
XDG_CONFIG_HOME=$T/xdg p11 -L >/dev/null 2>&1 && die "a broken config must fail"
XDG_CONFIG_HOME=$T/xdg AWS_KMS_PKCS11_DEBUG=1 p11 -L >"$T/.out" 2>&1 || true
assert_grep 'config.json: invalid JSON: .* at line 1' "$T/.out"
# A slot without a sim_key_file has no key for the stand-in.
echo '{"slots": [ {"label": "x"} ]}' >"$T/xdg/aws-kms-pkcs11/config.json"
XDG_CONFIG_HOME=$T/xdg p11 -L >/dev/null 2>&1 && die "a slot without sim_key_file must fail"
exit 0
