#!/bin/bash
# make demo: the whole flow on this machine, with the KMS stand-in token in
# place of AWS KMS: a throwaway key behind the stand-in, the certificate
# self-signed through it and stored in its aws-kms-pkcs11 config, and
# Debian's ~4,000 kernel modules signed in one batch and verified.
set -euo pipefail

cd "$(dirname "$0")/.."
SRCDIR=$PWD
B=${B:-build}
CACHE=${KMSIGN_CACHE:-$SRCDIR/.cache}
DEMO=$CACHE/demo
step() { printf '\n==> %s\n' "$*"; }

step "installing what the demo needs (Debian packages)"
scripts/deps.sh
step "building kmsign"
make -s -j2 all

step "a KMS stand-in token with a throwaway RSA-3072 key (never used for anything real)"
rm -rf "$DEMO" && mkdir -p "$DEMO/xdg/aws-kms-pkcs11"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$DEMO/THROWAWAY-demo-key.pem" 2>/dev/null
cat >"$DEMO/xdg/aws-kms-pkcs11/config.json" <<JSON
{
  "slots": [
    { "label": "kernel-signing", "kms_key_id": "alias/kernel-signing",
      "sim_key_file": "$DEMO/THROWAWAY-demo-key.pem" }
  ]
}
JSON
export XDG_CONFIG_HOME=$DEMO/xdg KMS_SIM_LATENCY_MS=${KMS_SIM_LATENCY_MS:-30}
URI="pkcs11:token=kernel-signing?module-path=$SRCDIR/$B/kms-sim.so"
echo "key URI: $URI (every signature takes ${KMS_SIM_LATENCY_MS} ms, like a KMS round trip)"

step "kmsign genkey + kmsign cert: self-sign through the token, store it in the config"
"$B/kmsign" genkey --cn "kmsign demo kernel key" --org "kmsign demo" -o "$DEMO/x509.genkey"
"$B/kmsign" cert -k "$URI" --genkey "$DEMO/x509.genkey" --store config --outform der -o "$DEMO/signing_key.x509"
"$B/kmsign" cert -k "$URI" --outform der -o "$DEMO/again.x509"
cmp -s "$DEMO/signing_key.x509" "$DEMO/again.x509" && echo "a second run fetched the same certificate from the token"

step "kmsign doctor"
"$B/kmsign" doctor -k "$URI"

step "Debian's kernel modules (the linux-image package's, signed by Debian's build key)"
img=$CACHE/demo-modules
if [ ! -e "$img/.done" ]; then
	ver=$(apt-cache depends linux-headers-amd64 | sed -n 's/.*Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -1)
	mkdir -p "$CACHE/debs" && (cd "$CACHE/debs" && { ls "linux-image-$ver-amd64-unsigned_"*.deb >/dev/null 2>&1 ||
		apt-get download -q "linux-image-$ver-amd64-unsigned" >/dev/null; })
	rm -rf "$img" && mkdir -p "$img"
	dpkg-deb --fsys-tarfile "$CACHE"/debs/linux-image-"$ver"-amd64-unsigned_*.deb | tar -x -C "$img" --wildcards './lib/modules/*'
	touch "$img/.done"
fi
rm -rf "$DEMO/modules" && cp -r "$img/lib/modules" "$DEMO/modules"
echo "$(find "$DEMO/modules" -name '*.ko' | wc -l) modules, $(du -sh "$DEMO/modules" | cut -f1)"

step "kmsign sign: one batch over parallel token sessions"
"$B/kmsign" sign -j 32 --max-rate 490 -k "$URI" -c "$DEMO/signing_key.x509" "$DEMO/modules"

step "kmsign verify"
"$B/kmsign" verify -q -c "$DEMO/signing_key.x509" "$DEMO/modules"
m=$(find "$DEMO/modules" -name 'btrfs.ko' | head -1)
"$B/kmsign" verify -c "$DEMO/signing_key.x509" "$m"
modinfo "$m" | grep -E '^(signer|sig_key|sig_hashalgo)'

step "a tampered module is caught"
cp "$m" "$DEMO/tampered.ko"
printf 'X' | dd of="$DEMO/tampered.ko" bs=1 seek=4096 conv=notrunc 2>/dev/null
"$B/kmsign" verify -c "$DEMO/signing_key.x509" "$DEMO/tampered.ko" || echo "(refused, as it must be)"
