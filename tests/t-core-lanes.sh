#!/bin/bash
# More parallel signers than libp11's 16 sessions per slot: -j N really keeps
# N token calls in flight (the KMS stand-in counts them), the output is the
# same, and a PIN token logged in once serves every session pool.
. "$(dirname "$0")/lib.sh"

MODS=$(test_modules)
make_rsa_key "$T/key.pem"
make_cert "$T/key.pem" "$T/cert.pem"

fresh() {
	rm -rf "$T/mods" && mkdir -p "$T/mods"
	for i in $(seq 1 "$1"); do
		for m in "$MODS"/*.ko; do cp "$m" "$T/mods/$(basename "$m" .ko)-$i.ko"; done
	done
}

# The stand-in: 40 signers at 300 ms per call overlap 40 deep, not 16.
kms_sim_config kernel-signing "$T/key.pem" >/dev/null
fresh 40
KMS_SIM_LATENCY_MS=300 KMS_SIM_STATS=$T/stats \
	expect_ok "$KMSIGN" sign -q -j 40 -k "pkcs11:token=kernel-signing?module-path=$KMS_SIM" \
	-c "$T/cert.pem" "$T/mods"
[[ $(cat "$T/stats") =~ ^signs=120\ throttled=0\ max_inflight=([0-9]+)$ ]] ||
	die "stand-in counters: $(cat "$T/stats")"
[ "${BASH_REMATCH[1]}" -gt 16 ] || die "-j 40 kept only ${BASH_REMATCH[1]} calls in flight"
expect_ok "$KMSIGN" verify -q -c "$T/cert.pem" "$T/mods"

# SoftHSM2 with a PIN: one login, three session pools, every module the same
# bytes as a single signer makes.
softhsm_init lanes 1234
softhsm_import lanes 1234 "$T/key.pem" 01 signer
export KBUILD_SIGN_PIN=1234
fresh 12
cp -r "$T/mods" "$T/one"
expect_ok "$KMSIGN" sign -q -j 36 -k "pkcs11:token=lanes;object=signer" -c "$T/cert.pem" "$T/mods"
expect_ok "$KMSIGN" sign -q -j 1 -k "pkcs11:token=lanes;object=signer" -c "$T/cert.pem" "$T/one"
diff -r "$T/mods" "$T/one" >/dev/null || die "-j 36 and -j 1 signed differently"
expect_ok "$KMSIGN" verify -q -c "$T/cert.pem" "$T/mods"
echo "PASS"
