#!/bin/bash
# SIGKILL and SIGINT at random points of a batch: every module is either
# byte-identical to its original or completely signed; a re-run finishes the
# job, signs byte-identically to a one-shot run, and leaves no temp files.
. "$(dirname "$0")/lib.sh"

need_cmd python3
MODS=$(test_modules)
make_rsa_key "$T/key.pem"
make_cert "$T/key.pem" "$T/cert.pem"
kms_sim_config kernel-signing "$T/key.pem" >/dev/null
export KMS_SIM_LATENCY_MS=40 KMS_SIM_SEED=7
URI="pkcs11:token=kernel-signing?module-path=$KMS_SIM"

mkdir -p "$T/orig" "$T/expect"
for i in $(seq 1 40); do
	for m in "$MODS"/*.ko; do cp "$m" "$T/orig/$(basename "$m" .ko)-$i.ko"; done
done
cp -r "$T/orig/." "$T/expect/"
expect_ok "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/expect"
cp -r "$T/orig" "$T/mods"

check() {
	"$KMSIGN" verify --json -c "$T/cert.pem" "$T/mods" >"$T/v.json" 2>/dev/null || true
	python3 - "$T/v.json" "$T/orig" <<'PY' || die "after kill $1: a module is neither original nor signed"
import json, os, sys
bad = []
for m in json.load(open(sys.argv[1])):
    if m["ok"]:
        continue
    orig = os.path.join(sys.argv[2], os.path.basename(m["path"]))
    if open(m["path"], "rb").read() != open(orig, "rb").read():
        bad.append((m["path"], m["verdict"], m["reason"]))
if bad:
    print(bad[:5], file=sys.stderr)
    sys.exit(1)
PY
}

kills=0
for round in $(seq 1 24); do
	sig=KILL; [ $((round % 4)) -eq 0 ] && sig=INT
	"$KMSIGN" sign -q -j 4 -k "$URI" -c "$T/cert.pem" "$T/mods" >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(printf '%02d' $((RANDOM % 40 + 5)))"
	kill -s "$sig" "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null || true
	check "$round ($sig)"
done
[ "$kills" -ge 20 ] || die "only $kills of 24 runs were still running when killed"

expect_ok "$KMSIGN" sign -q -k "$URI" -c "$T/cert.pem" "$T/mods"
for f in "$T/expect"/*.ko; do
	cmp -s "$f" "$T/mods/$(basename "$f")" || die "$(basename "$f") differs from a one-shot signing"
done
left=$(find "$T/mods" -name '.*.kmsign-*' | wc -l)
[ "$left" -eq 0 ] || die "$left temp files left after the re-run"
echo "$kills kills, every module original or signed, re-run complete"
