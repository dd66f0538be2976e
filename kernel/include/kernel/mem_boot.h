/* Physical memory set-up at boot: from the device tree to the allocators. */
#ifndef KERNEL_MEM_BOOT_H
#define KERNEL_MEM_BOOT_H

#include <mm/memmap.h>

struct fdt;

/* The boot memory map (RAM, what is free); valid after mem_boot_init(). */
extern struct memmap boot_memmap;

/* What was taken out of RAM before the allocators started, and why. */
struct mem_taken {
	struct mem_range range;
	const char *what;
};
extern struct mem_taken boot_taken[MEMMAP_MAX];
extern int boot_ntaken;

/*
 * Build the memory map from @fdt (whose blob lives at @dtb): RAM ranges
 * minus the kernel image, the blob and every reserved region.  Returns
 * E_OK or the memmap error.
 */
int mem_boot_init(const struct fdt *fdt, const void *dtb);

#endif
