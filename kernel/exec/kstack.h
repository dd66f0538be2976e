/*
 * Kernel stacks, and calls on another stack.
 *
 * A kstack is an anonymous VAREA_STACK varea of the kernel aspace with an
 * unmapped guard page below it, registered in a list every CPU can search
 * (trap code: "which stack holds this address", "whose guard page is
 * this"; backtraces: "is this frame record on a stack").  Fibers keep
 * their stack in one; kstack_create() makes a free-standing one for
 * kstack_call(); every CPU has a system stack for kstack_call_system().
 *
 * Calls on another stack (Go's systemstack / asmcgocall): run fn(arg)
 * synchronously on another stack, without the run queue, and return its
 * result.  The call pushes a frame record {caller's frame pointer, return
 * address} at the top of the other stack, so frame-pointer backtraces and
 * debuggers (the routine has DWARF CFI) walk from fn back into its
 * caller; it installs the other stack's limit for trap entry for the
 * duration, so a fault or an overflow on it is handled like one on a
 * fiber's stack.  fn must not switch fibers (yield, join, block, suspend):
 * another fiber would reuse the stack under it (switching panics).
 *
 * Locking: the list of live stacks is under one IRQ-safe lock
 * (kstack.c: kstack_lock), which nests inside nothing else of the
 * kernel and takes nothing.  A stack given to kstack_call() is claimed
 * for the call (an atomic flag): two CPUs never run on it at once.
 */
#ifndef EXEC_KSTACK_H
#define EXEC_KSTACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <arch/arch.h>

struct kstack {
	TAILQ_ENTRY(kstack) live;       /* on the live list while it exists */
	uintptr_t lo, hi;               /* the varea [lo, hi) */
	uintptr_t low_water;            /* [low_water, hi) is mapped */
	uintptr_t limit;                /* trap entry's: low_water + KSTACK_TRAP_RESERVE */
	int busy;                       /* kstack_call() runs on it (atomic) */
	int populated;                  /* made with KSTACK_POPULATE: may become a spare */
	const char *kind;               /* "fiber", "call", "system": for reports */
};

/* Mapped stack kept below the stack pointer for a trap frame and its handler. */
#define KSTACK_TRAP_RESERVE 4096

#define KSTACK_DEFAULT_SIZE (16u << 10)   /* size 0 means this */
#define KSTACK_MAX_SIZE (16u << 20)

/* kstack_init() flags */
#define KSTACK_POPULATE (1u << 0)         /* map every page now, not on first touch */

/*
 * Map a stack of @size bytes (rounded up to pages; 0: KSTACK_DEFAULT_SIZE)
 * over a free guard page and register it as @kind.  The top page is
 * mapped; with KSTACK_POPULATE all of it (a spare that kstack_fini()
 * kept, when the size is KSTACK_DEFAULT_SIZE and there is one).  E_OK; E_INVAL for a size over
 * KSTACK_MAX_SIZE; E_NOMEM when memory or kernel address space ran out
 * (nothing is left behind).
 */
int kstack_init(struct kstack *s, size_t size, unsigned flags, const char *kind);

/*
 * Unregister and unmap @s (not running on it).  A stack of
 * KSTACK_DEFAULT_SIZE made with KSTACK_POPULATE may be kept mapped
 * instead, as one of a few spares
 * that the next populated stack of that size takes over, contents and
 * all (kstack_init()).
 */
void kstack_fini(struct kstack *s);

/*
 * Unmap the spare stacks.  Registered with the heap
 * (heap_set_reclaim()), which calls it before counting free frames.
 * Fiber context (it unmaps).
 */
void kstack_release_spares(void);

/*
 * A free-standing, fully mapped stack for kstack_call(): NULL when @size
 * is too large or memory ran out.  kstack_destroy() frees it (E_BUSY
 * while a call runs on it, E_INVAL for NULL).
 */
struct kstack *kstack_create(size_t size);
int kstack_destroy(struct kstack *s);

/*
 * Run @fn(@arg) on stack @s, store its result in *@result, return E_OK.
 * E_INVAL when @s, @fn or @result is NULL; E_BUSY when a call runs on @s
 * already (on any CPU, this one included: nothing is run).
 */
int kstack_call(struct kstack *s, intptr_t (*fn)(void *), void *arg, intptr_t *result);

/*
 * Run @fn(@arg) on this CPU's system stack and return its result.  Called
 * on the system stack already, runs @fn right there.  Needs the CPU's
 * system stack (kstack_cpu_init()); @fn must not be NULL (panics).
 */
static inline intptr_t kstack_call_system(intptr_t (*fn)(void *), void *arg)
{
	return arch_stack_call_system(fn, arg);
}

/* Map CPU @cpu's system stack.  Once per CPU, once the heap is up.  E_OK or E_NOMEM. */
int kstack_cpu_init(unsigned cpu);

/* Whether @sp lies on this CPU's system stack. */
int kstack_on_system(uintptr_t sp);

/*
 * The kernel stack [lo, hi) that holds @addr: the boot stack, a CPU's
 * trap or boot stack, or a live kstack.  Returns 1 and the bounds, or 0.
 * Answers 0 for kstacks when called from a trap that interrupted this
 * CPU inside the list's lock.
 */
int kstack_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);

/* The live kstack whose guard page holds @addr, or NULL. */
struct kstack *kstack_guard_of(uintptr_t addr);

/*
 * Map @s down to the page of @addr (below its mapped part) and lower its
 * limit with it; stops early when memory runs out.  Returns the new limit.
 */
uintptr_t kstack_map_down(struct kstack *s, uintptr_t addr);

#endif
