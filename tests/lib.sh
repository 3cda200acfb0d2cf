# Shared helpers for kmsign's shell tests: sourced by tests/t-*.sh.
#
# Each test runs in a fresh temp dir $T with its own SoftHSM2 token store, so
# tests never share state. Exit 0 = pass, 77 = skip (CI counts skips as
# failures: it installs everything), anything else = fail.

set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${B:-build}
case $B in /*) ;; *) B=$SRCDIR/$B ;; esac
KMSIGN=${KMSIGN:-$B/kmsign}
KMS_SIM=${KMS_SIM:-$B/kms-sim.so}
CACHE=${KMSIGN_CACHE:-$SRCDIR/.cache}
mkdir -p "$CACHE"
T=$(mktemp -d "${TMPDIR:-/tmp}/kmsign-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export OPENSSL_CONF=/dev/null
# Under `make check SANITIZE=1`, programs that are not ours (pkcs11-tool,
# python3) need the ASan runtime preloaded to load our sanitized kms-sim.so.
SAN_RUN=
if [ -e "$B/.sanitize" ]; then
	SAN_RUN="env LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0:halt_on_error=0"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-fast_unwind_on_malloc=0}
fi
unset KBUILD_SIGN_PIN PKCS11_MODULE_PATH SOURCE_DATE_EPOCH
export HOME=$T/home XDG_CONFIG_HOME=$T/home/.config
mkdir -p "$HOME"

die() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

need_cmd() {
	local c
	for c; do command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"; done
}

# expect_ok CMD...: CMD must succeed.
expect_ok() {
	local rc=0
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$T/.err" >&2
		die "expected success (got exit $rc): $*"
	fi
}

# expect_fail PATTERN CMD...: CMD must fail with exactly one line on stderr matching PATTERN.
expect_fail() {
	local pat=$1 rc=0 lines
	shift
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	[ "$rc" -ne 0 ] || die "expected failure, got success: $*"
	lines=$(wc -l <"$T/.err")
	[ "$lines" -eq 1 ] || { cat "$T/.err" >&2; die "expected one line on stderr, got $lines: $*"; }
	grep -Eq -- "$pat" "$T/.err" || { cat "$T/.err" >&2; die "stderr does not match '$pat': $*"; }
}

assert_same_file() {
	cmp -s "$1" "$2" || die "$1 and $2 differ"
}

assert_grep() {
	grep -Eq -- "$1" "$2" || { cat "$2" >&2; die "'$1' not found in $2"; }
}

softhsm_module() {
	local m
	for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
		[ -r "$m" ] && { echo "$m"; return 0; }
	done
	skip "SoftHSM2 is not installed"
}

# softhsm_init LABEL [PIN] [SOPIN]: a fresh token in $T, with SOFTHSM2_CONF and PKCS11_MODULE_PATH exported.
softhsm_init() {
	local label=$1 pin=${2:-1234} sopin=${3:-5678}
	need_cmd softhsm2-util
	mkdir -p "$T/tokens"
	if [ ! -e "$T/softhsm2.conf" ]; then
		printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
			"$T" >"$T/softhsm2.conf"
	fi
	export SOFTHSM2_CONF=$T/softhsm2.conf
	PKCS11_MODULE_PATH=$(softhsm_module)
	export PKCS11_MODULE_PATH
	softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$sopin" >/dev/null
}

# softhsm_import LABEL PIN KEY.pem ID_HEX OBJLABEL: the private key and its public key.
softhsm_import() {
	local label=$1 pin=$2 key=$3 id=$4 obj=$5
	openssl pkcs8 -topk8 -nocrypt -in "$key" -out "$T/.import.p8"
	softhsm2-util --import "$T/.import.p8" --token "$label" --label "$obj" --id "$id" \
		--pin "$pin" >/dev/null
	rm -f "$T/.import.p8"
}

make_rsa_key() {
	openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2:-2048}" -out "$1" 2>/dev/null
}

make_ec_key() {
	openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${2:-P-256}" -out "$1" 2>/dev/null
}

# make_cert KEY FILE [CN]: self-signed, with the extensions of the kernel's x509.genkey.
make_cert() {
	openssl req -new -x509 -key "$1" -out "$2" -days 3650 -subj "/O=kmsign tests/CN=${3:-Test signing key}" \
		-addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=digitalSignature" \
		-addext "subjectKeyIdentifier=hash" -addext "authorityKeyIdentifier=keyid" 2>/dev/null
}

# test_modules: prints the directory of the small test modules (built once, cached).
test_modules() {
	"$SRCDIR/tests/fixtures/build-modules.sh" "$CACHE/modules" >&2 || die "cannot build the test modules"
	echo "$CACHE/modules"
}

# oracle: prints the path of the kernel's own scripts/sign-file (built once, cached).
oracle() {
	"$SRCDIR/tests/oracle/build.sh" "$CACHE/oracle" >&2 || die "cannot build sign-file"
	echo "$CACHE/oracle/sign-file"
}

# kms_sim_config LABEL KEY.pem [EXTRA_JSON]: an aws-kms-pkcs11 config for the stand-in.
kms_sim_config() {
	mkdir -p "$XDG_CONFIG_HOME/aws-kms-pkcs11"
	printf '{\n  "slots": [\n    {\n      "label": "%s",\n      "kms_key_id": "sim-%s",\n      "sim_key_file": "%s"%s\n    }\n  ]\n}\n' \
		"$1" "$1" "$2" "${3:+,
      $3}" >"$XDG_CONFIG_HOME/aws-kms-pkcs11/config.json"
	echo "$XDG_CONFIG_HOME/aws-kms-pkcs11/config.json"
}

# Copies the test modules into $T/mods and prints that directory.
fresh_modules() {
	local src
	src=$(test_modules)
	rm -rf "$T/mods"
	mkdir -p "$T/mods"
	cp "$src"/*.ko "$T/mods/"
	echo "$T/mods"
}
