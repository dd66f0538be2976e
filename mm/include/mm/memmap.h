/*
 * The physical memory map at boot: RAM ranges from the device tree minus
 * everything already taken (the kernel image, the device tree blob,
 * /reserved-memory and /memreserve/ regions), and a boot-time region
 * allocator that serves early needs (frame metadata, first page tables)
 * before the frame allocator exists.  What it hands out is removed from
 * the free ranges, so the frame allocator never gives it out again.
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

#include <stdint.h>
#include <stddef.h>

#define MEMMAP_MAX 32

struct mem_range {
	uint64_t base;
	uint64_t size;
};

struct memmap {
	struct mem_range ram[MEMMAP_MAX];      /* page-aligned, sorted */
	int nram;
	struct mem_range free[MEMMAP_MAX];     /* usable and not yet taken */
	int nfree;
	uint64_t boot_allocated;               /* bytes handed out by memmap_alloc */
	int frozen;                            /* no more boot allocations */
};

/*
 * Build @mm from @nram RAM ranges and @nres reserved ranges (any order,
 * any alignment; zero sizes ignored).  RAM is shrunk inward and reserved
 * ranges grown outward to whole pages.  Returns E_OK, E_INVAL for NULL
 * arrays with a nonzero count or no RAM at all, E_OVERFLOW for a range
 * that wraps, E_EXIST for overlapping RAM ranges, E_NOSPC when the ranges
 * do not fit in MEMMAP_MAX entries.
 */
int memmap_init(struct memmap *mm, const struct mem_range *ram, int nram,
                const struct mem_range *res, int nres);

/*
 * Take @size bytes aligned to @align (a power of two >= 4096; size is
 * rounded up to whole pages) from the free ranges, from the top of the
 * highest range that fits.  Returns the physical address, or 0 when
 * nothing fits, the arguments are bad, or the map is frozen.
 */
uint64_t memmap_alloc(struct memmap *mm, uint64_t size, uint64_t align);

/* As memmap_alloc(), but only from inside [lo, hi). */
uint64_t memmap_alloc_within(struct memmap *mm, uint64_t size, uint64_t align,
                             uint64_t lo, uint64_t hi);

/* Stop boot allocations: the free ranges now belong to the frame allocator. */
void memmap_freeze(struct memmap *mm);

/* Nonzero when [base, base + size) lies inside one RAM range of @mm. */
int memmap_is_ram(const struct memmap *mm, uint64_t base, uint64_t size);

/* Sum of the sizes of @n ranges. */
uint64_t mem_ranges_total(const struct mem_range *r, int n);

#endif
