/*
 * Spinlocks: a test-and-test-and-set lock on one word that names its
 * holder.
 *
 * Test-and-set rather than a ticket lock because the uncontended path is
 * what the allocators pay on every call (one compare-and-swap to take,
 * one release store to drop); fairness under contention can come if
 * measurements ask for it.
 *
 * The word is 0 when the lock is free and otherwise names the CPU that
 * holds it (spin_owner_self()), written by the same compare-and-swap that
 * takes the lock, so it is never stale and never another CPU's guess.  A
 * swap would be one instruction cheaper on riscv64, but a waiter's swap
 * would overwrite the holder's name.  Knowing the holder gives two checks
 * for free: spin_assert_held() asks "held by this CPU", in every build,
 * and a CPU taking a lock it already holds panics instead of spinning
 * for ever (checked on the contended path only).
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
#include <lib/thread_annotations.h>

/*
 * A capability for the thread-safety analysis (lib/thread_annotations.h):
 * functions say which locks they take, drop or need, and
 * make tsa-check holds them to it.
 */
struct CAPABILITY("spinlock") spinlock {
	unsigned long owner;   /* 0: free; else spin_owner_self() of the holder */
};

#define SPINLOCK_INIT { 0 }

/*
 * This CPU's name in a lock word: its struct cpu's address, never 0 and
 * different for every CPU.  The address rather than cpu_num() + 1: it is
 * what the per-CPU register holds (tp - CPU_OFF_TLS, TPIDR_EL1), so
 * naming the CPU costs no load.
 */
static inline unsigned long spin_owner_self(void)
{
	return (unsigned long)this_cpu();
}

/* The cold halves of the checks below (lib/spinlock.c): say what is wrong, panic. */
void spin_panic_recursive(const struct spinlock *l) __attribute__((noreturn, cold));
void spin_panic_not_held(const struct spinlock *l, const char *who, const char *what)
	__attribute__((noreturn, cold));

/* Make @l unlocked (for locks not set up with SPINLOCK_INIT). */
static inline void spin_init(struct spinlock *l)
{
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
}

/*
 * Take @l, spinning while another CPU holds it; panics if this CPU holds
 * it already.  Acquire ordering.  All inline: a call out to a contended
 * path would make every lock holder a non-leaf function, which costs more
 * than the loop.
 */
static inline void spin_lock(struct spinlock *l)
	ACQUIRE(*l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	unsigned long me = spin_owner_self();
	unsigned long seen = 0;

	while (__builtin_expect(!__atomic_compare_exchange_n(&l->owner, &seen, me, 1,
	                                                     __ATOMIC_ACQUIRE,
	                                                     __ATOMIC_RELAXED), 0)) {
		/* Wait with plain loads: they keep the line shared. */
		while ((seen = __atomic_load_n(&l->owner, __ATOMIC_RELAXED)))
			if (seen == me)
				spin_panic_recursive(l);
	}
}

/* Drop @l, which this CPU holds.  Release ordering. */
static inline void spin_unlock(struct spinlock *l)
	RELEASE(*l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	if (KDEBUG && __atomic_load_n(&l->owner, __ATOMIC_RELAXED) != spin_owner_self())
		spin_panic_not_held(l, "spin_unlock", "the lock");
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELEASE);
}

/* Nonzero while some CPU holds @l. */
static inline int spin_is_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) != 0;
}

/*
 * Nonzero while this CPU holds @l.  (Only this CPU can change that answer,
 * so it cannot go stale; "held by another CPU" could.)
 */
static inline int spin_is_held_by_me(const struct spinlock *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == spin_owner_self();
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
		spin_panic_not_held(l, who, what);
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
