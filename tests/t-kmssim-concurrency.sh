#!/bin/bash
# The KMS stand-in under parallel sessions in one process: latency overlaps, the
# concurrency cap, the rate limit and seeded throttling behave as KMS quotas do.
# pkcs11-tool signs once per process, so a small python3 ctypes client drives
# the module's C_* functions from threads, as kmsign's parallel signer will.
. "$(dirname "$0")/lib.sh"
need_cmd python3 openssl
[ -r "$KMS_SIM" ] || die "$KMS_SIM is not built"

make_rsa_key "$T/rsa.pem"
openssl pkey -in "$T/rsa.pem" -pubout -out "$T/rsa.pub"
kms_sim_config kms-rsa "$T/rsa.pem" >/dev/null

cat >"$T/drive.py" <<'EOF'
# drive.py MODULE THREADS SIGNS OUTDIR: each thread opens its own session and signs SIGNS times.
import ctypes, hashlib, os, sys, threading, time
from ctypes import POINTER, Structure, byref, c_ulong, c_void_p

CKR_OK, CKR_FUNCTION_FAILED = 0, 6
CKA_CLASS, CKO_PRIVATE_KEY, CKM_RSA_PKCS, CKF_SERIAL_SESSION = 0, 3, 1, 4

class Mech(Structure):
    _fields_ = [("mechanism", c_ulong), ("param", c_void_p), ("param_len", c_ulong)]

class Attr(Structure):
    _fields_ = [("type", c_ulong), ("value", c_void_p), ("len", c_ulong)]

lib = ctypes.CDLL(sys.argv[1])
threads, signs, outdir = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
digest = hashlib.sha256(b"kernel module bytes").digest()
data = bytes.fromhex("3031300d060960864801650304020105000420") + digest
counts = {"ok": 0, "failed": 0, "other": 0}
lock = threading.Lock()

def check(rv, what):
    if rv != CKR_OK:
        sys.exit("%s: rv 0x%x" % (what, rv))

def find_key(sess):
    cls = c_ulong(CKO_PRIVATE_KEY)
    tmpl = Attr(CKA_CLASS, ctypes.cast(byref(cls), c_void_p), ctypes.sizeof(cls))
    key, n = c_ulong(), c_ulong()
    check(lib.C_FindObjectsInit(sess, byref(tmpl), c_ulong(1)), "C_FindObjectsInit")
    check(lib.C_FindObjects(sess, byref(key), c_ulong(1), byref(n)), "C_FindObjects")
    check(lib.C_FindObjectsFinal(sess), "C_FindObjectsFinal")
    return key

def worker(idx):
    sess = c_ulong()
    check(lib.C_OpenSession(c_ulong(0), c_ulong(CKF_SERIAL_SESSION), None, None, byref(sess)),
          "C_OpenSession")
    key = find_key(sess)
    for i in range(signs):
        check(lib.C_SignInit(sess, byref(Mech(CKM_RSA_PKCS, None, 0)), key), "C_SignInit")
        buf, n = ctypes.create_string_buffer(512), c_ulong(512)
        rv = lib.C_Sign(sess, data, c_ulong(len(data)), buf, byref(n))
        kind = "ok" if rv == CKR_OK else "failed" if rv == CKR_FUNCTION_FAILED else "other"
        with lock:
            counts[kind] += 1
        if rv == CKR_OK:
            with open(os.path.join(outdir, "%d-%d.sig" % (idx, i)), "wb") as f:
                f.write(buf.raw[:n.value])
    lib.C_CloseSession(sess)

check(lib.C_Initialize(None), "C_Initialize")
start = time.monotonic()
ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
elapsed = int((time.monotonic() - start) * 1000)
check(lib.C_Finalize(None), "C_Finalize")
print("ok=%(ok)d failed=%(failed)d other=%(other)d" % counts, "elapsed_ms=%d" % elapsed)
EOF

# drive NAME THREADS SIGNS: runs the client (KMS_SIM_* from the caller), sets $ok $failed $ms $stats.
drive() {
	local out
	mkdir -p "$T/$1"
	out=$(KMS_SIM_STATS=$T/$1/stats $SAN_RUN python3 "$T/drive.py" "$KMS_SIM" "$2" "$3" "$T/$1") ||
		die "$1: the client failed"
	echo "$1: $out $(cat "$T/$1/stats")"
	[[ $out =~ ^ok=([0-9]+)\ failed=([0-9]+)\ other=0\ elapsed_ms=([0-9]+)$ ]] ||
		die "$1: unexpected result: $out"
	ok=${BASH_REMATCH[1]} failed=${BASH_REMATCH[2]} ms=${BASH_REMATCH[3]}
	stats=$(cat "$T/$1/stats")
}

verify_all() {
	local s
	printf 'kernel module bytes' | openssl dgst -sha256 -binary >"$T/d32"
	for s in "$T/$1"/*.sig; do
		openssl pkeyutl -verify -pubin -inkey "$T/rsa.pub" -in "$T/d32" -sigfile "$s" \
			-pkeyopt digest:sha256 >/dev/null || die "$s does not verify"
	done
}

# Latency is spent outside any lock: 8 sessions x 2 signs of 300 ms overlap.
KMS_SIM_LATENCY_MS=300 drive overlap 8 2
[ "$ok" -eq 16 ] && [ "$failed" -eq 0 ] || die "overlap: every sign must succeed"
[ "$ms" -lt 3000 ] || die "overlap: 16 signs of 300 ms took ${ms} ms: sessions do not overlap"
[[ $stats =~ max_inflight=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 4 ] ||
	die "overlap: expected at least 4 signs in flight: $stats"
verify_all overlap

# The concurrency cap: beyond 2 in flight, KMS throttles.
KMS_SIM_LATENCY_MS=300 KMS_SIM_CONCURRENCY=2 drive cap 8 1
[[ $stats =~ max_inflight=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -le 2 ] ||
	die "cap: more than 2 in flight: $stats"
[ "$ok" -ge 1 ] && [ "$failed" -ge 4 ] && [ $((ok + failed)) -eq 8 ] || die "cap: ok=$ok failed=$failed"
[ "$stats" = "signs=$ok throttled=$failed max_inflight=${BASH_REMATCH[1]}" ] || die "cap: counters: $stats"

# The rate limit: 5 signs per second; a quick burst of 20 gets exactly 5 through.
KMS_SIM_RATE_LIMIT=5 drive rate 1 20
if [ "$ms" -lt 900 ]; then
	[ "$ok" -eq 5 ] && [ "$failed" -eq 15 ] || die "rate: ok=$ok failed=$failed in ${ms} ms"
else
	echo "rate: the burst took ${ms} ms, only checking the bound"
fi
[ "$ok" -le $(((ms / 1000 + 1) * 5)) ] || die "rate: $ok signs in ${ms} ms exceed 5/s"
verify_all rate

# Seeded throttling is reproducible, and only a share fails.
KMS_SIM_THROTTLE_PCT=50 KMS_SIM_SEED=42 drive seed1 1 40
first="$ok/$failed"
[ "$ok" -gt 0 ] && [ "$failed" -gt 0 ] || die "seed: 50% throttling gave ok=$ok failed=$failed"
KMS_SIM_THROTTLE_PCT=50 KMS_SIM_SEED=42 drive seed2 1 40
[ "$first" = "$ok/$failed" ] || die "seed: the same seed gave $first, then $ok/$failed"

# A hang: every sign stalls for 500 ms.
KMS_SIM_HANG_PCT=100 KMS_SIM_HANG_MS=500 drive hang 1 2
[ "$ok" -eq 2 ] && [ "$ms" -ge 1000 ] || die "hang: ok=$ok in ${ms} ms"

# A token that disappears after 3 signatures.
KMS_SIM_FAIL_AFTER=3 drive gone 1 3
[ "$ok" -eq 3 ] || die "fail-after: the first 3 signs must succeed"
KMS_SIM_FAIL_AFTER=3 expect_ok $SAN_RUN python3 "$T/drive.py" "$KMS_SIM" 1 5 "$T/gone"
assert_grep '^ok=3 failed=0 other=2 ' "$T/.out"
exit 0
