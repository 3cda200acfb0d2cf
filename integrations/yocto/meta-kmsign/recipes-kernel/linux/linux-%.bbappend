# With DISTRO_FEATURES "kmsign", every kernel recipe signs its modules through the token, and meta-tegra's disable-module-signing.cfg is dropped.
SRC_URI:remove = "${@bb.utils.contains('DISTRO_FEATURES', 'kmsign', 'file://disable-module-signing.cfg', '', d)}"
inherit ${@'kernel-kmsign' if bb.utils.contains('DISTRO_FEATURES', 'kmsign', True, False, d) and bb.data.inherits_class('kernel', d) else ''}
