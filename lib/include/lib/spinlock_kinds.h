/*
 * The three spinlock kinds the kernel was measured with (docs/architecture.md,
 * "Locking"); <lib/spinlock.h> makes one of them struct spinlock, and the
 * lock benchmarks and tests use all three side by side.
 *
 *  - spin_tas: test-and-test-and-set.  One word, 0 when free, else the
 *    holder's name, written by the compare-and-swap that takes it.
 *    Cheapest to take and drop; no order among waiters.
 *  - spin_ticket: a ticket lock.  A fetch-and-add hands out tickets, the
 *    holder serves the next one when it drops the lock: first come, first
 *    served, but every waiter spins on the same word.  The holder writes
 *    its name into a word of its own after it has the lock.
 *  - spin_mcs: the MCS queue lock (Mellor-Crummey and Scott, 1991).  A
 *    swap appends this CPU's queue node, each waiter spins on its own
 *    node, the holder hands over to the next node: first come, first
 *    served, one remote write per hand-over.  The nodes are per CPU,
 *    SPIN_MCS_DEPTH of them, one for each lock the CPU holds or waits for
 *    at once (the kernel nests up to six: two aspaces in fork, a
 *    copy-on-write hierarchy, the heap's cache list, a heap cache, the
 *    frame allocator; an interrupt may add its own); a node is taken at lock and
 *    given back at unlock in any order.  The holder writes its node into
 *    the lock after it has it, which names the CPU and finds the node at
 *    unlock.
 *
 * Every kind knows its holder: spin_<kind>_owner() is the holder's
 * spin_self() (0 when none), spin_<kind>_held_by_me() asks for this CPU,
 * and a CPU taking a lock it already holds panics instead of waiting for
 * itself for ever.  Waiters spin with plain loads (the line stays
 * shared) and a pause hint (spin_relax()).
 *
 * All inline: a call out on a contended path would make every lock holder
 * a non-leaf function, which costs more than the loop.
 */
#ifndef LIB_SPINLOCK_KINDS_H
#define LIB_SPINLOCK_KINDS_H

#include <stddef.h>
#include <stdint.h>
#include <arch/cpu.h>
#include <lib/thread_annotations.h>

/*
 * This CPU's name in a lock: its struct cpu's address, never 0 and
 * different for every CPU.  The address rather than cpu_num() + 1: it is
 * what the per-CPU register holds (tp - CPU_OFF_TLS, TPIDR_EL1), so
 * naming the CPU costs no load.
 */
static inline unsigned long spin_self(void)
{
	return (unsigned long)this_cpu();
}

/* A waiter's pause hint: riscv Zihintpause PAUSE, aarch64 YIELD. */
static inline void spin_relax(void)
{
#if defined(ARCH_riscv64)
	__asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010");
#elif defined(ARCH_aarch64)
	__asm__ volatile("yield");
#elif defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ volatile("" ::: "memory");
#endif
}

/*
 * A relaxed store: in the kernel a plain one through a volatile pointer
 * (GCC 12 turns a relaxed atomic store into an AMO on riscv64, which
 * takes no offset: one to three instructions more each); on the host an
 * atomic one, which the thread sanitizer knows.
 */
#if defined(KTEST_HOST)
#define spin_write(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#else
#define spin_write(p, v) (*(volatile __typeof__(*(p)) *)(p) = (v))
#endif

/* The cold halves of the checks (lib/spinlock.c): say what is wrong, panic. */
void spin_panic_recursive(const void *l) __attribute__((noreturn, cold));
void spin_panic_not_held(const void *l, unsigned long owner, const char *who, const char *what)
	__attribute__((noreturn, cold));
void spin_panic_mcs_depth(const void *l) __attribute__((noreturn, cold));

/* ---- test-and-test-and-set ------------------------------------------------------- */

struct CAPABILITY("spinlock") spin_tas {
	unsigned long owner;   /* 0: free; else spin_self() of the holder */
};

#define SPIN_TAS_INIT { 0 }

static inline void spin_tas_init(struct spin_tas *l)
{
	spin_write(&l->owner, 0);
}

/*
 * One compare-and-swap from 0 to this CPU's name takes the lock; a swap
 * would be one instruction cheaper on riscv64, but a waiter's swap would
 * overwrite the holder's name.  The recursion check is on the contended
 * path only.
 */
static inline void spin_tas_lock(struct spin_tas *l)
	ACQUIRE(*l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	unsigned long me = spin_self();
	unsigned long seen = 0;

	while (__builtin_expect(!__atomic_compare_exchange_n(&l->owner, &seen, me, 1,
	                                                     __ATOMIC_ACQUIRE,
	                                                     __ATOMIC_RELAXED), 0)) {
		/* Wait with plain loads: they keep the line shared. */
		while ((seen = __atomic_load_n(&l->owner, __ATOMIC_RELAXED))) {
			if (seen == me)
				spin_panic_recursive(l);
			spin_relax();
		}
	}
}

/* One compare-and-swap: 1 when it took the lock, 0 when someone holds it. */
static inline int spin_tas_trylock(struct spin_tas *l)
	TRY_ACQUIRE(1, *l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	unsigned long seen = 0;

	return __atomic_compare_exchange_n(&l->owner, &seen, spin_self(), 0, __ATOMIC_ACQUIRE,
	                                   __ATOMIC_RELAXED);
}

static inline unsigned long spin_tas_owner(const struct spin_tas *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

static inline int spin_tas_held_by_me(const struct spin_tas *l)
{
	return spin_tas_owner(l) == spin_self();
}

static inline int spin_tas_is_held(const struct spin_tas *l)
{
	return spin_tas_owner(l) != 0;
}

static inline void spin_tas_unlock(struct spin_tas *l)
	RELEASE(*l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	if (KDEBUG && !spin_tas_held_by_me(l))
		spin_panic_not_held(l, spin_tas_owner(l), "spin_unlock", "the lock");
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELEASE);
}

/* ---- ticket ---------------------------------------------------------------------- */

/* Tickets of 64 bits: they never wrap, and riscv64 needs no sign extension. */
struct CAPABILITY("spinlock") spin_ticket {
	uint64_t serving;      /* the ticket that may hold the lock; the holder writes it */
	uint64_t next;         /* the next ticket handed out (fetch-and-add) */
	unsigned long owner;   /* 0: free (or being handed over); else spin_self() of the holder */
};

#define SPIN_TICKET_INIT { 0, 0, 0 }

static inline void spin_ticket_init(struct spin_ticket *l)
{
	spin_write(&l->serving, 0);
	spin_write(&l->next, 0);
	spin_write(&l->owner, 0);
}

/*
 * Take a ticket, wait until it is served, write this CPU's name.  A CPU
 * that holds the lock already finds its own name while it waits and
 * panics; its ticket is taken by then, so the lock is lost with it (a
 * panic ends the kernel anyway).
 */
static inline void spin_ticket_lock(struct spin_ticket *l)
	ACQUIRE(*l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	unsigned long me = spin_self();
	uint64_t t = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	if (__builtin_expect(__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != t, 0)) {
		if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == me)
			spin_panic_recursive(l);
		while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != t)
			spin_relax();
	}
	spin_write(&l->owner, me);
}

/*
 * Take the next ticket only when it is the one being served: nobody
 * holds the lock or waits for it.  1 when taken, 0 otherwise.
 */
static inline int spin_ticket_trylock(struct spin_ticket *l)
	TRY_ACQUIRE(1, *l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	uint64_t t = __atomic_load_n(&l->serving, __ATOMIC_ACQUIRE);

	if (!__atomic_compare_exchange_n(&l->next, &t, t + 1, 0, __ATOMIC_ACQUIRE,
	                                 __ATOMIC_RELAXED))
		return 0;
	spin_write(&l->owner, spin_self());
	return 1;
}

static inline unsigned long spin_ticket_owner(const struct spin_ticket *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

static inline int spin_ticket_held_by_me(const struct spin_ticket *l)
{
	return spin_ticket_owner(l) == spin_self();
}

/* Held, or handed to a waiter that has not written its name yet. */
static inline int spin_ticket_is_held(const struct spin_ticket *l)
{
	return __atomic_load_n(&l->serving, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}

/*
 * Clear the name, then serve the next ticket (release: the name's store
 * and the critical section come before it, so the next holder's name
 * lands after this 0).  Only the holder writes serving, so a load and a
 * release store would do; riscv64 has one instruction for both, an AMO
 * add with release (aarch64 without LSE would loop on LL/SC instead).
 */
static inline void spin_ticket_unlock(struct spin_ticket *l)
	RELEASE(*l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	if (KDEBUG && !spin_ticket_held_by_me(l))
		spin_panic_not_held(l, spin_ticket_owner(l), "spin_unlock", "the lock");
	spin_write(&l->owner, 0);
#if defined(ARCH_riscv64)
	__atomic_fetch_add(&l->serving, 1, __ATOMIC_RELEASE);
#else
	__atomic_store_n(&l->serving, __atomic_load_n(&l->serving, __ATOMIC_RELAXED) + 1,
	                 __ATOMIC_RELEASE);
#endif
}

/* ---- MCS ------------------------------------------------------------------------- */

/* Locks one CPU may hold or wait for at once (a deeper nesting panics). */
#define SPIN_MCS_DEPTH 8

/* 32 bytes, so a CPU's nodes are 256: finding them is a shift. */
struct spin_mcs_node {
	struct spin_mcs_node *next;   /* the node queued behind this one; its CPU writes it */
	const void *lock;             /* the lock this node waits for or holds; NULL: unused */
	int granted;                  /* set by the node ahead when it hands the lock over */
} __attribute__((aligned(32)));

/* One CPU's nodes, in cache lines of their own. */
struct spin_mcs_cpu {
	struct spin_mcs_node node[SPIN_MCS_DEPTH];
} __attribute__((aligned(64)));

extern struct spin_mcs_cpu spin_mcs_cpus[CPU_MAX];   /* lib/spinlock.c */

struct CAPABILITY("spinlock") spin_mcs {
	struct spin_mcs_node *tail;     /* the last node of the queue; NULL: free */
	struct spin_mcs_node *holder;   /* the holder's node, written by the holder; NULL: none */
};

#define SPIN_MCS_INIT { NULL, NULL }

static inline void spin_mcs_init(struct spin_mcs *l)
{
	spin_write(&l->tail, NULL);
	spin_write(&l->holder, NULL);
}

/*
 * This CPU's first unused node.  Any nesting: a node whose lock was
 * dropped is unused again whatever the order.  An interrupt between the
 * look and the claim takes and gives back the same node before the
 * interrupted code goes on.  Meeting @l itself on the way means this CPU
 * holds it (or waits for it) already.
 */
static inline struct spin_mcs_node *spin_mcs_node_get(const struct spin_mcs *l)
{
	struct spin_mcs_node *n = spin_mcs_cpus[cpu_num()].node;
	const void *k;

	while (__builtin_expect((k = __atomic_load_n(&n->lock, __ATOMIC_RELAXED)) != NULL, 0)) {
		if (k == l)
			spin_panic_recursive(l);
		if (++n == spin_mcs_cpus[cpu_num()].node + SPIN_MCS_DEPTH)
			spin_panic_mcs_depth(l);
	}
	spin_write(&n->lock, l);
	return n;
}

/*
 * Append this CPU's node with a swap; when a node was ahead, link behind
 * it and spin on this node until it is granted.
 */
static inline void spin_mcs_lock(struct spin_mcs *l)
	ACQUIRE(*l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	struct spin_mcs_node *n = spin_mcs_node_get(l), *prev;

	spin_write(&n->next, NULL);
	prev = __atomic_exchange_n(&l->tail, n, __ATOMIC_ACQ_REL);
	if (__builtin_expect(prev != NULL, 0)) {
		spin_write(&n->granted, 0);
		__atomic_store_n(&prev->next, n, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&n->granted, __ATOMIC_ACQUIRE))
			spin_relax();
	}
	spin_write(&l->holder, n);
}

/* Queue this CPU's node only on an empty queue: 1 when taken, 0 otherwise. */
static inline int spin_mcs_trylock(struct spin_mcs *l)
	TRY_ACQUIRE(1, *l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	struct spin_mcs_node *n = spin_mcs_node_get(l), *none = NULL;

	spin_write(&n->next, NULL);
	if (!__atomic_compare_exchange_n(&l->tail, &none, n, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_RELAXED)) {
		spin_write(&n->lock, NULL);   /* the node is unused again */
		return 0;
	}
	spin_write(&l->holder, n);
	return 1;
}

/* The CPU whose node @n is, by address: spin_self() of it, or 0 for no node. */
static inline unsigned long spin_mcs_node_cpu(const struct spin_mcs_node *n)
{
	uintptr_t off = (uintptr_t)n - (uintptr_t)spin_mcs_cpus;

	if (!n || off >= sizeof(spin_mcs_cpus))
		return (unsigned long)n;   /* 0, or a bad word the panic shows */
	return (unsigned long)&cpus[off / sizeof(struct spin_mcs_cpu)];
}

static inline unsigned long spin_mcs_owner(const struct spin_mcs *l)
{
	return spin_mcs_node_cpu(__atomic_load_n(&l->holder, __ATOMIC_RELAXED));
}

static inline int spin_mcs_held_by_me(const struct spin_mcs *l)
{
	uintptr_t h = (uintptr_t)__atomic_load_n(&l->holder, __ATOMIC_RELAXED);

	return h - (uintptr_t)&spin_mcs_cpus[cpu_num()] < sizeof(struct spin_mcs_cpu);
}

/* Held, or handed to a waiter that has not written its node yet. */
static inline int spin_mcs_is_held(const struct spin_mcs *l)
{
	return __atomic_load_n(&l->tail, __ATOMIC_RELAXED) != NULL;
}

/*
 * Clear the holder, then either swing the tail from this node back to
 * NULL (nobody queued) or grant the next node, waiting for it to link in
 * if it has swapped itself in but not linked yet.  Then the node is
 * unused again.
 */
static inline void spin_mcs_unlock(struct spin_mcs *l)
	RELEASE(*l) NO_THREAD_SAFETY_ANALYSIS   /* the primitive itself */
{
	struct spin_mcs_node *n = __atomic_load_n(&l->holder, __ATOMIC_RELAXED), *next;

	if (KDEBUG && !spin_mcs_held_by_me(l))
		spin_panic_not_held(l, spin_mcs_owner(l), "spin_unlock", "the lock");
	spin_write(&l->holder, NULL);
	next = __atomic_load_n(&n->next, __ATOMIC_RELAXED);
	if (__builtin_expect(!next, 1)) {
		struct spin_mcs_node *self = n;

		if (__builtin_expect(__atomic_compare_exchange_n(&l->tail, &self, NULL, 0,
		                                                 __ATOMIC_RELEASE,
		                                                 __ATOMIC_RELAXED), 1))
			goto done;
		while (!(next = __atomic_load_n(&n->next, __ATOMIC_RELAXED)))
			spin_relax();
	}
	/* After the waiter's own stores to its node (it linked in with release). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	__atomic_store_n(&next->granted, 1, __ATOMIC_RELEASE);
done:
	spin_write(&n->lock, NULL);
}

#endif
