/* The boot page tables (mm/boot/boot_mmu.c) and what they left behind. */
#ifndef MM_BOOT_MMU_H
#define MM_BOOT_MMU_H

#include <stdint.h>
#include <mm/layout.h>
#include <mm/types.h>

/* The early UART page, mapped before the device tree is read. */
#define BOOT_EARLY_UART_PAGE_VA KERNEL_IOMAP_BASE
#define BOOT_MMU_POOL_EXHAUSTED 1

/*
 * Build the early tables, turn the MMU on and return the offset to add to
 * a physical address in the image to reach its virtual address.  Called
 * once by the arch entry code, at the physical load address.
 */
paddr_t boot_mmu_early(const void *dtb);

/*
 * Report, once the console is up, a command-line "mmu=" value the early
 * code could not honour: unknown to the arch, of no meaning on it
 * (aarch64), or refused by the CPU.  Prints nothing when there was none
 * or it was honoured.
 */
void boot_mmu_report(void);

/* Physical ranges the early linear map covers (2 MiB aligned; empty: 0). */
struct boot_window {
	paddr_t base, end;
};
extern struct boot_window boot_linear_window[2];

extern paddr_t boot_kernel_pa;
extern uintptr_t boot_va_offset;
extern paddr_t boot_early_root;
extern paddr_t boot_early_ident_root;   /* its identity half: the image at its load address */
extern unsigned boot_early_kernel_pages;
extern unsigned boot_early_status;

/* Physical address of a kernel image address (text, data, bss). */
static inline paddr_t kernel_image_pa(const void *va)
{
	return (uintptr_t)va - boot_va_offset;
}

#endif
