#!/bin/bash
# kmsign-l4t.sh on trees laid out as Jetpack 5's and 6's L4T sources (Debian's
# 5.10 files as kernel-5.10, a 6.1 tree standing in for kernel-jammy-src):
# apply, config, then sign and verify an installed module tree that holds an
# out-of-tree module built with M=.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/integrations/tests/ktree.sh"
L4T=$SRCDIR/integrations/jetpack/kmsign-l4t.sh
export KMSIGN KMSIGN_APPLY=$SRCDIR/scripts/kmsign-apply

S=$T/jp6/Linux_for_Tegra/source
K=$S/kernel/kernel-jammy-src
integ_ktree "$K"
mkdir -p "$K/arch/arm64/configs" "$S/nvidia-oot/drivers/gpu/nvgpu"
printf 'CONFIG_MODULES=y\nCONFIG_MODULE_SIG_KEY="certs/signing_key.pem"\n# CONFIG_MODULE_SIG_ALL is not set\n' \
	>"$K/arch/arm64/configs/defconfig"
printf '#!/bin/bash\n# stand-in for NVIDIA'"'"'s nvbuild.sh\n' >"$S/nvbuild.sh"

# Layouts it does not know, and config before apply, are refused clearly.
mkdir -p "$T/empty"
expect_fail 'not an L4T source tree: no kernel/kernel-jammy-src, kernel/kernel-5.10, kernel/kernel-4.9' "$L4T" apply "$T/empty"
expect_fail 'CONFIG_MODULE_SIG_KMS is not there: run .* apply' "$L4T" config "$T/jp6"
# Jetpack 5's layout, with the files of Debian 11's 5.10 tree that the 5.10
# series changes: found, patched, and its tegra_defconfig set.
K5=$T/jp5/Linux_for_Tegra/source/public/kernel/kernel-5.10
deb=$(ls "$CACHE"/debs/linux-source-5.10_*_all.deb 2>/dev/null | tail -1)
[ -n "$deb" ] || skip "linux-source-5.10 was not downloaded (scripts/deps.sh)"
mkdir -p "$K5/arch/arm64/configs"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-5.10.tar.xz |
	tar -xJ -C "$K5" --strip-components=1 \
		$(sed -n 's|^--- a/|linux-source-5.10/|p' "$SRCDIR"/patches/5.10/*.patch | sort -u) linux-source-5.10/Makefile
printf 'CONFIG_MODULES=y\nCONFIG_MODULE_SIG=y\n' >"$K5/arch/arm64/configs/tegra_defconfig"
expect_ok "$L4T" apply "$T/jp5"
assert_grep "applied CONFIG_MODULE_SIG_KMS to .*kernel-5.10 \(Linux 5.10, 2 patches\)" "$T/.out"
expect_ok env KMSIGN_URI='pkcs11:token=jetson' "$L4T" config "$T/jp5"
assert_grep '^CONFIG_MODULE_SIG_KMS=y$' "$K5/arch/arm64/configs/tegra_defconfig"
assert_grep 'source "certs/Kconfig.kms"' "$K5/init/Kconfig"

expect_ok "$L4T" apply "$T/jp6"
assert_grep "applied CONFIG_MODULE_SIG_KMS to .*kernel-jammy-src" "$T/.out"
expect_ok "$L4T" apply "$S"
assert_grep 'already applied' "$T/.out"

expect_ok env KMSIGN_URI='pkcs11:token=jetson' KMSIGN_JOBS=32 "$L4T" config "$T/jp6"
D=$K/arch/arm64/configs/defconfig
assert_grep '^CONFIG_MODULE_SIG_KMS=y$' "$D"
assert_grep '^CONFIG_MODULE_SIG_KMS_URI="pkcs11:token=jetson"$' "$D"
assert_grep '^CONFIG_MODULE_SIG_KMS_JOBS=32$' "$D"
[ "$(grep -c 'CONFIG_MODULE_SIG_ALL' "$D")" = 1 ] || die "two MODULE_SIG_ALL lines"
assert_grep '^CONFIG_MODULE_SIG_ALL=y$' "$D"
! grep -q 'MODULE_SIG_KEY' "$D" || die "CONFIG_MODULE_SIG_KEY (a local key) is still in $D"

# An NVIDIA out-of-tree module built with M=, installed beside in-tree ones.
hdr=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -1)
[ -n "$hdr" ] || skip "no kernel headers"
M=$S/nvidia-oot/drivers/gpu/nvgpu
printf '#include <linux/module.h>\nstatic int __init i(void) { return 0; }\nstatic void __exit e(void) { }\nmodule_init(i);\nmodule_exit(e);\nMODULE_LICENSE("GPL");\n' >"$M/nvgpu.c"
echo 'obj-m += nvgpu.o' >"$M/Kbuild"
make -s -C "$hdr" M="$M" modules >"$T/build.log" 2>&1 || { cat "$T/build.log" >&2; die "cannot build the M= module"; }
R=$T/rootfs/lib/modules/5.15.0-tegra
mkdir -p "$R/kernel/drivers" "$R/updates/drivers/gpu/nvgpu"
cp "$(test_modules)"/*.ko "$R/kernel/drivers/"
cp "$M/nvgpu.ko" "$R/updates/drivers/gpu/nvgpu/"
cert=$(integ_kms_token jetson)
expect_fail 'no signing key' "$L4T" sign -c "$cert" "$R"
expect_ok env KMSIGN_PKCS11_MODULE="$KMS_SIM" "$L4T" sign -k pkcs11:token=jetson -c "$cert" "$R"
assert_grep 'signed and verified 4 modules \(1 NVIDIA out-of-tree\)' "$T/.out"
expect_ok "$L4T" verify -c "$cert" "$R"
assert_grep 'every module verifies \(1 NVIDIA out-of-tree\)' "$T/.out"
expect_ok "$KMSIGN" verify -c "$cert" "$R/updates/drivers/gpu/nvgpu/nvgpu.ko"
# A foreign key's certificate: the NVIDIA module would not load.
make_rsa_key "$T/other.key"
make_cert "$T/other.key" "$T/other.pem"
! "$L4T" verify -c "$T/other.pem" "$R" >"$T/foreign.out" 2>&1 || die "modules verify against a foreign key"
assert_grep 'nvgpu.ko: unknown key' "$T/foreign.out"
assert_grep 'some modules do not verify' "$T/foreign.out"
echo "PASS"
