#!/bin/bash
# kmsign for NVIDIA Jetson Linux (L4T) kernel sources: Jetpack 4 (4.9), 5 (5.10)
# and 6 (5.15, kernel-jammy-src).
#
#   kmsign-l4t.sh apply SRC                 add CONFIG_MODULE_SIG_KMS to the L4T kernel tree
#   kmsign-l4t.sh config SRC [-o OUT]       enable it in the tegra defconfig (and OUT/.config)
#   kmsign-l4t.sh sign [-k URI] -c CERT MODDIR [DIR...]
#                                           sign the installed modules, NVIDIA's out-of-tree ones too
#   kmsign-l4t.sh verify (-c CERT | --kernel IMAGE) MODDIR [DIR...]
#
# SRC is Linux_for_Tegra/source (or a directory above it, or the kernel tree
# itself). config reads KMSIGN_URI, KMSIGN_PKCS11_MODULE, KMSIGN_JOBS and
# KMSIGN_MAX_RATE; sign reads KMSIGN_URI, KMSIGN_PKCS11_MODULE, KMSIGN_HASH,
# KMSIGN_JOBS and KMSIGN_MAX_RATE. KMSIGN and KMSIGN_APPLY name the tools.
set -euo pipefail

prog="kmsign-l4t.sh"
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)

usage() {
	sed -n '5,10s/^# \{0,1\}//p' "$0"
	exit "${1:-2}"
}

fail() {
	echo "$prog: $*" >&2
	exit 1
}

# The kernel trees of each Jetpack, as L4T's public sources lay them out.
KERNEL_DIRS="kernel/kernel-jammy-src kernel/kernel-5.10 kernel/kernel-4.9"
BASES=". Linux_for_Tegra/source Linux_for_Tegra/source/public source source/public sources"

# find_kernel SRC: prints the kernel tree of the L4T sources under SRC.
find_kernel() {
	local src=$1 base k
	[ -d "$src" ] || fail "$src: no such directory"
	if [ -f "$src/Makefile" ] && grep -q '^PATCHLEVEL = ' "$src/Makefile"; then
		echo "$src"
		return 0
	fi
	for base in $BASES; do
		for k in $KERNEL_DIRS; do
			if [ -f "$src/$base/$k/Makefile" ]; then
				echo "$src/$base/$k"
				return 0
			fi
		done
	done
	fail "$src: not an L4T source tree: no ${KERNEL_DIRS// /, } under it, Linux_for_Tegra/source or source/public"
}

tool() {
	local name=$1 var=$2 cand=$3
	if [ -n "${!var:-}" ]; then
		echo "${!var}"
	elif [ -x "$cand" ]; then
		echo "$cand"
	elif command -v "$name" >/dev/null 2>&1; then
		command -v "$name"
	else
		fail "$name not found: install kmsign (make install) or set $var"
	fi
}

cmd_apply() {
	[ $# -eq 1 ] || usage
	local k apply
	k=$(find_kernel "$1")
	apply=$(tool kmsign-apply KMSIGN_APPLY "$here/../../scripts/kmsign-apply")
	"$apply" "$k"
}

# The tegra defconfig the L4T build starts from: tegra_defconfig on
# Jetpack 4 and 5; Jetpack 6 (nvbuild.sh) uses the arm64 defconfig.
defconfig_of() {
	local k=$1
	if [ -f "$k/arch/arm64/configs/tegra_defconfig" ]; then
		echo "$k/arch/arm64/configs/tegra_defconfig"
	elif [ -f "$k/arch/arm64/configs/defconfig" ]; then
		echo "$k/arch/arm64/configs/defconfig"
	else
		fail "$k: no arch/arm64/configs/tegra_defconfig or defconfig"
	fi
}

fragment() {
	local f
	f=$(for c in "$here/../../kconfig/module-sig-kms.config" "$here/../share/kmsign/kconfig/module-sig-kms.config"; do
		[ -f "$c" ] && echo "$c" && break
	done)
	[ -n "$f" ] || fail "cannot find kconfig/module-sig-kms.config of kmsign"
	# The key stays in the token: no local key, and the settings given.
	grep -v '^CONFIG_MODULE_SIG_KEY=' "$f"
	[ -z "${KMSIGN_URI:-}" ] || printf 'CONFIG_MODULE_SIG_KMS_URI="%s"\n' "$KMSIGN_URI"
	[ -z "${KMSIGN_PKCS11_MODULE:-}" ] || printf 'CONFIG_MODULE_SIG_KMS_PKCS11_MODULE="%s"\n' "$KMSIGN_PKCS11_MODULE"
	[ -z "${KMSIGN_JOBS:-}" ] || printf 'CONFIG_MODULE_SIG_KMS_JOBS=%s\n' "$KMSIGN_JOBS"
	[ -z "${KMSIGN_MAX_RATE:-}" ] || printf 'CONFIG_MODULE_SIG_KMS_MAX_RATE=%s\n' "$KMSIGN_MAX_RATE"
}

# merge CONFIG FRAGMENT: the fragment's settings replace CONFIG's for the same
# symbols; CONFIG_MODULE_SIG_KEY goes, so no local key is generated.
merge() {
	awk -v dot="$1" '
		function sym(l) {
			if (match(l, /^CONFIG_[A-Za-z0-9_]+=/))
				return substr(l, 1, RLENGTH - 1)
			if (match(l, /^# CONFIG_[A-Za-z0-9_]+ is not set$/))
				return substr(l, 3, RLENGTH - 13)
			return ""
		}
		FILENAME != dot { s = sym($0); if (s != "") { frag[++n] = $0; set[s] = 1 }; next }
		sym($0) == "CONFIG_MODULE_SIG_KEY" { next }
		!(sym($0) in set) { print }
		END { for (i = 1; i <= n; i++) print frag[i] }
	' "$2" "$1" >"$1.kmsign.tmp"
	mv "$1.kmsign.tmp" "$1"
}

cmd_config() {
	local src="" out="" k def frag
	while [ $# -gt 0 ]; do
		case $1 in
		-o) out=${2:?}; shift ;;
		-*) usage ;;
		*) [ -z "$src" ] || usage; src=$1 ;;
		esac
		shift
	done
	[ -n "$src" ] || usage
	k=$(find_kernel "$src")
	grep -qs 'config MODULE_SIG_KMS$' "$k/certs/Kconfig.kms" ||
		fail "$k: CONFIG_MODULE_SIG_KMS is not there: run '$prog apply $src' first"
	def=$(defconfig_of "$k")
	frag=$(mktemp)
	trap 'rm -f "$frag"' RETURN
	fragment >"$frag"
	merge "$def" "$frag"
	echo "$prog: enabled CONFIG_MODULE_SIG_KMS in $def"
	if [ -n "$out" ]; then
		[ -f "$out/.config" ] || fail "$out/.config: no such file (build the defconfig first, or drop -o)"
		merge "$out/.config" "$frag"
		echo "$prog: enabled CONFIG_MODULE_SIG_KMS in $out/.config (run make olddefconfig there)"
	fi
}

# nvidia_modules DIR...: the NVIDIA out-of-tree modules among them, by name.
nvidia_modules() {
	find "$@" -type f \( -name 'nvgpu.ko' -o -name 'nvidia*.ko' -o -name 'nvhwpm.ko' -o -name 'nvmap.ko' \
		-o -name 'nvethernet.ko' -o -path '*/nvidia-oot/*.ko' -o -path '*/updates/*.ko' \) | LC_ALL=C sort
}

cmd_sign() {
	local uri=${KMSIGN_URI:-} cert="" kmsign n nv rate
	while [ $# -gt 0 ]; do
		case $1 in
		-k) uri=${2:?}; shift ;;
		-c) cert=${2:?}; shift ;;
		-*) usage ;;
		*) break ;;
		esac
		shift
	done
	[ $# -gt 0 ] && [ -n "$cert" ] || usage
	[ -n "$uri" ] || fail "no signing key: give -k pkcs11:... or set KMSIGN_URI"
	local d
	for d; do [ -d "$d" ] || fail "$d: no such directory"; done
	n=$(find "$@" -type f -name '*.ko' | wc -l)
	[ "$n" -gt 0 ] || fail "no modules (*.ko) under $*"
	nv=$(nvidia_modules "$@" | wc -l)
	kmsign=$(tool kmsign KMSIGN "$here/../../build/kmsign")
	[ -z "${KMSIGN_PKCS11_MODULE:-}" ] || export PKCS11_MODULE_PATH=$KMSIGN_PKCS11_MODULE
	rate=${KMSIGN_MAX_RATE:-0}
	[ "$rate" != 0 ] || rate=
	"$kmsign" sign -q -k "$uri" -c "$cert" -a "${KMSIGN_HASH:-sha256}" -j "${KMSIGN_JOBS:-16}" \
		${rate:+--max-rate "$rate"} "$@" || fail "signing failed"
	"$kmsign" verify -q -c "$cert" "$@" || fail "signed, but not every module verifies against $cert"
	echo "$prog: signed and verified $n modules ($nv NVIDIA out-of-tree)"
}

cmd_verify() {
	local trust=() kmsign
	while [ $# -gt 0 ]; do
		case $1 in
		-c) trust+=(-c "${2:?}"); shift ;;
		--kernel) trust+=(--kernel "${2:?}"); shift ;;
		-*) usage ;;
		*) break ;;
		esac
		shift
	done
	[ $# -gt 0 ] && [ ${#trust[@]} -gt 0 ] || usage
	kmsign=$(tool kmsign KMSIGN "$here/../../build/kmsign")
	"$kmsign" verify -q "${trust[@]}" "$@" || fail "some modules do not verify (listed above)"
	echo "$prog: every module verifies ($(nvidia_modules "$@" | wc -l) NVIDIA out-of-tree)"
}

[ $# -gt 0 ] || usage
cmd=$1
shift
case $cmd in
apply) cmd_apply "$@" ;;
config) cmd_config "$@" ;;
sign) cmd_sign "$@" ;;
verify) cmd_verify "$@" ;;
-h | --help) usage 0 ;;
*) echo "$prog: unknown command '$cmd'" >&2 && usage ;;
esac
