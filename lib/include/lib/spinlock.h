/*
 * Spinlocks: a test-and-test-and-set lock on one word.
 *
 * Test-and-set rather than a ticket lock because the uncontended path is
 * what the allocators pay on every call (one atomic swap to take, one
 * release store to drop), and the kernel has one CPU for now; fairness
 * under contention can come with SMP if measurements ask for it.
 *
 * Data touched from interrupt handlers must be locked with the _irqsave
 * forms, so an interrupt on the CPU holding the lock cannot spin on it
 * forever.  There is no owner field, so spin_is_held() means "held by some
 * CPU": good for asserting in _locked functions, not for recursion.
 */
#ifndef LIB_SPINLOCK_H
#define LIB_SPINLOCK_H

#include <stdint.h>
#include <arch/arch.h>
#include <lib/panic.h>

struct spinlock {
	unsigned long locked;   /* register-sized: no extension after the swap */
};

#define SPINLOCK_INIT { 0 }

/* Make @l unlocked (for locks not set up with SPINLOCK_INIT). */
static inline void spin_init(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELAXED);
}

/*
 * Take @l, spinning while another CPU holds it.  Acquire ordering.  All
 * inline: a call out to a contended path would make every lock holder a
 * non-leaf function, which costs more than the loop.
 */
static inline void spin_lock(struct spinlock *l)
{
	while (__builtin_expect(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE), 0)) {
		/* Wait with plain loads: they keep the line shared. */
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			;
	}
}

/* Drop @l (held by this CPU).  Release ordering. */
static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* Nonzero while some CPU holds @l. */
static inline int spin_is_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

/*
 * For _locked functions: in debug builds, panic unless @l is held.  (By
 * some CPU: there is no owner to compare with.)
 */
#define spin_assert_held(l)                                                 \
	do {                                                                \
		if (KDEBUG && !spin_is_held(l))                             \
			panic("%s: lock %s not held", __func__, #l);        \
	} while (0)

/*
 * Mask interrupts on this CPU, then take @l.  Returns the previous
 * interrupt state for spin_unlock_irqrestore().
 */
static inline unsigned long spin_lock_irqsave(struct spinlock *l)
{
	unsigned long state = arch_irq_save();

	spin_lock(l);
	return state;
}

/* Drop @l and restore the interrupt state spin_lock_irqsave() returned. */
static inline void spin_unlock_irqrestore(struct spinlock *l, unsigned long state)
{
	spin_unlock(l);
	arch_irq_restore(state);
}

#endif
