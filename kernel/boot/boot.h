/* What the boot sequence found, for the rest of the kernel and the tests. */
#ifndef BOOT_BOOT_H
#define BOOT_BOOT_H

#include <lib/fdt.h>

/* The device tree the firmware passed, validated (set before any test). */
extern struct fdt boot_fdt;

/* The kernel command line as booted (the /chosen bootargs). */
extern const char *boot_cmdline;

#endif
