# The kernel flow with CONFIG_MODULE_SIG_KMS, step by step: shared by
# tests/e2e/run and scripts/demo.sh (sourced; set -euo pipefail by the caller).
#
# Needs: SRCDIR (repo root), KMSIGN (kmsign binary), KMS_SIM (kms-sim.so).
# Each step prints what it does and leaves its results in the directories it
# is given; nothing here decides pass or fail (the callers assert).

KJOBS=${KJOBS:-2}
E2E_DIR=$SRCDIR/tests/e2e

e2e_log() { printf '  %-7s %s\n' "$1" "$2"; }

# kms_token DIR LABEL: a KMS stand-in token (aws-kms-pkcs11 config in
# DIR/xdg) with a fresh throwaway RSA key and no certificate; exports
# XDG_CONFIG_HOME and sets KMS_TOKEN_CONFIG to the config's path.
kms_token() {
	local dir=$1 label=$2 cfg
	mkdir -p "$dir/xdg/aws-kms-pkcs11"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 \
		-out "$dir/THROWAWAY-test-only-key.pem" 2>/dev/null
	cfg=$dir/xdg/aws-kms-pkcs11/config.json
	printf '{\n  "slots": [\n    { "label": "%s", "kms_key_id": "sim-%s",\n      "sim_key_file": "%s" }\n  ]\n}\n' \
		"$label" "$label" "$dir/THROWAWAY-test-only-key.pem" >"$cfg"
	export XDG_CONFIG_HOME=$dir/xdg
	KMS_TOKEN_CONFIG=$cfg
}

# kernel_tree TARBALL DIR [fresh]: DIR/src holds the tarball's tree, extracted
# once per tarball (and kept, with its build, between runs), or again with
# "fresh"; prints the tree's path.
kernel_tree() {
	local tarball=$1 dir=$2 key src stamp
	key=$(stat -c '%n %s %Y' "$tarball")
	src=$dir/src
	stamp=$dir/.extracted
	if [ "${3:-}" = fresh ] || [ ! -e "$stamp" ] || [ "$(cat "$stamp")" != "$key" ]; then
		rm -rf "$src" "$stamp" "$dir/x" && mkdir -p "$dir/x"
		if [ -d "$tarball" ]; then
			e2e_log COPY "$tarball -> $dir" >&2
			cp -a "$tarball/." "$src"
		else
			e2e_log EXTRACT "$(basename "$tarball") -> $dir" >&2
			tar -xf "$tarball" -C "$dir/x"
			mv "$dir/x"/* "$src"
		fi
		rmdir "$dir/x"
		echo "$key" >"$stamp"
	fi
	echo "$src"
}

# kernel_tree_patched TARBALL DIR: kernel_tree with the kmsign patches
# applied; a kept tree carrying older patches is extracted again.
kernel_tree_patched() {
	local src
	src=$(kernel_tree "$1" "$2")
	if ! "$SRCDIR/scripts/kmsign-apply" "$src" >&2; then
		src=$(kernel_tree "$1" "$2" fresh)
		"$SRCDIR/scripts/kmsign-apply" "$src" >&2 || return 1
	fi
	echo "$src"
}

# kernel_config SRC LABEL: a small x86_64 kernel with modules signed through
# the stand-in token named LABEL; the certificate is self-signed on the first
# build and stored in the aws-kms-pkcs11 config.
kernel_config() {
	local src=$1 label=$2 frag
	frag=$src/.kmsign-e2e.config
	{
		cat "$SRCDIR/kconfig/module-sig-kms.config"
		cat "$E2E_DIR/kernel.config"
		# A tree of one's own may need more (E2E_EXTRA_CONFIG=fragment).
		[ -z "${E2E_EXTRA_CONFIG:-}" ] || cat "$E2E_EXTRA_CONFIG"
		echo "CONFIG_MODULE_SIG_KMS_PKCS11_MODULE=\"$KMS_SIM\""
		echo "CONFIG_MODULE_SIG_KMS_URI=\"pkcs11:token=$label\""
	} >"$frag"
	make -s -C "$src" ARCH=x86_64 tinyconfig >/dev/null
	(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null 2>&1)
	make -s -C "$src" ARCH=x86_64 olddefconfig >/dev/null
	kernel_config_missing "$src" "$frag"
}

# Prints the fragment's settings the final .config lacks (none: all applied).
kernel_config_missing() {
	local src=$1 frag=$2 line
	while IFS= read -r line; do
		case $line in CONFIG_*=*) ;; *) continue ;; esac
		grep -qxF -- "$line" "$src/.config" || echo "$line"
	done <"$frag"
}

# kernel_build SRC LOG [TARGETS...]: make with kmsign on PATH.
kernel_build() {
	local src=$1 log=$2
	shift 2
	PATH=$(dirname "$KMSIGN"):$PATH make -C "$src" ARCH=x86_64 -j"$KJOBS" "$@" >"$log" 2>&1
}

# modules_install SRC ROOT LOG [M=DIR]: install (and sign) into ROOT.
modules_install() {
	local src=$1 root=$2 log=$3
	shift 3
	PATH=$(dirname "$KMSIGN"):$PATH make -C "$src" ARCH=x86_64 INSTALL_MOD_PATH="$root" \
		"$@" modules_install >"$log" 2>&1
}

# bad_modules SRC_KO SIGNED_KO DIR: unsigned, tampered and foreign-key copies.
bad_modules() {
	local unsigned=$1 signed=$2 dir=$3 size
	mkdir -p "$dir"
	cp "$unsigned" "$dir/unsigned.ko"
	cp "$signed" "$dir/tampered.ko"
	size=$(stat -c %s "$signed")
	# A byte of the module's code, not of its signature.
	printf '\xff' | dd of="$dir/tampered.ko" bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/other-key.pem" 2>/dev/null
	openssl req -new -x509 -key "$dir/other-key.pem" -out "$dir/other-cert.pem" -days 30 \
		-subj "/CN=Some other key" -addext "subjectKeyIdentifier=hash" 2>/dev/null
	cp "$unsigned" "$dir/foreign.ko"
	"$KMSIGN" sign -q --no-progress -k "$dir/other-key.pem" -c "$dir/other-cert.pem" "$dir/foreign.ko"
	rm -f "$dir/other-key.pem"
}

# initramfs ROOT BAD OUT: busybox, the modules installed under ROOT, the bad
# copies in BAD, and an /init that loads them all and reports on the console.
initramfs() {
	local root=$1 bad=$2 out=$3 ir
	ir=$(mktemp -d)
	mkdir -p "$ir"/{bin,proc,sys,dev,tmp,mods,bad}
	cp /bin/busybox "$ir/bin/busybox"
	find "$root" -name '*.ko' -exec cp {} "$ir/mods/" \;
	cp "$bad"/*.ko "$ir/bad/"
	cp "$E2E_DIR/init" "$ir/init"
	chmod 0755 "$ir/init"
	(cd "$ir" && find . | cpio -o -H newc --owner=0:0 2>/dev/null | gzip -9 >"$out")
	rm -rf "$ir"
}

# boot BZIMAGE INITRAMFS LOG: boots under TCG; the log is the serial console.
boot() {
	local image=$1 initrd=$2 log=$3
	timeout "${BOOT_TIMEOUT:-180}" qemu-system-x86_64 -accel tcg -m 256 -smp 1 -nographic -no-reboot \
		-kernel "$image" -initrd "$initrd" \
		-append "console=ttyS0 module.sig_enforce=1 panic=-1 quiet loglevel=4" </dev/null >"$log" 2>&1 || true
	tr -d '\r' <"$log" >"$log.txt"
}
