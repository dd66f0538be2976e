/*
 * Spinlocks: the kernel's lock, one of the kinds of <lib/spinlock_kinds.h>
 * (test-and-test-and-set, ticket, MCS), chosen by SPINLOCK_KIND below.
 * Why this one: docs/architecture.md, "Locking", which has the figures;
 * the uncontended path is what the allocators pay on every call.
 *
 * Whatever the kind, the lock names its holder, which gives two checks
 * for free: spin_assert_held() asks "held by this CPU", in every build,
 * and a CPU taking a lock it already holds panics instead of spinning
 * for ever.
 *
 * Data touched from interrupt handlers must be locked with the _irqsave
 * forms, so an interrupt on the CPU holding the lock cannot spin on it
 * forever.
 */
#ifndef LIB_SPINLOCK_H
#define LIB_SPINLOCK_H

#include <stdint.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <lib/panic.h>
#include <lib/spinlock_kinds.h>
#include <lib/thread_annotations.h>

#define SPINLOCK_TAS    1
#define SPINLOCK_TICKET 2
#define SPINLOCK_MCS    3

/* The kernel's kind (a build may say otherwise with -DSPINLOCK_KIND=...). */
#ifndef SPINLOCK_KIND
#define SPINLOCK_KIND SPINLOCK_TAS
#endif

#if SPINLOCK_KIND == SPINLOCK_TAS
#define SPIN_KIND_(op) spin_tas_##op
#define SPIN_KIND_T_ struct spin_tas
#define SPIN_KIND_INIT_ SPIN_TAS_INIT
#define SPINLOCK_KIND_NAME "tas"
#elif SPINLOCK_KIND == SPINLOCK_TICKET
#define SPIN_KIND_(op) spin_ticket_##op
#define SPIN_KIND_T_ struct spin_ticket
#define SPIN_KIND_INIT_ SPIN_TICKET_INIT
#define SPINLOCK_KIND_NAME "ticket"
#elif SPINLOCK_KIND == SPINLOCK_MCS
#define SPIN_KIND_(op) spin_mcs_##op
#define SPIN_KIND_T_ struct spin_mcs
#define SPIN_KIND_INIT_ SPIN_MCS_INIT
#define SPINLOCK_KIND_NAME "mcs"
#else
#error "SPINLOCK_KIND: SPINLOCK_TAS, SPINLOCK_TICKET or SPINLOCK_MCS"
#endif

/*
 * A capability for the thread-safety analysis (lib/thread_annotations.h):
 * functions say which locks they take, drop or need, and
 * make tsa-check holds them to it.
 */
struct CAPABILITY("spinlock") spinlock {
	SPIN_KIND_T_ k;
};

#define SPINLOCK_INIT { SPIN_KIND_INIT_ }

/*
 * The kind's lock in @l, its only member.  A cast rather than &l->k,
 * which makes GCC 12 schedule some callers one instruction worse
 * (aspace_lock() on aarch64).
 */
#define SPIN_K_(l) ((SPIN_KIND_T_ *)(void *)(l))
#define SPIN_KC_(l) ((const SPIN_KIND_T_ *)(const void *)(l))

/* Make @l unlocked (for locks not set up with SPINLOCK_INIT). */
static inline void spin_init(struct spinlock *l)
{
	SPIN_KIND_(init)(SPIN_K_(l));
}

/*
 * Take @l, spinning while another CPU holds it; panics if this CPU holds
 * it already.  Acquire ordering.
 */
static inline void spin_lock(struct spinlock *l)
	ACQUIRE(*l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	SPIN_KIND_(lock)(SPIN_K_(l));
}

/*
 * Take @l if it is free, without waiting: 1 when taken, 0 when another
 * CPU (or this one) holds it.  For taking a lock against the documented
 * order, where waiting could deadlock: the caller backs off instead.
 */
static inline int spin_trylock(struct spinlock *l)
	TRY_ACQUIRE(1, *l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	return SPIN_KIND_(trylock)(SPIN_K_(l));
}

/* Drop @l, which this CPU holds.  Release ordering. */
static inline void spin_unlock(struct spinlock *l)
	RELEASE(*l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	SPIN_KIND_(unlock)(SPIN_K_(l));
}

/*
 * Who holds @l: spin_self() of the holding CPU (its struct cpu's
 * address), or 0 when none does.  Another CPU's answer may be stale by
 * the time it is read.
 */
static inline unsigned long spin_owner(const struct spinlock *l)
{
	return SPIN_KIND_(owner)(SPIN_KC_(l));
}

/* Nonzero while some CPU holds @l (or is being handed it). */
static inline int spin_is_held(const struct spinlock *l)
{
	return SPIN_KIND_(is_held)(SPIN_KC_(l));
}

/*
 * Nonzero while this CPU holds @l.  (Only this CPU can change that answer,
 * so it cannot go stale; "held by another CPU" could.)
 */
static inline int spin_is_held_by_me(const struct spinlock *l)
{
	return SPIN_KIND_(held_by_me)(SPIN_KC_(l));
}

/*
 * For _locked functions, in every build: panic unless this CPU holds @l,
 * saying whether it is free or which CPU has it.  The analysis takes @l
 * as held after it.
 */
#define spin_assert_held(l) spin_assert_held_at((l), __func__, #l)

/* spin_assert_held() on behalf of @who, naming the lock @what. */
static inline void spin_assert_held_at(const struct spinlock *l, const char *who,
                                       const char *what) ASSERT_CAPABILITY(*l)
{
	if (__builtin_expect(!spin_is_held_by_me(l), 0))
		spin_panic_not_held(l, spin_owner(l), who, what);
}

/*
 * Mask interrupts on this CPU, then take @l.  Returns the previous
 * interrupt state for spin_unlock_irqrestore().
 */
static inline unsigned long spin_lock_irqsave(struct spinlock *l) ACQUIRE(*l)
{
	unsigned long state = arch_irq_save();

	spin_lock(l);
	return state;
}

/* Drop @l and restore the interrupt state spin_lock_irqsave() returned. */
static inline void spin_unlock_irqrestore(struct spinlock *l, unsigned long state)
	RELEASE(*l)
{
	spin_unlock(l);
	arch_irq_restore(state);
}

#endif
