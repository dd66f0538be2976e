/* Physical memory set-up at boot: from the device tree to the allocators. */
#ifndef MM_MEM_BOOT_H
#define MM_MEM_BOOT_H

#include <mm/memmap.h>
#include <mm/types.h>

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

/* RAM the kernel must never map ("no-map" reserved regions), page-grown. */
extern struct mem_range boot_nomap[MEMMAP_MAX];
extern int boot_nnomap;

/*
 * Build the memory map from @fdt (whose blob is at physical @dtb_pa): RAM
 * ranges minus the kernel image, the blob and every reserved region.
 * Returns E_OK or the memmap error.
 */
int mem_boot_init(const struct fdt *fdt, paddr_t dtb_pa);

/*
 * Start the frame allocator over all RAM (metadata from the boot memory
 * map), release every frame still free to it, freeze the boot memory map,
 * start the heap, and let page tables grow from frames.  Needs the full
 * linear map (kmap_init).  Returns E_OK or the allocator's error.
 */
int mm_boot_init(void);

#endif
