# module-kmsign.bbclass: an out-of-tree module recipe (inherit module) that
# inherits this class has its modules signed through the token after OE strips
# them, with the certificate the kernel recipe (inherit kernel-kmsign) built
# and handed over in STAGING_KERNEL_BUILDDIR.
#
#   inherit module module-kmsign

inherit kmsign-common

do_package[depends] += "virtual/kernel:do_shared_workdir"
