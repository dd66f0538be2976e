/*
 * The kernel page table and device mappings (mm/include/mm/kmap.h).
 * Built for the host too: its tests make kernel_pt with pt_create().
 * kmap_init(), which adopts the boot tables, is in mm/boot/kmap_init.c.
 */
#include <lib/err.h>
#include <mm/kmap.h>
#include <mm/layout.h>

struct pt kernel_pt;
paddr_t kmap_empty_user_root;

/* The boot page's first slot holds the early UART; iomap starts after. */
static uintptr_t iomap_next = KERNEL_IOMAP_BASE + PAGE_SIZE;

void *kmap_iomap(uint64_t pa, uint64_t size)
{
	return iomap(pa, (size_t)size);   /* size_t is 64 bits on every target */
}

void *iomap(paddr_t pa, size_t size)
{
	paddr_t base = pa & ~(paddr_t)PAGE_MASK;
	uint64_t len = (pa - base + size + PAGE_MASK) & ~(uint64_t)PAGE_MASK;
	uintptr_t va = iomap_next;

	if (!size || len > KERNEL_IOMAP_END - va)
		return NULL;
	if (pt_map(&kernel_pt, va, base, len, MMU_READ | MMU_WRITE | MMU_DEVICE | MMU_GLOBAL))
		return NULL;
	iomap_next += len;
	return (void *)(va + (pa - base));
}
