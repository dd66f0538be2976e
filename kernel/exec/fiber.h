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
 * Resumable fibers (in the manner of wasmtime's fibers): a fiber created
 * with FIBER_SUSPENDED does not go on the run queue; fiber_resume() runs
 * it, handing it a value, until it calls fiber_suspend() with a value for
 * the resumer, or ends.  On top of the same wake-up mechanism,
 * fiber_block_on() blocks the running fiber until another fiber, another
 * CPU or an interrupt handler supplies a result (fiber_future_set()).
 *
 * CPUs: every CPU has its own run queue, under its own IRQ-safe lock
 * (fiber.c: struct runq).  A fiber runs on the CPU it was created for
 * (fiber_create_on(), or the creating CPU) and stays there; any CPU may
 * wake it (a join, a resume, a future), which queues it on its CPU and
 * interrupts that CPU.  Joining, resuming and futures work across CPUs.
 * A CPU with nothing to run switches to its idle fiber, which waits for
 * an interrupt (the boot CPU's is made by fiber_init(); a secondary CPU's
 * is its idle loop).  No preemption: fibers switch only in the calls
 * below, with interrupts masked across the switch itself.  The list of
 * every stack and the fiber count are shared, under their own IRQ-safe
 * locks (kstack.h; live_lock).  Lock order: a run queue's lock, then
 * nothing (waking a fiber on another CPU drops this CPU's first).
 */
#ifndef EXEC_FIBER_H
#define EXEC_FIBER_H

#include <stddef.h>
#include <stdint.h>
#include <arch/arch.h>
#include <mm/types.h>
#include <sys/queue.h>

struct fiber;
struct cpu;

/* Make the context CPU @c runs now its boot fiber (first thing on each CPU). */
void fiber_cpu_init(struct cpu *c);

/*
 * Once the heap is up, on the boot CPU: its idle fiber and its system
 * stack (kstack_call_system()).  E_OK or E_NOMEM.
 */
int fiber_init(void);

/*
 * A secondary CPU's idle loop, once per pass: run the fibers queued for
 * this CPU until none is left.  Returns how many switches it made (0:
 * nothing was queued).  Interrupts masked.
 */
unsigned fiber_run_queued(void);

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
#define FIBER_POPULATE  (1u << 0)  /* fault the whole stack in now, not on touch */
#define FIBER_SUSPENDED (1u << 1)  /* not queued: runs when fiber_resume()d */

/*
 * Create a fiber that will run @entry(@arg) on a stack of @stack_size
 * bytes (rounded up to whole pages; 0: FIBER_STACK_DEFAULT) and put it on
 * the run queue.  @name is copied (for reports).  Returns the fiber, or
 * NULL when memory or kernel address space ran out or @stack_size is over
 * KSTACK_MAX_SIZE (16 MiB).
 */
struct fiber *fiber_create(const char *name, fiber_entry_t entry, void *arg,
                           size_t stack_size);

/*
 * fiber_create() with @flags.  FIBER_POPULATE faults the stack in at once,
 * so the fiber takes no page faults on it (the self-test runner uses it:
 * cases count free frames, which lazy stack growth would disturb);
 * FIBER_SUSPENDED makes a resumable fiber (fiber_resume()).  NULL also
 * for an unknown flag.
 */
struct fiber *fiber_create_flags(const char *name, fiber_entry_t entry, void *arg,
                                 size_t stack_size, unsigned flags);

/*
 * fiber_create_flags() for CPU @cpu, which must be online: the fiber runs
 * there (and only there).  NULL when @cpu is not online, @flags has an
 * unknown bit, or memory ran out.
 */
struct fiber *fiber_create_on(unsigned cpu, const char *name, fiber_entry_t entry,
                              void *arg, size_t stack_size, unsigned flags);

/* The CPU @f runs on. */
unsigned fiber_cpu(const struct fiber *f);

/* The running fiber (the boot fiber until another one runs). */
struct fiber *fiber_self(void);

/* @f's name. */
const char *fiber_name(const struct fiber *f);

/*
 * Let the other runnable fibers run; returns when this one is scheduled
 * again.  Returns at once when no other fiber is runnable.
 */
void fiber_yield(void);

/*
 * Wait until @f has ended, then free it and return its result: what its
 * entry returned or what it passed to fiber_exit(), or FIBER_FAILED when
 * a fault or a stack overflow ended it.  Each fiber is joined exactly
 * once, by another fiber, on any CPU.  Joining oneself or a boot fiber
 * panics.  A suspended resumable fiber that is never resumed to its end
 * never ends: do not join it.
 */
intptr_t fiber_join(struct fiber *f);

/*
 * End the running fiber with @result for its joiner.  Its stack is freed
 * right after the switch away from it.  The boot fiber cannot end (panic).
 */
void fiber_exit(intptr_t result) __attribute__((noreturn));

/* ---- resumable fibers -------------------------------------------------------- */

/*
 * Run fiber @f, created with FIBER_SUSPENDED, until it suspends or ends;
 * the running fiber waits meanwhile.  @in is what the fiber's
 * fiber_suspend() returns (the first resume starts the fiber at its
 * entry, and @in is dropped).  Returns 0 and the value @f passed to
 * fiber_suspend() in *@out, or 1 and its result when it ended (it still
 * has to be joined).  E_INVAL when @f is not a suspended resumable fiber
 * (never made one, running, being resumed, ended) or is the running
 * fiber.  Works from any CPU; on @f's own CPU it switches straight to it
 * and back, without the run queue.
 */
int fiber_resume(struct fiber *f, intptr_t in, intptr_t *out);

/*
 * Hand @out to the fiber that resumed the running one, and wait until it
 * is resumed again; returns that resume's value.  Panics when the running
 * fiber is not being resumed.
 */
intptr_t fiber_suspend(intptr_t out);

/* A result one fiber waits for and anyone supplies (zero-filled is empty). */
struct fiber_future {
	int state;                      /* empty, waited for, set (atomic) */
	int claimed;                    /* a setter came (atomic) */
	intptr_t value;
	struct fiber *waiter;
};

/*
 * Block the running fiber until @fu is set, then return its value (at
 * once when it is set already).  One waiter per future; a second panics.
 */
intptr_t fiber_block_on(struct fiber_future *fu);

/*
 * Set @fu to @value and wake its waiter.  Any CPU, any context
 * (interrupt handlers included).  E_OK, or E_BUSY when it was set already
 * (nothing changes).  Once the waiter returned, @fu is not touched again.
 */
int fiber_future_set(struct fiber_future *fu, intptr_t value);

/* ---- exit hooks ----------------------------------------------------------------- */

/*
 * Something that must end with a fiber (kernel/exec/tramp.c: the async
 * callbacks aimed at it).  @fn runs on the fiber, in fiber_exit(), before
 * it is switched away from, without locks held, in the order added.
 */
struct fiber_hook {
	LIST_ENTRY(fiber_hook) link;
	void (*fn)(struct fiber_hook *hook, struct fiber *f);
};

/*
 * Add @h to @f's exit hooks.  E_OK, or E_NOENT when @f is ending or has
 * ended (its hooks ran: @h would never run).
 */
int fiber_hook_add(struct fiber *f, struct fiber_hook *h);

/* Take @h off @f's hooks before it ran (no effect once @f is ending). */
void fiber_hook_remove(struct fiber *f, struct fiber_hook *h);

/*
 * The page fault at @addr was resolved (trap code): when it grew the
 * running fiber's stack, map the pages between it and the stack's mapped
 * part too, and lower the stack limit trap entry checks (fiber.c).
 */
void fiber_stack_faulted(uintptr_t addr);

/*
 * Whether @addr lies in the guard page just below a live kernel stack
 * (the running fiber's, a call stack, a system stack): a fault there is
 * the running fiber's stack overflow.
 */
int fiber_guard_hit(uintptr_t addr);

/* Fibers alive (created, not yet joined), the boot fiber included. */
unsigned fiber_count(void);

#endif
