#!/bin/bash
# meta-kmsign: layer.conf and recipe checks without bitbake, and the classes'
# shell library run with /bin/sh on a real 6.1 tree and real modules: patch,
# configure (Debian's kconfig), sign after strip through the KMS stand-in, verify.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/integrations/tests/ktree.sh"
need_cmd dash strip objcopy readelf
L=$SRCDIR/integrations/yocto/meta-kmsign
LIB=$L/files/kmsign-functions.sh

# layer.conf: every line an assignment bitbake accepts, with what a layer needs.
python3 - "$L/conf/layer.conf" <<'PY' || die "layer.conf"
import re, sys
v = {}
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.strip()
    if not line or line.startswith('#'):
        continue
    m = re.fullmatch(r'([A-Za-z0-9_]+)\s*(=|\?=|\?\?=|:=|\+=|\.=|=\+)\s*"([^"]*)"', line)
    if not m:
        sys.exit("layer.conf:%d: not an assignment: %s" % (n, line))
    v[m.group(1)] = v.get(m.group(1), '') + ' ' + m.group(3)
for k in ('BBPATH', 'BBFILES', 'BBFILE_COLLECTIONS', 'BBFILE_PATTERN_kmsign', 'BBFILE_PRIORITY_kmsign',
          'LAYERDEPENDS_kmsign', 'LAYERSERIES_COMPAT_kmsign', 'KMSIGN_LAYERDIR'):
    if k not in v:
        sys.exit("layer.conf: %s is missing" % k)
if not {'kirkstone', 'scarthgap'} <= set(v['LAYERSERIES_COMPAT_kmsign'].split()):
    sys.exit("layer.conf: LAYERSERIES_COMPAT lacks kirkstone or scarthgap")
if 'core' not in v['LAYERDEPENDS_kmsign'].split():
    sys.exit("layer.conf: LAYERDEPENDS lacks core")
PY

# Only the new override syntax; no private key anywhere in the layer.
if grep -rnE '(^|[^:])\b[A-Za-z0-9_]+_(append|prepend|remove)\b *(=|\+=)' "$L"; then
	die "old override syntax in the layer"
fi
if grep -rlE 'PRIVATE KEY' "$L" || find "$L" -name '*.pem' -o -name '*.key' -o -name '*.p8' | grep .; then
	die "private key material in the layer"
fi
assert_grep 'PACKAGESPLITFUNCS:prepend = "kmsign_sign_modules "' "$L/classes/kmsign-common.bbclass"
assert_grep '^KMSIGN_URI \?\?= "UNSET"' "$L/classes/kmsign-common.bbclass"
assert_grep 'BBCLASSEXTEND = "native nativesdk"' "$L/recipes-devtools/kmsign/kmsign_git.bb"

# The recipe's LIC_FILES_CHKSUM matches the file it names.
lic=$(sed -n 's/.*file:\/\/\([^;]*\);beginline=1;endline=1;md5=\([0-9a-f]*\).*/\1 \2/p' "$L/recipes-devtools/kmsign/kmsign_git.bb")
[ "$(head -1 "$SRCDIR/${lic% *}" | md5sum | cut -d' ' -f1)" = "${lic#* }" ] || die "LIC_FILES_CHKSUM is stale"

# run FUNCTION ARGS...: a library function in dash, as bitbake runs it.
run() {
	dash -c '. "$0"; "$@"' "$LIB" "$@"
}

# A required setting left unset stops the build, naming it.
expect_fail 'KMSIGN_URI is not set' env KMSIGN_URI=UNSET dash -c '. "$0"; kmsign_check_settings' "$LIB"
expect_fail 'KMSIGN_CERT_SOURCE must be' env KMSIGN_URI=pkcs11:token=x KMSIGN_CERT_SOURCE=web \
	dash -c '. "$0"; kmsign_check_settings' "$LIB"

# do_kmsign_patch: apply, and again (do_patch reruns on the same tree).
K=$T/linux
integ_ktree "$K"
export KMSIGN_APPLY=$SRCDIR/scripts/kmsign-apply
expect_ok run kmsign_apply "$K"
assert_grep 'applied CONFIG_MODULE_SIG_KMS' "$T/.out"
expect_ok run kmsign_apply "$K"
assert_grep 'already applied' "$T/.out"
[ -f "$K/certs/Kconfig.kms" ] || die "kmsign_apply left no certs/Kconfig.kms"

# do_configure:append: the fragment from the settings, merged over a .config
# that says otherwise, survives Debian's kconfig olddefconfig.
export KMSIGN_URI='pkcs11:token=modsign;object=kernel' KMSIGN_PKCS11_MODULE=$KMS_SIM KMSIGN_JOBS=8 \
	KMSIGN_CERT_CN='Acme "Kernel" key' KMSIGN_CERT_ORG=Acme KMSIGN_STORE_CERT=config KMSIGN_MAX_RATE=300
expect_ok run kmsign_write_fragment "$T/kmsign-options.cfg"
printf 'CONFIG_MODULES=y\nCONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_ALL=y\nCONFIG_MODULE_SIG_KMS_URI="old"\n' >"$T/.config"
expect_ok run kmsign_merge_config "$T/.config" "$L/recipes-kernel/linux/files/module-sig-kms.cfg" "$T/kmsign-options.cfg"
[ "$(grep -c 'MODULE_SIG_KMS_URI' "$T/.config")" = 1 ] || die "the merge left two MODULE_SIG_KMS_URI lines"
assert_grep '^# CONFIG_MODULE_SIG_ALL is not set$' "$T/.config"
mkdir "$T/kc"
integ_kms_kconfig "$T/kc" "$K"
conf=$(integ_conf)
(cd "$T/kc" && KCONFIG_CONFIG=$T/.config "$conf" --olddefconfig Kconfig >/dev/null) || die "conf --olddefconfig failed"
expect_ok run kmsign_check_config "$T/.config" "$T/kmsign-options.cfg"
assert_grep '^CONFIG_MODULE_SIG_KMS_URI="pkcs11:token=modsign;object=kernel"$' "$T/.config"
assert_grep '^CONFIG_MODULE_SIG_KMS_CERT_CN="Acme \\"Kernel\\" key"$' "$T/.config"
assert_grep '^CONFIG_MODULE_SIG_KMS_JOBS=8$' "$T/.config"
assert_grep '^CONFIG_MODULE_SIG_KMS_STORE_CONFIG=y$' "$T/.config"
assert_grep '^CONFIG_MODULE_SIG_KMS_MAX_RATE=300$' "$T/.config"
# A kernel without the patches loses the options, and the build says so.
printf 'mainmenu "no kms"\nconfig MODULES\n\tbool "m"\n' >"$T/kc/Kconfig"
(cd "$T/kc" && KCONFIG_CONFIG=$T/.config "$conf" --olddefconfig Kconfig >/dev/null) || die "conf failed"
expect_fail 'dropped .CONFIG_MODULE_SIG_KMS=y.*patches' run kmsign_check_config "$T/.config" "$T/kmsign-options.cfg"

# do_package: OE has stripped the modules (and split their debug info into
# .debug/); the hook signs the stripped modules, once, and verifies them.
cert=$(integ_kms_token modsign)
export KMSIGN_URI=pkcs11:token=modsign
P=$T/pkgd/lib/modules/6.1.0/kernel/drivers/misc
mkdir -p "$P/.debug" "$T/stripped"
for m in "$(test_modules)"/*.ko; do
	b=$(basename "$m")
	objcopy --only-keep-debug "$m" "$P/.debug/$b"
	strip --strip-debug -o "$P/$b" "$m"
	cp "$P/$b" "$T/stripped/$b"
done
cp "$P/.debug/kmsign_hello.ko" "$T/debug-copy.ko"
expect_ok env KMSIGN="$KMSIGN" dash -c '. "$0"; kmsign_sign_tree "$1" "$2"' "$LIB" "$T/pkgd" "$cert"
assert_grep 'signed 3 modules through pkcs11:token=modsign' "$T/.out"
assert_grep 'verified 3 modules' "$T/.out"
expect_ok "$KMSIGN" verify -c "$cert" "$P/kmsign_hello.ko" "$P/kmsign_param.ko" "$P/kmsign_big.ko"
for m in "$T"/stripped/*.ko; do
	s=$P/$(basename "$m")
	n=$(stat -c %s "$m")
	[ "$(stat -c %s "$s")" -gt "$n" ] || die "$s: no signature appended"
	cmp -s -n "$n" "$m" "$s" || die "$s: the signed bytes are not the stripped module"
	! readelf -S "$s" | grep -q '\.debug_info' || die "$s: signed before stripping"
done
assert_same_file "$T/debug-copy.ko" "$P/.debug/kmsign_hello.ko"
# A second do_package run finds them signed and makes no token call.
expect_ok env KMSIGN="$KMSIGN" KMSIGN_URI=pkcs11:token=gone dash -c '. "$0"; kmsign_sign_tree "$1" "$2"' "$LIB" "$T/pkgd" "$cert"
assert_grep 'signed already' "$T/.out"

# A module compressed before it could be signed stops the build, saying why.
xz -k "$T/stripped/kmsign_hello.ko"
mv "$T/stripped/kmsign_hello.ko.xz" "$P/"
expect_fail 'compressed modules do not verify.*KMSIGN_SIGN_AT_INSTALL' \
	env KMSIGN="$KMSIGN" dash -c '. "$0"; kmsign_sign_tree "$1" "$2"' "$LIB" "$T/pkgd" "$cert"
rm "$P/kmsign_hello.ko.xz"

# do_shared_workdir:append hands the certificate to module builds.
mkdir -p "$T/b/certs"
cp "$cert" "$T/b/certs/signing_key.x509"
expect_ok run kmsign_stage_cert "$T/b" "$T/shared"
assert_same_file "$cert" "$T/shared/certs/signing_key.x509"
expect_fail 'signing_key.x509 is missing' run kmsign_stage_cert "$T/nothing" "$T/shared"
echo "PASS"
