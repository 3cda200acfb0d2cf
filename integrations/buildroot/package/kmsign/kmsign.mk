################################################################################
#
# kmsign
#
################################################################################

# Built from the kmsign checkout this br2-external tree is part of.
KMSIGN_SITE = $(BR2_EXTERNAL_KMSIGN_PATH)/../..
KMSIGN_SITE_METHOD = local
KMSIGN_VERSION = $(shell cat $(KMSIGN_SITE)/VERSION)
KMSIGN_LICENSE = GPL-2.0
HOST_KMSIGN_DEPENDENCIES = \
	host-json-c \
	host-libp11 \
	host-openssl \
	host-p11-kit \
	host-pkgconf \
	host-xz \
	host-zlib \
	host-zstd

HOST_KMSIGN_MAKE_OPTS = \
	PREFIX=$(HOST_DIR) \
	PKG_CONFIG=$(PKG_CONFIG_HOST_BINARY)

define HOST_KMSIGN_BUILD_CMDS
	$(HOST_MAKE_ENV) $(HOST_CONFIGURE_OPTS) $(MAKE) -C $(@D) \
		$(HOST_KMSIGN_MAKE_OPTS)
endef

# kmsign-apply finds the patches in ../share/kmsign/patches.
define HOST_KMSIGN_INSTALL_CMDS
	$(HOST_MAKE_ENV) $(HOST_CONFIGURE_OPTS) $(MAKE) -C $(@D) \
		$(HOST_KMSIGN_MAKE_OPTS) install
	$(INSTALL) -D -m 0755 $(@D)/scripts/kmsign-apply \
		$(HOST_DIR)/bin/kmsign-apply
	mkdir -p $(HOST_DIR)/share/kmsign
	cp -R $(@D)/patches $(@D)/kconfig $(HOST_DIR)/share/kmsign/
endef

$(eval $(host-generic-package))
