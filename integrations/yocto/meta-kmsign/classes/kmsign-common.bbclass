# kmsign-common.bbclass: the settings and the sign-after-strip step shared by
# kernel-kmsign.bbclass (the kernel) and module-kmsign.bbclass (out-of-tree
# modules). Modules are signed in do_package, after OE has stripped them and
# before the packages are split, in one kmsign batch, then verified.

# Required: the signing key. A role of meta-oe's signing.bbclass takes
# precedence: SIGNING_PKCS11_URI[modsign] and SIGNING_PKCS11_MODULE[modsign].
KMSIGN_URI ??= "UNSET"
KMSIGN_PKCS11_MODULE ??= ""
KMSIGN_SIGNING_ROLE ??= "modsign"
KMSIGN_HASH ??= "sha256"
KMSIGN_JOBS ??= "16"
KMSIGN_MAX_RATE ??= "0"

def kmsign_role_value(d, var, fallback):
    role = d.getVar('KMSIGN_SIGNING_ROLE')
    value = d.getVarFlag(var, role) if role else None
    return value or d.getVar(fallback) or ''

KMSIGN_RESOLVED_URI = "${@kmsign_role_value(d, 'SIGNING_PKCS11_URI', 'KMSIGN_URI')}"
KMSIGN_RESOLVED_URI[vardepvalue] = "${KMSIGN_RESOLVED_URI}"
KMSIGN_RESOLVED_MODULE = "${@kmsign_role_value(d, 'SIGNING_PKCS11_MODULE', 'KMSIGN_PKCS11_MODULE')}"
KMSIGN_RESOLVED_MODULE[vardepvalue] = "${KMSIGN_RESOLVED_MODULE}"

KMSIGN_FUNCTIONS = "${KMSIGN_LAYERDIR}/files/kmsign-functions.sh"

DEPENDS += "kmsign-native"

# The environment the shell library reads, as assignments for a shell task.
kmsign_env() {
	. ${KMSIGN_FUNCTIONS}
	KMSIGN_URI="${KMSIGN_RESOLVED_URI}"
	KMSIGN_PKCS11_MODULE="${KMSIGN_RESOLVED_MODULE}"
	KMSIGN_HASH="${KMSIGN_HASH}"
	KMSIGN_JOBS="${KMSIGN_JOBS}"
	KMSIGN_MAX_RATE="${KMSIGN_MAX_RATE}"
	KMSIGN="${STAGING_BINDIR_NATIVE}/kmsign"
	KMSIGN_APPLY="${STAGING_BINDIR_NATIVE}/kmsign-apply"
}

# Where the certificate to sign with is; kernel-kmsign points it at ${B}.
KMSIGN_CERT ??= "${STAGING_KERNEL_BUILDDIR}/certs/signing_key.x509"

kmsign_sign_modules() {
	kmsign_env
	kmsign_check_settings
	kmsign_sign_tree "${PKGD}" "${KMSIGN_CERT}"
}

# Before populate_packages: it copies ${PKGD} into the split packages.
PACKAGESPLITFUNCS:prepend = "kmsign_sign_modules "
do_package[depends] += "kmsign-native:do_populate_sysroot"
do_package[file-checksums] += "${KMSIGN_FUNCTIONS}:True"
