/*
 * FFI callback trampolines: plain function pointers that carry a context.
 *
 * A trampoline is an address inside a trampoline window that any C code
 * can call as an ordinary function pointer.  Calling it calls the
 * callback's target with the callback's context as an extra FIRST
 * argument; the caller's arguments follow, shifted by one integer
 * register, and the target's return value comes back unchanged:
 *
 *	tramp_fn t = tramp_create((tramp_fn)add, ctx, &owner);
 *	long r = ((long (*)(long, long))t)(1, 2);   // add(ctx, 1, 2)
 *
 * Window (TRAMP_WINDOW_SIZE bytes, aligned to its size):
 *
 *	+0       RX  the image's trampoline page, mapped again (never copied):
 *	             the shared stub in the first TRAMP_STUB_SIZE bytes, then
 *	             TRAMP_NSLOTS - TRAMP_FIRST_SLOT trampolines of
 *	             TRAMP_SLOT_SIZE bytes
 *	+4 KiB   RW  the hot page: {target, context} of slot i at offset
 *	             i * TRAMP_SLOT_SIZE, the stub reads it at "own PC +
 *	             4 KiB"; its first TRAMP_STUB_SIZE bytes (the shadow of the
 *	             stub) hold the window header and its table of runtime
 *	             function pointers
 *	+8 KiB   RW  the cold entries (struct tramp_entry, 96 bytes, by slot),
 *	             to the end of the window
 *
 * Arity (riscv64 LP64D, AAPCS64): up to 8 integer/pointer arguments and up
 * to 8 FP arguments, all in registers at the caller.  The context takes
 * the first integer register, so the caller's 8th integer argument goes to
 * the stack (the 9th argument of the target), as the ABI places it.  FP
 * arguments stay in their registers.  Not supported: arguments the caller
 * passes on the stack (more than 8 integer or FP ones, variadic calls on
 * riscv64 with FP values), and on riscv64 results returned through a
 * hidden pointer (structs larger than 16 bytes: the pointer is a0, which
 * the shift moves); AArch64 passes that pointer in x8, which is kept.
 *
 * Locking: every call below may be made on any CPU; one IRQ-safe lock
 * (kernel/exec/tramp.c) guards windows, slots and queued calls, and is
 * never held while a target runs.  Calls through trampolines take no
 * lock (a sync slot is two loads).  Async calls are queued for their
 * target fiber and run on that fiber's CPU.
 */
#ifndef EXEC_TRAMP_H
#define EXEC_TRAMP_H

#include <arch/tramp.h>

#ifndef __ASSEMBLY__
#include <stdint.h>
#include <sys/queue.h>

struct fiber;
struct tramp_entry;

/* What a trampoline is handed out as: cast it to the caller's prototype. */
typedef void (*tramp_fn)(void);

/* A list of callbacks one owner can drop at once (zero-filled is empty). */
struct tramp_owner {
	LIST_HEAD(, tramp_entry) list;
	unsigned count;
};

/* TRAMP_DEAD: an async callback whose fiber ended, not yet deleted. */
enum tramp_kind { TRAMP_FREE, TRAMP_SYNC, TRAMP_ASYNC, TRAMP_DEAD };

/* A destructor for a callback's context, run when the callback is deleted. */
typedef void (*tramp_dtor_fn)(void *ctx);

/* What tramp_lookup() reports. */
struct tramp_info {
	enum tramp_kind kind;
	tramp_fn target;
	void *ctx;
	struct tramp_owner *owner;    /* NULL: none */
	struct fiber *fiber;          /* async: where the calls run; NULL once dead */
	uintptr_t window;             /* the window's start */
	unsigned slot;                /* index of the trampoline in its window */
};

struct tramp_stats {
	unsigned windows;             /* mapped, the boot window included */
	unsigned live;                /* callbacks */
	unsigned free;                /* entries on the free list */
	unsigned dead_calls;          /* calls of deleted trampolines so far */
	unsigned async_pending;       /* queued async calls not yet run */
};

/*
 * Map the boot window.  Once, after the kernel aspace and the heap are
 * up.  E_OK, or E_NOMEM / E_RANGE from the mapping.
 */
int tramp_init(void);

/*
 * A synchronous callback: calling the returned trampoline calls
 * @target(@ctx, caller's arguments...) and returns its result.  @owner
 * (may be NULL) gets the callback on its list.  Returns the trampoline,
 * or NULL when @target is NULL or no window could be mapped.
 */
tramp_fn tramp_create(tramp_fn target, void *ctx, struct tramp_owner *owner);

/*
 * An asynchronous callback: calling the returned trampoline copies the
 * caller's 8 integer and 8 FP argument registers into a queued call for
 * fiber @f and returns at once (0, or E_NOMEM as an intptr_t when the
 * call could not be queued, E_NOENT when the callback died meanwhile).
 * @f runs the call, @target(@ctx, args...), when it calls
 * tramp_async_run_pending() or tramp_async_serve().  @owner as for
 * tramp_create().  NULL when @target or @f is NULL, @f is ending, or
 * memory ran out.
 *
 * The callback lives no longer than @f: when @f ends, its queued calls
 * are dropped and the callback dies (kind TRAMP_DEAD): calls reach the
 * dead-callback handler, with a report, and it stays on its owner's list
 * until deleted.
 */
tramp_fn tramp_create_async(tramp_fn target, void *ctx, struct fiber *f,
                            struct tramp_owner *owner);

/*
 * Delete the callback of trampoline @t (live or dead): it leaves its
 * owner's list, its queued async calls are dropped, its entry goes to the
 * tail of the free list, and calling @t from now on reaches the
 * dead-callback handler (a report, result 0); then its context's
 * destructor runs, if it has one.  A window other than the boot one
 * whose last callback this was is unmapped.  E_OK, or E_NOENT when @t is
 * not a trampoline with a callback (nothing changes).  Deleting a
 * callback while another CPU may call it is the caller's race: that call
 * may see the old target with the new context.
 */
int tramp_delete(tramp_fn t);

/* Delete every callback on @owner's list, in list order.  Returns how many. */

/*
 * Give the callback of @t a destructor for its context, run (without
 * locks) when it is deleted; NULL takes it away.  E_OK, or E_NOENT when
 * @t is not a trampoline with a callback.
 */
int tramp_set_dtor(tramp_fn t, tramp_dtor_fn dtor);
unsigned tramp_delete_all(struct tramp_owner *owner);

/*
 * The metadata of trampoline @t (its address, found through the window
 * list, not dereferenced blindly).  E_OK; E_NOENT when @t is not a
 * trampoline slot of a mapped window; a free slot gives E_OK with kind
 * TRAMP_FREE.
 */
int tramp_lookup(tramp_fn t, struct tramp_info *out);

/*
 * Run the async calls queued for the running fiber, oldest first
 * (including calls queued while they run).  Returns how many ran.
 */
unsigned tramp_async_run_pending(void);

/*
 * Run the async calls queued for the running fiber; when there is none,
 * block (fiber_block_on()) until one is queued, from any CPU or an
 * interrupt handler, then run it.  Returns how many ran; 0 when no live
 * async callback aims at the running fiber (none could ever come), at
 * once or after the last one was deleted while it waited.
 */
unsigned tramp_async_serve(void);

/* Counters for tests and the shell. */
void tramp_get_stats(struct tramp_stats *out);

/*
 * For user processes (the system call is the process code's): map a
 * trampoline window into user aspace @as, at *@base when it is not 0
 * (aligned to TRAMP_WINDOW_SIZE, nothing there), else at the lowest free
 * aligned range, stored in *@base.  Its first page is the image's
 * trampoline page, aliased read+execute (never copied, never writable);
 * the rest are zeroed read+write pages private to @as, laid out as in a
 * kernel window (hot pairs at +4 KiB, the header in the stub's shadow,
 * cold entries after), for the process code to fill.  They are ordinary
 * anonymous memory: fork gives the child a copy-on-write copy, and they
 * go with the aspace.  The code frame is reserved memory: no reference
 * is taken, so fork and teardown need nothing for it.  E_OK; E_INVAL
 * (NULL, or the kernel aspace); E_ALIGN; E_EXIST (*@base taken);
 * E_NOMEM / E_RANGE from the aspace (nothing is left behind).
 */
struct aspace;
int tramp_window_map(struct aspace *as, uintptr_t *base);

/*
 * Unmap the window at @base of user aspace @as.  E_OK; E_INVAL, E_ALIGN;
 * E_NOENT when no window starts there.
 */
int tramp_window_unmap(struct aspace *as, uintptr_t base);

/* Physical address of the image's trampoline page (what every RX page maps). */
uintptr_t tramp_code_pa(void);

/* The window holding the trampoline area of @addr (@addr masked). */
static inline uintptr_t tramp_window_of(uintptr_t addr)
{
	return addr & ~(uintptr_t)(TRAMP_WINDOW_SIZE - 1);
}

#endif /* !__ASSEMBLY__ */
#endif
