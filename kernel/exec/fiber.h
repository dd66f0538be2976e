/*
 * Fibers: kernel execution contexts with stacks of their own, switched
 * cooperatively.
 *
 * A fiber's stack is an anonymous varea of the kernel address space
 * (VAREA_STACK: pages fault in on first touch, and the page below it stays
 * unmapped, a guard).  Running into the guard page is a stack overflow: the
 * trap code reports "stack overflow in fiber <name>" with a backtrace and
 * ends the fiber as failed; the kernel goes on with the next runnable one.
 *
 * Scheduling is cooperative and FIFO: a fiber runs until it yields, joins
 * a fiber that has not ended, or ends.  A new fiber is runnable at once
 * and first runs when the creator gives up the CPU.  The context that
 * booted the kernel (kernel_main on the boot stack) is the first fiber,
 * "boot"; it has no guard page and cannot end.
 *
 * Every fiber must be joined: the joiner gets its result and its struct
 * is freed then.  Its stack is freed as soon as it ends (by the next
 * fiber to run, which is on another stack).
 *
 * A stack that grows by page faults must not grow inside a section that
 * holds a lock the fault path needs (the kernel aspace's, the frame
 * allocator's, the heap's): that fault would wait for the lock for ever.
 * So a fiber whose code calls into mm/ is created with FIBER_POPULATE
 * (its whole stack mapped at once); the self-test runner's case fibers
 * are.  Lazily grown stacks are for code that takes none of those locks.
 *
 * Backtraces cross stacks: a fiber's first frame record (at the top of its
 * stack) links to the frames of the code that last switched into it, so a
 * backtrace inside a fiber continues into whoever started or resumed it,
 * as a debugger unwinds out of a coroutine.
 *
 * Locking and CPUs: each CPU runs its own fibers (a fiber stays on the
 * CPU that created it), with its own run queue and running fiber, so
 * switching takes no lock; no preemption: fibers are switched only by the
 * calls below, with interrupts masked across the switch itself.  The
 * list of every fiber stack (for the trap code's stack lookups on any
 * CPU) and the fiber count are shared, under one IRQ-safe lock.  A fiber
 * may be joined only on its own CPU.
 */
#ifndef EXEC_FIBER_H
#define EXEC_FIBER_H

#include <stddef.h>
#include <stdint.h>
#include <arch/arch.h>
#include <mm/types.h>

struct fiber;
struct cpu;

/* Make the context CPU @c runs now its boot fiber (first thing on each CPU). */
void fiber_cpu_init(struct cpu *c);

typedef intptr_t (*fiber_entry_t)(void *arg);

/* What fiber_join() returns for a fiber ended by a fault or a stack overflow. */
#define FIBER_FAILED INTPTR_MIN

#define FIBER_STACK_DEFAULT (16u << 10)   /* stack_size 0 means this */
#define FIBER_NAME_MAX 32                 /* names are truncated to 31 characters */

/*
 * Mapped stack kept below the stack pointer for a trap frame and its
 * handler (below it trap entry uses the emergency stack).
 */
#define FIBER_TRAP_RESERVE PAGE_SIZE

/* fiber_create_flags() flags */
#define FIBER_POPULATE (1u << 0)   /* fault the whole stack in now, not on touch */

/*
 * Create a fiber that will run @entry(@arg) on a stack of @stack_size
 * bytes (rounded up to whole pages; 0: FIBER_STACK_DEFAULT) and put it on
 * the run queue.  @name is copied (for reports).  Returns the fiber, or
 * NULL when memory or kernel address space ran out.
 */
struct fiber *fiber_create(const char *name, fiber_entry_t entry, void *arg,
                           size_t stack_size);

/*
 * fiber_create() with @flags.  FIBER_POPULATE faults the stack in at once,
 * so the fiber takes no page faults on it (the self-test runner uses it:
 * cases count free frames, which lazy stack growth would disturb).
 */
struct fiber *fiber_create_flags(const char *name, fiber_entry_t entry, void *arg,
                                 size_t stack_size, unsigned flags);

/* The running fiber (the boot fiber until another one runs). */
struct fiber *fiber_self(void);

/* @f's name. */
const char *fiber_name(const struct fiber *f);

/*
 * Let the other runnable fibers run; returns when this one is scheduled
 * again.  Returns at once when no other fiber is runnable.
 */
void fiber_yield(void);

/* Whether another fiber of this CPU is waiting to run. */
int fiber_runnable(void);

/*
 * Wait until @f has ended, then free it and return its result: what its
 * entry returned or what it passed to fiber_exit(), or FIBER_FAILED when
 * a fault or a stack overflow ended it.  Each fiber is joined exactly
 * once, by another fiber.  Joining oneself, or blocking with nothing left
 * to run (every fiber waiting), panics.
 */
intptr_t fiber_join(struct fiber *f);

/*
 * End the running fiber with @result for its joiner.  Its stack is freed
 * right after the switch away from it.  The boot fiber cannot end (panic).
 */
void fiber_exit(intptr_t result) __attribute__((noreturn));

/*
 * The page fault at @addr was resolved (trap code): when it grew the
 * running fiber's stack, map the pages between it and the stack's mapped
 * part too, and lower the stack limit trap entry checks (fiber.c).
 */
void fiber_stack_faulted(uintptr_t addr);

/*
 * Whether @addr lies in the guard page just below the running fiber's
 * stack: a fault there is this fiber's stack overflow.
 */
int fiber_guard_hit(uintptr_t addr);

/*
 * The kernel stack [lo, hi) that holds @addr: the boot stack, the trap
 * emergency stack, or a live fiber's stack.  Returns 1 and the bounds, or
 * 0 when @addr is on no known stack.  For backtraces.
 */
int fiber_stack_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);

/* Fibers alive (created, not yet joined), the boot fiber included. */
unsigned fiber_count(void);

#endif
