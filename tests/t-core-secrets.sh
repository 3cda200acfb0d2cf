#!/bin/bash
# Secrets and files: the PIN never shows in output, argv or messages; temp
# files are 0600 beside their target; symbolic links are not followed; the
# aws-kms-pkcs11 config keeps its mode when rewritten.
. "$(dirname "$0")/lib.sh"

MODS=$(fresh_modules)
PIN=Zq7-secret-PIN-4711
make_rsa_key "$T/key.pem"
make_cert "$T/key.pem" "$T/cert.pem"
make_rsa_key "$T/other.pem"
make_cert "$T/other.pem" "$T/other.crt" Other
softhsm_init kmsign-test "$PIN"
softhsm_import kmsign-test "$PIN" "$T/key.pem" 01 signer
URI="pkcs11:token=kmsign-test;object=signer"

# Every command, successful or not, verbose: the PIN is in none of their output.
printf '%s\n' "$PIN" >"$T/pin"
chmod 600 "$T/pin"
{
	KBUILD_SIGN_PIN=$PIN "$KMSIGN" sign -v -k "$URI" -c "$T/cert.pem" "$MODS" || true
	KBUILD_SIGN_PIN=$PIN "$KMSIGN" sign -v -k "$URI" -c "$T/other.crt" "$MODS" || true
	KBUILD_SIGN_PIN=wrong-$PIN "$KMSIGN" sign -v -k "$URI" -c "$T/cert.pem" "$MODS" || true
	"$KMSIGN" sign -v -k "$URI?pin-source=file:$T/pin" -c "$T/cert.pem" "$MODS" || true
	"$KMSIGN" doctor -v -k "$URI?pin-value=$PIN" || true
	"$KMSIGN" cert -v -k "$URI?pin-value=$PIN" --source token || true
	KBUILD_SIGN_PIN=$PIN "$KMSIGN" sign-file sha256 "$URI" "$T/cert.pem" "$MODS/kmsign_hello.ko" || true
	"$KMSIGN" verify --json -c "$T/cert.pem" "$MODS" || true
} >"$T/all.out" 2>&1
! grep -q -- "$PIN" "$T/all.out" || die "the PIN appeared in kmsign's output"
grep -q "PIN is in the URI, where ps and /proc show it" "$T/all.out" || die "no warning for pin-value in a URI"

# While signing runs, the PIN from KBUILD_SIGN_PIN is in no process's command line.
kms_sim_config kernel-signing "$T/key.pem" >/dev/null
for i in $(seq 1 30); do cp "$MODS/kmsign_hello.ko" "$MODS/slow-$i.ko"; done
KMS_SIM_LATENCY_MS=100 KBUILD_SIGN_PIN=$PIN "$KMSIGN" sign -q -j 1 \
	-k "pkcs11:token=kernel-signing?module-path=$KMS_SIM" -c "$T/cert.pem" "$MODS" &
pid=$!
sleep 0.5
kill -STOP "$pid"
tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/cmdline"
! grep -q -- "$PIN" "$T/cmdline" || die "the PIN is in kmsign's command line"
# The temp file of the module being signed: 0600, beside it, not yet the module.
tmp=$(find "$MODS" -name '.*.kmsign-*' | head -1)
[ -n "$tmp" ] || die "no temp file while signing"
[ "$(stat -c %a "$tmp")" = 600 ] || die "temp file mode $(stat -c %a "$tmp"), expected 600"
kill -CONT "$pid"
wait "$pid" || die "the stopped and resumed run failed"
[ -z "$(find "$MODS" -name '.*.kmsign-*')" ] || die "temp files left after a complete run"

# Module modes are kept.
cp "$MODS/kmsign_hello.ko" "$T/mode.ko"
chmod 640 "$T/mode.ko"
expect_ok "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/mode.ko"
[ "$(stat -c %a "$T/mode.ko")" = 640 ] || die "the module's mode changed"

# A symbolic link is refused, not followed into another directory; in a tree it is skipped.
mkdir -p "$T/outside" "$T/tree"
cp "$MODS/kmsign_param.ko" "$T/outside/victim.ko"
cp "$T/outside/victim.ko" "$T/victim.orig"
ln -s "$T/outside/victim.ko" "$T/tree/link.ko"
expect_fail "link.ko: is a symbolic link" "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/tree/link.ko"
cp "$MODS/kmsign_hello.ko" "$T/tree/real.ko"
expect_ok "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.pem" "$T/tree"
assert_same_file "$T/outside/victim.ko" "$T/victim.orig"
[ -L "$T/tree/link.ko" ] || die "the link was replaced"

# The aws-kms-pkcs11 config keeps its mode when kmsign stores a certificate in it.
cfg=$(kms_sim_config kernel-signing "$T/key.pem")
chmod 640 "$cfg"
expect_ok "$KMSIGN" cert -k "pkcs11:token=kernel-signing?module-path=$KMS_SIM" --store config -o "$T/c.pem"
[ "$(stat -c %a "$cfg")" = 640 ] || die "the config's mode changed"
assert_grep '"certificate_path"' "$cfg"

# A read-only module and a read-only directory, for a user who may not write
# them: one clear line each, nothing changed.
if [ "$(id -u)" -eq 0 ]; then
	ro=$(mktemp -d /tmp/kmsign-ro.XXXXXX)
	cp "$KMSIGN" "$T/key.pem" "$T/cert.pem" "$ro/"
	mkdir "$ro/dir"
	cp "$(test_modules)/kmsign_hello.ko" "$ro/dir/"
	cp "$ro/dir/kmsign_hello.ko" "$ro/orig.ko"
	chmod 755 "$ro" "$ro/dir"
	chmod 644 "$ro/key.pem" "$ro/cert.pem" "$ro/dir/kmsign_hello.ko"
	rc=0
	runuser -u nobody -- "$ro/kmsign" sign -q -k "$ro/key.pem" -c "$ro/cert.pem" \
		"$ro/dir/kmsign_hello.ko" 2>"$T/err" || rc=$?
	[ $rc -eq 1 ] || { rm -rf "$ro"; die "read-only directory: exit $rc"; }
	[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "kmsign_hello.ko: cannot create a file in $ro/dir: Permission denied" "$T/err" ||
		{ cat "$T/err" >&2; rm -rf "$ro"; die "read-only directory: unclear error"; }
	cmp -s "$ro/dir/kmsign_hello.ko" "$ro/orig.ko" || { rm -rf "$ro"; die "read-only module changed"; }
	chmod 000 "$ro/dir/kmsign_hello.ko"
	chmod 777 "$ro/dir"
	rc=0
	runuser -u nobody -- "$ro/kmsign" sign -q -k "$ro/key.pem" -c "$ro/cert.pem" \
		"$ro/dir/kmsign_hello.ko" 2>"$T/err" || rc=$?
	rm -rf "$ro"
	[ $rc -eq 1 ] && grep -q "kmsign_hello.ko: Permission denied" "$T/err" ||
		{ cat "$T/err" >&2; die "unreadable module: unclear error"; }
fi
