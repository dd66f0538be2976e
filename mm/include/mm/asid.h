/*
 * Address-space identifiers with generations.  Every user address space
 * holds a (generation, ASID) pair; while its generation is current its
 * ASID is valid and switching to it needs no TLB flush.  When the ASIDs
 * run out, the generation moves on, all ASIDs become free again and the
 * TLB is flushed once; address spaces of older generations get a fresh
 * ASID the next time they are switched to.  ASID 0 belongs to the kernel.
 *
 * Without hardware ASIDs (width 0) every address space gets ASID 0 and
 * every switch flushes (asid_get() reports it).
 *
 * Single CPU for now: with SMP, rollover must also account for the ASIDs
 * live on other CPUs.  Locking: callers hold the scheduler's lock (one CPU,
 * interrupts masked while switching).
 */
#ifndef MM_ASID_H
#define MM_ASID_H

#include <stdint.h>

#define ASID_MAX_BITS 16

struct asid_ctx {
	uint64_t gen_asid;   /* generation << 16 | asid; 0: never had one */
};

/* Start the allocator with @bits of hardware ASID width (0..16). */
void asid_init(unsigned bits);

/*
 * The ASID to use for @ctx now, allocating one if its generation is old.
 * Sets *@flush when the caller must flush the TLB for that ASID before
 * using it (no hardware ASIDs); rollover flushes by itself.
 */
unsigned asid_get(struct asid_ctx *ctx, int *flush);

/* Forget @ctx's ASID (its address space is being destroyed); its TLB
 * entries are flushed so the ASID can serve another address space. */
void asid_put(struct asid_ctx *ctx);

/* Number of ASIDs in use (for tests), and generation rollovers so far. */
unsigned asid_in_use(void);
uint64_t asid_rollovers(void);

/* Pretend the hardware has only @n ASIDs (2..2^bits; 0 restores): tests. */
void asid_set_limit(unsigned n);

#endif
