#!/bin/bash
# The Buildroot br2-external tree without Buildroot: its Kconfig parsed by
# Debian's kconfig, its variables named as check-package wants, and its make
# hooks evaluated with stand-ins for Buildroot's macros, then run for real:
# patch a 6.1 tree, fix up a .config, sign /lib/modules through the KMS stand-in.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/integrations/tests/ktree.sh"
BR=$SRCDIR/integrations/buildroot

for f in external.desc Config.in external.mk package/kmsign/Config.in.host package/kmsign/kmsign.mk \
	package/kmsign/kmsign.hash linux/Config.ext.in linux/linux-ext-kmsign.mk; do
	[ -f "$BR/$f" ] || die "$f is missing"
done
assert_grep '^name: KMSIGN$' "$BR/external.desc"
assert_grep '^desc: .+' "$BR/external.desc"
grep -v '^source "\$BR2_EXTERNAL_KMSIGN_PATH/' "$BR/Config.in" | grep . && die "Config.in holds more than source lines"

# Variables: KMSIGN_/HOST_KMSIGN_, else allowed by check-package or marked for it.
awk '
	FNR == 1 { mark = 0 }
	/^# check-package TypoInPackageVariable/ { mark = 1; next }
	/^(define +)?[A-Z0-9_]+ *(\+|\?|:)?=|^define +[A-Z0-9_]+/ {
		v = $0; sub(/^define +/, "", v); sub(/[ +?:=].*/, "", v)
		if (v !~ /^(HOST_)?KMSIGN_/ && v !~ /^(LINUX_POST_PATCH_HOOKS|TARGET_FINALIZE_HOOKS)$/ && !mark)
			printf "%s:%d: %s\n", FILENAME, FNR, v
		mark = 0
	}' "$BR/package/kmsign/kmsign.mk" "$BR/linux/linux-ext-kmsign.mk" >"$T/badvars"
[ ! -s "$T/badvars" ] || { cat "$T/badvars" >&2; die "variables outside the KMSIGN_ prefix"; }

# Kconfig: Buildroot's $VAR source paths, as kconfig reads them.
conf=$(integ_conf)
mkdir -p "$T/kc"
sed "s|\$BR2_EXTERNAL_KMSIGN_PATH|$BR|" "$BR/Config.in" >"$T/kc/external.in"
cat >"$T/kc/Kconfig" <<KCONF
mainmenu "br2-external test"
config BR2_LINUX_KERNEL_NEEDS_HOST_OPENSSL
	bool
source "$T/kc/external.in"
source "$BR/linux/Config.ext.in"
KCONF
printf 'BR2_LINUX_KERNEL_EXT_KMSIGN=y\nBR2_LINUX_KERNEL_EXT_KMSIGN_URI="pkcs11:token=br"\nBR2_LINUX_KERNEL_EXT_KMSIGN_JOBS=4\n' >"$T/br.config"
(cd "$T/kc" && CONFIG_='' KCONFIG_CONFIG=$T/br.config "$conf" --olddefconfig Kconfig) >"$T/conf.log" 2>&1 ||
	{ cat "$T/conf.log" >&2; die "kconfig rejects the tree's Config.in files"; }
grep -q 'warning' "$T/conf.log" && { cat "$T/conf.log" >&2; die "kconfig warns about the tree's Config.in files"; }
assert_grep '^BR2_PACKAGE_HOST_KMSIGN=y$' "$T/br.config"
assert_grep '^BR2_LINUX_KERNEL_NEEDS_HOST_OPENSSL=y$' "$T/br.config"
assert_grep '^BR2_LINUX_KERNEL_EXT_KMSIGN_CERT_AUTO=y$' "$T/br.config"
assert_grep '^BR2_LINUX_KERNEL_EXT_KMSIGN_STORE_CONFIG=y$' "$T/br.config"

# The .mk files with Buildroot's macros stood in for.
K=$T/linux
integ_ktree "$K"
mkdir -p "$T/host/bin" "$T/target/lib/modules/6.1.0/extra" "$K/certs"
ln -s "$SRCDIR/scripts/kmsign-apply" "$T/host/bin/kmsign-apply"
ln -s "$KMSIGN" "$T/host/bin/kmsign"
cat >"$T/stub.mk" <<'MK'
define sep


endef
SHARP_SIGN := \#
qstrip = $(strip $(subst ",,$(1)))
KCONFIG_DOT_CONFIG = $(if $(strip $(1)),$(strip $(1)),$(LINUX_DIR)/.config)
define KCONFIG_MUNGE_DOT_CONFIG
	sed -i '/^\(# \)\?$(strip $(1))\>/d' $(call KCONFIG_DOT_CONFIG,$(3)) && \
	echo '$(strip $(2))' >> $(call KCONFIG_DOT_CONFIG,$(3))
endef
define KCONFIG_ENABLE_OPT
	if ! grep -q '^$(strip $(1))=[my]' $(call KCONFIG_DOT_CONFIG,$(2)); then \
		$(call KCONFIG_MUNGE_DOT_CONFIG, $(1), $(1)=y, $(2)); \
	fi
endef
KCONFIG_SET_OPT = $(call KCONFIG_MUNGE_DOT_CONFIG, $(1), $(1)=$(2), $(3))
KCONFIG_DISABLE_OPT = $(call KCONFIG_MUNGE_DOT_CONFIG, $(1), $(SHARP_SIGN) $(1) is not set, $(2))
host-generic-package =
include $(BR2_CONFIG)
include $(BR2_EXTERNAL_KMSIGN_PATH)/linux/linux-ext-kmsign.mk
include $(BR2_EXTERNAL_KMSIGN_PATH)/external.mk
show-%:
	@echo '$($*)'
patch:
	$(foreach h,$(LINUX_POST_PATCH_HOOKS),$($(h))$(sep))
fixups:
	$(HOST_KMSIGN_LINUX_CONFIG_FIXUPS)
finalize:
	$(foreach h,$(TARGET_FINALIZE_HOOKS),$($(h))$(sep))
install-cmds:
	$(HOST_KMSIGN_INSTALL_CMDS)
MK
bmake() {
	make -s -f "$T/stub.mk" BR2_CONFIG="$T/br.config" BR2_EXTERNAL_KMSIGN_PATH="$BR" HOST_DIR="$T/host" \
		TARGET_DIR="$T/target" LINUX_DIR="$K" Q=@ "$@"
}
[ "$(bmake show-LINUX_PATCH_DEPENDENCIES)" = "host-kmsign" ] || die "LINUX_PATCH_DEPENDENCIES: $(bmake show-LINUX_PATCH_DEPENDENCIES)"
[ -f "$(bmake show-LINUX_KCONFIG_FRAGMENT_FILES)" ] || die "the kconfig fragment is missing"
[ "$(cat "$(bmake show-KMSIGN_SITE)/VERSION")" = "$(bmake show-KMSIGN_VERSION)" ] || die "KMSIGN_VERSION"
bmake -n install-cmds >"$T/install.txt" || die "HOST_KMSIGN_INSTALL_CMDS does not expand"
assert_grep "PREFIX=$T/host .*install" "$T/install.txt"
assert_grep "scripts/kmsign-apply $T/host/bin/kmsign-apply" "$T/install.txt"

# LINUX_POST_PATCH_HOOKS: the patches go in, once.
expect_ok bmake patch
assert_grep 'applied CONFIG_MODULE_SIG_KMS' "$T/.out"
expect_ok bmake patch
assert_grep 'already applied' "$T/.out"

# The fragment, then the fixups, then olddefconfig: the BR2_ settings survive.
cp "$(bmake show-LINUX_KCONFIG_FRAGMENT_FILES)" "$K/.config"
expect_ok bmake fixups
integ_kms_kconfig "$T/kc" "$K"
(cd "$T/kc" && KCONFIG_CONFIG=$K/.config "$conf" --olddefconfig Kconfig >/dev/null) || die "conf --olddefconfig failed"
assert_grep '^CONFIG_MODULE_SIG_KMS=y$' "$K/.config"
assert_grep '^CONFIG_MODULE_SIG_ALL=y$' "$K/.config"
assert_grep '^CONFIG_MODULE_SIG_KMS_URI="pkcs11:token=br"$' "$K/.config"
assert_grep '^CONFIG_MODULE_SIG_KMS_JOBS=4$' "$K/.config"
assert_grep '^CONFIG_MODULE_SIG_KMS_CERT_CN="Build time autogenerated kernel key"$' "$K/.config"
assert_grep '^CONFIG_MODULE_SIG_KMS_STORE_CONFIG=y$' "$K/.config"

# TARGET_FINALIZE_HOOKS: modules a package copied in are signed and verified.
cp "$(integ_kms_token br)" "$K/certs/signing_key.x509"
printf 'BR2_LINUX_KERNEL_EXT_KMSIGN_PKCS11_MODULE="%s"\n' "$KMS_SIM" >>"$T/br.config"
cp "$(test_modules)"/*.ko "$T/target/lib/modules/6.1.0/extra/"
expect_ok bmake finalize
expect_ok "$KMSIGN" verify -c "$K/certs/signing_key.x509" "$T/target/lib/modules"
assert_grep 'verified 3 modules: 3 OK' "$T/.err"
echo "PASS"
