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
 * Several CPUs: each records the address space it runs, and a rollover
 * keeps those ASIDs (moved into the new generation), so an ASID live on
 * one CPU never serves another address space; the rollover's flush
 * reaches every CPU.  Locking: one lock of the allocator's own (IRQ-safe),
 * taken inside an aspace's lock.
 */
#ifndef MM_ASID_H
#define MM_ASID_H

#include <stdint.h>
#include <arch/cpu.h>

#define ASID_MAX_BITS 16

struct asid_ctx {
	uint64_t gen_asid;   /* generation << 16 | asid; 0: never had one */
};

/* Start the allocator with @bits of hardware ASID width (0..16). */
void asid_init(unsigned bits);

/*
 * This CPU switches to @ctx: the ASID to use now, allocating one if its
 * generation is old, and @ctx is this CPU's running context from now on.
 * Sets *@flush when the caller must flush this CPU's TLB for that ASID
 * before using it (no hardware ASIDs); rollover flushes by itself.
 */
unsigned asid_get(struct asid_ctx *ctx, int *flush);

/* This CPU runs no user address space any more. */
void asid_switch_none(void);

/*
 * Forget @ctx's ASID (its address space is being destroyed; no CPU may
 * run it: that panics); its TLB entries are flushed on @cpus, the CPUs
 * that ran it, so the ASID can serve another address space.
 */
void asid_put(struct asid_ctx *ctx, cpumask_t cpus);

/* Number of ASIDs in use (for tests), and generation rollovers so far. */
unsigned asid_in_use(void);
uint64_t asid_rollovers(void);

/*
 * Pretend the hardware has only @n ASIDs (raised to one per running CPU
 * plus two; at most 2^bits; 0 restores): for tests.
 */
void asid_set_limit(unsigned n);

#endif
