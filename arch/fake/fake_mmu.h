/*
 * Test-side view of the host's fake MMU (arch/fake/fake_mmu.c): the arch
 * hooks of arch/include/arch/mmu.h over a made-up entry format, with a
 * record of TLB maintenance and a table-page allocator that can be told
 * to fail.
 *
 * The hooks also check the walker's side of their contract and fail the
 * running case when it breaks it: a leaf encoded with flags no arch can
 * hold or a misaligned address, a live entry changed in place other than
 * in its permissions, an entry re-made before the TLB flush that follows
 * its break, a write into a page that is not a live table page, a table
 * page freed before a whole-TLB flush after it was unlinked.
 */
#ifndef TESTS_HOST_FAKE_MMU_H
#define TESTS_HOST_FAKE_MMU_H

#include <stdint.h>
#include <arch/mmu.h>

/* Start over with @levels-level tables (3 or 4): empty logs, no failure armed. */
void fake_mmu_reset(unsigned levels);

/* Contract breaks the hooks have seen since the reset. */
unsigned fake_mmu_violations(void);

/* Entries written through arch_pte_write() since the reset. */
uint64_t fake_mmu_writes(void);

/* A leaf with any 8 bits of flags, and a table pointer, unchecked (for audit tests). */
pte_t fake_pte_leaf_raw(paddr_t pa, unsigned flags);
pte_t fake_pte_table_raw(paddr_t pa);

/* ---- the hardware walker ------------------------------------------------ */

struct pt;

/*
 * What the MMU translates @va to in @pt: E_OK with the physical address
 * of @va and the leaf's MMU_* flags, E_NOENT when nothing maps it,
 * E_RANGE outside the table's half.  Reads each entry once, atomically,
 * without any lock, as hardware does: call it between
 * fake_mmu_access_begin() and _end().
 */
int fake_mmu_translate(const struct pt *pt, uintptr_t va, paddr_t *pa, unsigned *flags);

/*
 * This CPU's access window: a walk and the loads and stores through
 * what it found.  A TLB flush that names this CPU waits until it is
 * outside its window (the shootdown's acknowledgement), so no access
 * uses a translation from before a flush that has returned.  Take no
 * lock inside it.
 */
void fake_mmu_access_begin(void);
void fake_mmu_access_end(void);

/* ---- TLB record --------------------------------------------------------- */

/* Forget the TLB maintenance seen so far. */
void fake_tlb_mark(void);

/* TLB maintenance calls since the mark. */
unsigned fake_tlb_flushes(void);

/*
 * Whether every address of [va, va + size) was invalidated for @asid
 * since the mark (by address, by ASID or everything).  Single-CPU tests
 * only: the record is every CPU's.
 */
int fake_tlb_covered(unsigned asid, uintptr_t va, uint64_t size);

/* ---- table pages -------------------------------------------------------- */

/*
 * Make the walker take its table pages from the fake RAM's frame
 * allocator through a counting allocator (pt_set_allocator()).  Needs
 * fake_ram_setup() first.
 */
void fake_pt_alloc_install(void);

/* The walker takes table pages from the frame allocator itself, as in
 * the kernel, and the fake MMU stops checking that tables are live; until
 * fake_pt_alloc_resume(), which installs the counting allocator again
 * with its counts kept (the table pages it gave are still its own). */
void fake_pt_alloc_suspend(void);
void fake_pt_alloc_resume(void);

/* Make the @n-th allocation from now fail (1: the next); 0 disarms. */
void fake_pt_alloc_fail_at(unsigned n);

/* Whether the armed failure has happened. */
int fake_pt_alloc_failed(void);

/* Allocation attempts since the install (failed ones included). */
uint64_t fake_pt_alloc_attempts(void);

/* Table pages allocated and not freed. */
uint64_t fake_pt_alloc_live(void);

#endif
