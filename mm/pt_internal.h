/*
 * What mm/pt.c, mm/pt_table.c and mm/pt_walk.c share.  Not an interface: everyone else
 * uses mm/include/mm/pt.h.
 *
 * A table at level L holds 512 entries of PT_LEVEL_SIZE(L) bytes each, so
 * it spans PT_LEVEL_SIZE(L + 1) bytes starting at its base address; the
 * root's base is the start of the 2^39 or 2^48 byte region its half lies
 * in (for the upper half that is a sign-extended address).  Entry i of a
 * table covers [base + i * size, base + (i + 1) * size - 1]; ranges are
 * kept inclusive so the last page below 2^64 needs no special case.
 */
#ifndef MM_PT_INTERNAL_H
#define MM_PT_INTERNAL_H

#include <stdint.h>
#include <arch/mmu.h>
#include <mm/page.h>
#include <mm/pt.h>

/* Index of @va in a table at @level. */
static inline unsigned pt_index(uintptr_t va, unsigned level)
{
	return (unsigned)(va >> (PAGE_SHIFT + PT_INDEX_BITS * level)) & (PT_ENTRIES - 1);
}

/* Last address a table at @level based at @base spans. */
static inline uintptr_t pt_table_last(uintptr_t base, unsigned level)
{
	return base + (uintptr_t)(PT_LEVEL_SIZE(level + 1) - 1);
}

/* Base address of the root table of @pt. */
static inline uintptr_t pt_root_base(const struct pt *pt)
{
	return pt->va_start & ~(uintptr_t)(PT_LEVEL_SIZE(pt->levels) - 1);
}

/*
 * The walker reaches every table through its physical address, root
 * included (pt->root is only a convenience for callers): boot code builds
 * tables with the MMU off (mm_linear_offset 0) and keeps using them once
 * the linear map moves, which would leave a stored pointer stale.
 */
static inline pte_t *pt_table(paddr_t table)
{
	return (pte_t *)pa_to_va(table);
}

/*
 * The kind of @pte at @level.  A table pointer at level 0 has no meaning
 * in any format this walker serves; the arch hooks never report one, and
 * treating it as absent keeps every walk bounded by the level count.
 */
static inline enum pte_kind pt_kind(pte_t pte, unsigned level)
{
	enum pte_kind k = arch_pte_kind(pte, level);

	return level == 0 && k == PTE_TABLE ? PTE_NONE : k;
}

/* A zeroed table page from the current allocator, or 0; and back (pt_table.c). */
paddr_t pt_table_alloc(void);
void pt_table_free(paddr_t table);
/* A table for @pt: one of its spares, or pt_table_alloc(). */
paddr_t pt_table_get(struct pt *pt);
/* @table (zero: emptied, or never used) leaves @pt: kept as a spare, or freed. */
void pt_table_put(struct pt *pt, paddr_t table);

/* The recorded number of valid entries of @table (pt.c). */
unsigned pt_table_count(paddr_t table);

/* Record the entries @table holds now, for a table filled outside pt.c;
 * or that it holds none, for a new one. */
void pt_table_count_init(paddr_t table);
void pt_table_count_start(paddr_t table, unsigned count);   /* a new table holding @count */

#endif
