/*
 * Page tables: one generic walker for every arch (see arch/include/arch/mmu.h).
 *
 * A struct pt is one translation table: the kernel's (upper half, global
 * mappings) or a user address space's (lower half).  Operations take a
 * virtual range [va, va + size) and work page by page, using 2 MiB and
 * 1 GiB blocks wherever the range and the physical address allow.
 *
 * Every update is failure-atomic: the table pages an operation needs (new
 * tables, block splits) are allocated before anything changes, so an
 * operation that fails leaves the table exactly as it was.  Table pages
 * that become empty are freed (an unmap may keep some: pt_unmap_keep()).
 * Live entries are changed break-before-make
 * (invalid, TLB flush, new entry) whenever output address or size changes.
 *
 * Locking: the caller serialises operations on one table (the address
 * space lock); different tables are independent.
 */
#ifndef MM_PT_H
#define MM_PT_H

#include <stddef.h>
#include <stdint.h>
#include <arch/mmu.h>
#include <lib/err.h>
#include <mm/types.h>

struct pt {
	pte_t *root;          /* kernel virtual address of the root table, as at
	                         pt_create(); the walker itself uses root_pa */
	paddr_t root_pa;
	unsigned levels;      /* 3 or 4 */
	uintptr_t va_start;   /* range this table may map, inclusive */
	uintptr_t va_last;    /* inclusive, so the top of memory fits */
	unsigned asid;        /* for TLB maintenance */
	cpumask_t cpus;       /* CPUs whose TLBs may hold entries of this table: every
	                         CPU for the kernel's, those that switched to it for a
	                         user table (set atomically by aspace_switch()) */
	int kernel;           /* the kernel table (upper half, global) */
	uint64_t table_pages; /* table pages owned, the root included */
	paddr_t spares;       /* emptied tables kept for reuse (user tables, at most
	                         PT_SPARES), linked through their first word */
	unsigned nspares;     /* spares held: not in table_pages */
};

/* Emptied tables a user table keeps for its next tables (pt_table.c). */
#define PT_SPARES 4

/*
 * The CPUs to name in a TLB flush of @pt's entries: read after the table
 * writes it follows (the flush's own barrier orders them), so a CPU that
 * switched to the table before then is in it.
 */
static inline cpumask_t pt_cpus(const struct pt *pt)
{
	return __atomic_load_n(&pt->cpus, __ATOMIC_ACQUIRE);
}

/*
 * Where table pages come from.  The default uses the frame allocator
 * (page_alloc / page_free); boot code installs a pool before it exists.
 * alloc returns the physical address of a zeroed 4 KiB page, or 0.
 * pt_set_allocator() copies *@a; NULL goes back to the default.  The
 * default is not a function pointer in initialised data, so the walker
 * also works before the kernel runs at its link address.
 */
struct pt_allocator {
	paddr_t (*alloc)(void *ctx);
	void (*free)(void *ctx, paddr_t pa);
	void *ctx;
};
void pt_set_allocator(const struct pt_allocator *a);

/*
 * Tell the walker what physical memory is RAM: pt_map() then refuses a
 * mapping without MMU_DEVICE of anything else (E_RANGE), since normal,
 * cacheable, speculatively readable attributes on device registers or
 * holes are a bug.  NULL (the default) checks nothing.
 */
void pt_set_ram_check(int (*is_ram)(paddr_t pa, uint64_t size));

/*
 * Create an empty table.  @kernel selects the upper half (kernel) or the
 * lower half (user) of a @levels-level layout.  A user table on riscv64
 * shares the kernel's root entries (arch_pt_user_root_init) with
 * @kernel_pt, which may be NULL only for the kernel table itself.
 * Returns E_OK, E_INVAL or E_NOMEM.
 */
int pt_create(struct pt *pt, unsigned levels, int kernel, unsigned asid,
              const struct pt *kernel_pt);

/*
 * Give every root entry of @pt covering [va, va + size) a table, so the
 * root never changes later (for kernel regions whose root entries user
 * roots copy, riscv64).  Entries already present are kept.  Returns E_OK,
 * E_RANGE or E_NOMEM (what was added stays: it is only empty tables).
 */
int pt_prepopulate_root(struct pt *pt, uintptr_t va, uint64_t size);

/*
 * Record the valid-entry count of every table of @pt where the walker
 * keeps it (the frame metadata): for tables made before the frame
 * allocator started, once it has.
 */
void pt_recount(struct pt *pt);

/* Free every table page of @pt (not the pages it maps).  The caller has
 * made sure no CPU uses it any more. */
void pt_destroy(struct pt *pt);

/*
 * The checks of a physical range [pa, pa + size) (size non-zero) that
 * need nothing else: E_ALIGN when @pa is not page-aligned, E_OVERFLOW
 * when the range wraps, else E_OK.  pt_map() and aspace_map_phys() share
 * them.
 */
static inline int pt_pa_check(paddr_t pa, uint64_t size)
{
	if (pa & PAGE_MASK)
		return E_ALIGN;
	if (pa + (size - 1) < pa)
		return E_OVERFLOW;
	return E_OK;
}

/*
 * Map [va, va + size) to [pa, pa + size) with MMU_* @flags.  va, pa and
 * size must be page-aligned, size non-zero, the range inside the table's
 * half, and nothing may be mapped there yet.  Uses blocks where possible.
 * Returns E_OK, E_ALIGN, E_INVAL (size 0 or unknown flags or no MMU_READ),
 * E_OVERFLOW (va + size or pa + size wraps), E_RANGE (outside the table's
 * half, or MMU_USER in the kernel table / its absence in a user table;
 * likewise every kernel mapping is MMU_GLOBAL and no user mapping is; or
 * normal attributes for a physical range that is not RAM, see
 * pt_set_ram_check()),
 * E_PERM (writable and executable), E_EXIST (already mapped), E_NOMEM.
 * The TLB is flushed for the range afterwards: RISC-V may otherwise keep
 * faulting on an entry that was invalid (no Svvptc).
 */
int pt_map(struct pt *pt, uintptr_t va, paddr_t pa, uint64_t size, unsigned flags);

/*
 * Unmap [va, va + size); parts not mapped are skipped.  Blocks partly
 * inside are split first (which may need table pages: E_NOMEM leaves
 * everything as it was).  Empty tables are freed; the TLB is flushed.
 * If @unmapped is not NULL, it is called for every leaf removed, with the
 * virtual and physical address and size of the part removed, in ascending
 * order, and only once no TLB holds that leaf any more, so it may free
 * the frames; it must not use the table.  Returns E_OK, E_ALIGN, E_INVAL
 * (size 0), E_OVERFLOW, E_RANGE or E_NOMEM, checked as for pt_map().
 */
typedef void (*pt_leaf_fn)(void *ctx, uintptr_t va, paddr_t pa, uint64_t size,
                           unsigned flags);
int pt_unmap(struct pt *pt, uintptr_t va, uint64_t size, pt_leaf_fn unmapped, void *ctx);

/*
 * pt_unmap(), but the tables left empty are freed only when all they span
 * lies inside [@floor, @ceiling] (inclusive); the others stay, empty, for
 * the next map near them.  An address space passes the gap around the
 * range that no varea will use any more (as Linux's free_pgtables() does),
 * so a table is kept exactly while a varea still overlaps it: memory stays
 * bounded by the vareas, and a munmap followed by a fault next to other
 * mappings rebuilds no table.  Already empty tables inside the bounds go
 * too.  pt_unmap() is pt_unmap_keep(pt, va, size, 0, UINTPTR_MAX, ...).
 */
int pt_unmap_keep(struct pt *pt, uintptr_t va, uint64_t size, uintptr_t floor,
                  uintptr_t ceiling, pt_leaf_fn unmapped, void *ctx);

/*
 * pt_unmap_keep(), but @removed gets the leaves in batches (up to 32 at a
 * time, in ascending order, once no TLB holds them), without their flags:
 * one call where there were as many as leaves, for unmaps of many pages.
 */
struct pt_gone {
	uintptr_t va;
	paddr_t pa;
	uint64_t size;
};
typedef void (*pt_leaves_fn)(void *ctx, const struct pt_gone *gone, unsigned n);
int pt_unmap_leaves(struct pt *pt, uintptr_t va, uint64_t size, uintptr_t floor,
                    uintptr_t ceiling, pt_leaves_fn removed, void *ctx);

/*
 * Change the flags of every mapping in [va, va + size) to @flags (same
 * validation as pt_map; unmapped parts are skipped; blocks partly inside
 * are split).  Returns as pt_map, E_OK even when nothing was mapped.
 */
int pt_protect(struct pt *pt, uintptr_t va, uint64_t size, unsigned flags);

/*
 * Translate @va: on success store the physical address (of va itself, not
 * the page), the MMU_* flags and the size of the leaf mapping it, and
 * return E_OK; E_NOENT when not mapped, E_RANGE outside the table's half.
 * Any out pointer may be NULL.
 */
int pt_query(const struct pt *pt, uintptr_t va, paddr_t *pa, unsigned *flags,
             uint64_t *leaf_size);

/*
 * The entry of the leaf (page or block) that maps @va, its level in
 * *@level (may be NULL); NULL when nothing maps @va or @va is outside the
 * table's half.  One walk: a fault looks the page up once and hands the
 * entry on (struct fault's leaf) to pt_replace().  The pointer stays
 * valid while the caller holds the table's lock and makes no other
 * change to the table.
 */
pte_t *pt_leaf(const struct pt *pt, uintptr_t va, unsigned *level);

/*
 * Make the present 4 KiB leaf @slot, found by pt_leaf(@pt, @va) at
 * @level 0, map @pa with MMU_* @flags instead, as one update: the page
 * stays mapped throughout (no table is freed or made, the table's entry
 * count stays).  The same frame and memory type: the entry is rewritten
 * in place, and when permissions are only added (a copy-on-write page
 * becoming writable) only this CPU's TLB entry is flushed: another CPU
 * still holding the old one takes a permission fault on the page and
 * finds it fixed (aspace_fault()).  Otherwise break-before-make: the
 * entry is cleared, the page flushed on every CPU of the table, and then
 * the new one written; no TLB holds the old leaf on return, so the caller
 * may release its frame.  Returns E_OK; E_ALIGN (@va or @pa);
 * E_RANGE (@va outside the table's half, or flags or @pa as pt_map()
 * refuses them); E_INVAL or E_PERM (flags, as pt_map()); E_INVAL when
 * @level is not 0; E_NOENT when @slot holds no leaf.  Changes nothing
 * when it fails.
 */
int pt_replace(struct pt *pt, pte_t *slot, unsigned level, uintptr_t va, paddr_t pa,
               unsigned flags);

/*
 * Call @fn for every leaf in ascending virtual order (va, pa, size, flags),
 * for dumps and audits.  Stops early and returns @fn's value when it is
 * non-zero; returns 0 otherwise.
 */
typedef int (*pt_walk_fn)(void *ctx, uintptr_t va, paddr_t pa, uint64_t size,
                          unsigned flags, unsigned level);
int pt_walk(const struct pt *pt, pt_walk_fn fn, void *ctx);

/*
 * pt_walk() restricted to the leaves that overlap [va, va + size) (the
 * part inside the table's half; a leaf reaching outside is reported whole).
 * Reads only the tables above that range, so the cost follows the range,
 * not the table: the address spaces count the pages resident in part of
 * a varea with it.
 */
int pt_walk_range(const struct pt *pt, uintptr_t va, uint64_t size, pt_walk_fn fn, void *ctx);

/*
 * Call @fn for every empty table of @pt (the root aside), with the range it
 * spans (its first address and size), in ascending order; a table holding
 * only empty tables is not empty.  Stops early and returns @fn's value when
 * it is non-zero; returns 0 otherwise.  For checks of pt_unmap_keep()'s
 * policy.
 */
typedef int (*pt_table_fn)(void *ctx, uintptr_t va, uint64_t span);
int pt_walk_empty(const struct pt *pt, pt_table_fn fn, void *ctx);

/*
 * Audit a table: no leaf writable and executable, user leaves only in a
 * user table and kernel leaves only in the kernel table, kernel leaves
 * global, every leaf's flags well formed (at most one memory type:
 * MMU_DEVICE, MMU_UNCACHED or MMU_WC) and its address aligned to its
 * level, every table page counted in table_pages, every table's recorded
 * entry count right, no empty table in the kernel's (a user table may keep
 * some: pt_unmap_keep()).  Returns 0 when clean,
 * otherwise the number of problems (each printed with its address).
 */
int pt_audit(const struct pt *pt);

#endif
