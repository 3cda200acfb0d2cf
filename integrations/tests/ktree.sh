# Test helper of tests/t-integ-*.sh (sourced after tests/lib.sh): a minimal
# Linux 6.1 tree, the top Makefile and the files the 6.1 patches change, taken
# from Debian's linux-source-6.1 once and cached.

# integ_ktree DIR: copies the minimal tree to DIR.
integ_ktree() {
	local dest=$1 cache=$CACHE/integ-ktree-6.1 files stamp f
	files=$(printf 'Makefile\n'; sed -n 's|^--- a/||p' "$SRCDIR"/patches/6.1/*.patch | LC_ALL=C sort -u)
	stamp=$(echo "$files" | sha256sum | cut -c1-16)
	if [ "$(cat "$cache/.stamp" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "$cache" "$cache.tmp"
		mkdir -p "$cache.tmp"
		if [ -f "$CACHE/ktree/linux-source-6.1/Makefile" ]; then
			for f in $files; do
				install -D -m 0644 "$CACHE/ktree/linux-source-6.1/$f" "$cache.tmp/linux-source-6.1/$f"
			done
		else
			[ -r /usr/src/linux-source-6.1.tar.xz ] || skip "linux-source-6.1 is not installed"
			# shellcheck disable=SC2086
			tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$cache.tmp" \
				$(for f in $files; do echo "linux-source-6.1/$f"; done) || die "cannot extract linux-source-6.1"
		fi
		echo "$stamp" >"$cache.tmp/.stamp"
		mv "$cache.tmp" "$cache"
	fi
	mkdir -p "$dest"
	cp -R "$cache/linux-source-6.1/." "$dest/"
}

# integ_conf: Debian's kconfig front end (linux-kbuild-6.1).
integ_conf() {
	local c
	for c in /usr/lib/linux-kbuild-*/scripts/kconfig/conf; do
		[ -x "$c" ] && { echo "$c"; return 0; }
	done
	skip "no scripts/kconfig/conf: apt-get install linux-kbuild-6.1"
}

# integ_kms_token LABEL: a KMS stand-in token with a fresh key; prints its
# certificate (DER), self-signed through the token.
integ_kms_token() {
	make_rsa_key "$T/$1.key"
	kms_sim_config "$1" "$T/$1.key" >/dev/null
	PKCS11_MODULE_PATH=$KMS_SIM "$KMSIGN" cert -k "pkcs11:token=$1" --source self-sign --store none \
		--outform der -o "$T/$1.der" >/dev/null 2>&1 || die "cannot self-sign through the KMS stand-in"
	echo "$T/$1.der"
}

# integ_kms_kconfig DIR KTREE: a Kconfig with stubs for what Kconfig.kms depends on.
integ_kms_kconfig() {
	cat >"$1/Kconfig" <<KCONF
mainmenu "kmsign test"
config MODULES
	bool "modules"
config MODULE_SIG
	bool "module signing"
	depends on MODULES
config MODULE_SIG_ALL
	bool "sign all"
	depends on MODULE_SIG
choice
	prompt "hash"
	depends on MODULE_SIG
config MODULE_SIG_SHA256
	bool "sha256"
config MODULE_SIG_SHA512
	bool "sha512"
endchoice
config MODULE_SIG_HASH
	string
	depends on MODULE_SIG
	default "sha256" if MODULE_SIG_SHA256
	default "sha512" if MODULE_SIG_SHA512
source "$2/certs/Kconfig.kms"
KCONF
}
