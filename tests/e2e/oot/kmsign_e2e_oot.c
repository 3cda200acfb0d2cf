// SPDX-License-Identifier: GPL-2.0
/* An out-of-tree module for the e2e test: installed with M=, signed by the same batch. */
#include <linux/init.h>
#include <linux/module.h>

static int __init kmsign_e2e_oot_init(void)
{
	pr_info("kmsign_e2e_oot: loaded\n");
	return 0;
}

static void __exit kmsign_e2e_oot_exit(void)
{
}

module_init(kmsign_e2e_oot_init);
module_exit(kmsign_e2e_oot_exit);
MODULE_DESCRIPTION("kmsign e2e out-of-tree module");
MODULE_LICENSE("GPL");
