/*
 * Helpers of the tests in tests/exec: a backtrace taken here and checked
 * for function names in order; a recursion deep enough to overflow any
 * stack.  Static: each suite has its own copy of the state.
 */
#ifndef TESTS_EXEC_EXEC_TEST_H
#define TESTS_EXEC_EXEC_TEST_H

#include <stdint.h>
#include <string.h>
#include <arch/arch.h>
#include <lib/ktest.h>
#include <trap/backtrace.h>

#define BT_DEPTH 32

/* The last backtrace bt_take() took. */
static uintptr_t pcs[BT_DEPTH];
static int npcs;

/* Take a backtrace of its caller into pcs / npcs (its own frame is not in it). */
static __attribute__((noinline, unused)) void bt_take(void)
{
	npcs = backtrace_collect(0, arch_current_fp(), pcs, BT_DEPTH);
}

/* Each level keeps 256 bytes live across the call (no tail call): never returns. */
static __attribute__((noinline, unused)) int recurse(int depth)
{
	volatile char pad[256];

	pad[0] = (char)depth;
	if (depth >= 1 << 30)
		return pad[0];
	return recurse(depth + 1) + pad[0];
}

/* A fiber or stack-call body that overflows its stack. */
static __attribute__((unused)) intptr_t deep(void *arg)
{
	(void)arg;
	return recurse(0);
}

static __attribute__((unused)) const char *bt_frame_name(uintptr_t pc)
{
	uintptr_t off;
	const char *n = ksym_lookup(pc, &off);

	return n ? n : "?";
}

/*
 * Whether @pcs[0..@npcs) holds frames named @chain[0..@n), in that order
 * (others may come between); when not, logs which is missing and the
 * whole backtrace.
 */
static __attribute__((unused)) int bt_has_chain(const uintptr_t *pcs, int npcs, const char *const *chain, int n)
{
	int at = 0;

	for (int i = 0; i < n; i++) {
		while (at < npcs && strcmp(bt_frame_name(pcs[at]), chain[i]))
			at++;
		if (at == npcs) {
			ktest_log("no frame %s in order in the backtrace:", chain[i]);
			for (int k = 0; k < npcs; k++)
				ktest_log("#%d %s", k, bt_frame_name(pcs[k]));
			return 0;
		}
		at++;
	}
	return 1;
}

#endif
