/*
 * The kernel's own page table and device mappings.
 *
 * kernel_pt maps the upper half: the image (text RX, rodata R, data RW),
 * all RAM in the linear map (largest blocks possible), device registers
 * through iomap().  Nothing is ever writable and executable.
 */
#ifndef MM_KMAP_H
#define MM_KMAP_H

#include <stddef.h>
#include <mm/pt.h>

extern struct pt kernel_pt;

/* Physical address of an empty user table (the lower half of idle CPUs). */
extern paddr_t kmap_empty_user_root;

/*
 * Take over the boot table as kernel_pt, map every RAM range of the boot
 * memory map into the linear map, and drop the boot identity map.  Table
 * pages come from the boot memory map until kmap_use_frame_allocator().
 * Returns E_OK or an error (the early tables stay in use then).
 */
int kmap_init(void);

/*
 * The table a secondary CPU turns its MMU on with: the boot identity map
 * of the image (so the code doing it keeps running) and the kernel half
 * as it is now.  Physical address.  Boot CPU only, after kmap_init().
 */
paddr_t kmap_secondary_ident_root(void);

/* From now on, table pages come from (and go back to) the frame allocator. */
void kmap_use_frame_allocator(void);

/*
 * Map @size bytes of device registers at physical @pa (any alignment)
 * and return their kernel virtual address, or NULL when the device window
 * is full or the table cannot grow.  Mappings are never removed.
 */
void *iomap(paddr_t pa, size_t size);

/* iomap() with the arch interface's types (arch_irq_init() takes it). */
void *kmap_iomap(uint64_t pa, uint64_t size);

#endif
