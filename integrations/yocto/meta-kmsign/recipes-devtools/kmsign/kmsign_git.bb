SUMMARY = "Sign Linux kernel modules through a PKCS#11 token (AWS KMS, HSMs)"
DESCRIPTION = "kmsign signs kernel modules through a PKCS#11 token whose key \
never leaves it, obtains the kernel's certificate through the token, and \
carries the kernel patches that add CONFIG_MODULE_SIG_KMS (kmsign-apply)."
SECTION = "devel"
# The kernel patches and kbuild files kmsign installs are GPL-2.0-only.
LICENSE = "GPL-2.0-only"
LIC_FILES_CHKSUM = "file://kconfig/Kconfig.kms;beginline=1;endline=1;md5=daad6f7f7a0a286391cd7773ccf79340"

DEPENDS = "openssl libp11 p11-kit json-c zlib xz zstd"

# Where the kmsign sources come from. Set both, e.g. in local.conf:
#   KMSIGN_GIT_URI = "git://git.example.com/kmsign.git;protocol=https;branch=main"
#   KMSIGN_SRCREV = "<40-hex commit>"
# or build a checkout: INHERIT += "externalsrc"
#   EXTERNALSRC:pn-kmsign-native = "/path/to/kmsign"
KMSIGN_GIT_URI ??= "git://github.com/kmsign/kmsign.git;protocol=https;branch=main"
KMSIGN_SRCREV ??= "UNSET"
SRC_URI = "${KMSIGN_GIT_URI}"
SRCREV = "${KMSIGN_SRCREV}"
PV = "0.1.0+git${SRCPV}"
S = "${WORKDIR}/git"

python () {
    if d.getVar('KMSIGN_SRCREV') == 'UNSET' and not d.getVar('EXTERNALSRC'):
        raise bb.parse.SkipRecipe("set KMSIGN_SRCREV (and KMSIGN_GIT_URI) to the kmsign commit to build, or use EXTERNALSRC")
}

inherit pkgconfig

EXTRA_OEMAKE = "CC='${CC}' AR='${AR}' PKG_CONFIG=pkg-config PREFIX=${prefix} \
    BINDIR=${bindir} LIBDIR=${libdir} MANDIR=${mandir} DATADIR=${datadir}/kmsign"

do_compile() {
	oe_runmake
}

do_install() {
	oe_runmake install PREFIX=${prefix} DESTDIR=${D}
	# kmsign-apply finds the patches in ../share/kmsign/patches.
	install -D -m 0755 ${S}/scripts/kmsign-apply ${D}${bindir}/kmsign-apply
	install -d ${D}${datadir}/kmsign/patches ${D}${datadir}/kmsign/kconfig
	cp -R --no-preserve=ownership ${S}/patches/. ${D}${datadir}/kmsign/patches/
	install -m 0644 ${S}/kconfig/* ${D}${datadir}/kmsign/kconfig/
}

FILES:${PN} += "${libdir}/kmsign ${datadir}/kmsign"
RDEPENDS:${PN}:class-target += "bash patch"

BBCLASSEXTEND = "native nativesdk"
