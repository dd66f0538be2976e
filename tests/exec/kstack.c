/*
 * Calls on another stack (kernel/exec/kstack.c, arch_stack_call): the
 * function runs on the other stack and its result comes back, backtraces
 * cross into the caller, bad input is refused, a stack is not used twice
 * at once, an overflow on a call stack is caught and the kernel goes on.
 */
#include <string.h>
#include <arch/arch.h>
#include <drivers/console.h>
#include <exec/fiber.h>
#include <exec/kstack.h>
#include "exec_test.h"
#include <lib/err.h>
#include <lib/ktest.h>
#include <trap/backtrace.h>
#include <mm/aspace.h>
#include <mm/heap.h>

static uintptr_t seen_fp;
static uintptr_t seen_lo, seen_hi;

static intptr_t where_am_i(void *arg)
{
	seen_fp = arch_current_fp();
	if (!kstack_of(seen_fp + ARCH_FRAME_RECORD_OFFSET, &seen_lo, &seen_hi))
		seen_lo = seen_hi = 0;
	return 3 * (intptr_t)arg;
}

static void test_system_stack_call_runs_there_and_returns(void)
{
	uintptr_t lo, hi;

	seen_fp = 0;
	EXPECT_EQ(kstack_call_system(where_am_i, (void *)14), 42);
	EXPECT_TRUE(kstack_on_system(seen_fp));
	EXPECT_FALSE(kstack_on_system(arch_current_fp()));
	/* On a registered stack that is not this case's. */
	ASSERT_TRUE(kstack_of(arch_current_fp() + ARCH_FRAME_RECORD_OFFSET, &lo, &hi));
	EXPECT_NE(seen_lo, lo);
	EXPECT_NE(seen_lo, 0);
}

static intptr_t nest_on_system(void *arg)
{
	uintptr_t outer = arch_current_fp();
	intptr_t r = kstack_call_system(where_am_i, arg);

	/* The nested call ran in place: deeper on the same stack. */
	return r == 3 * (intptr_t)arg && kstack_on_system(seen_fp) && seen_fp < outer;
}

static void test_nested_system_call_runs_in_place(void)
{
	EXPECT_EQ(kstack_call_system(nest_on_system, (void *)5), 1);
}

static struct kstack *given;

static intptr_t call_again_on_given(void *arg)
{
	intptr_t r = 0;

	(void)arg;
	return kstack_call(given, where_am_i, (void *)1, &r);
}

static void test_given_stack_call_and_bad_input(void)
{
	intptr_t r = 0;

	given = kstack_create(32 << 10);
	ASSERT_NOT_NULL(given);
	EXPECT_OK(kstack_call(given, where_am_i, (void *)-7, &r));
	EXPECT_EQ(r, -21);
	EXPECT_TRUE(seen_fp >= given->lo && seen_fp < given->hi);
	EXPECT_EQ_U(seen_lo, given->lo);
	EXPECT_EQ_U(seen_hi - seen_lo, 32 << 10);
	/* In use: the same stack again, from the call on it. */
	EXPECT_OK(kstack_call(given, call_again_on_given, NULL, &r));
	EXPECT_EQ(r, E_BUSY);
	EXPECT_EQ(kstack_call(NULL, where_am_i, NULL, &r), E_INVAL);
	EXPECT_EQ(kstack_call(given, NULL, NULL, &r), E_INVAL);
	EXPECT_EQ(kstack_call(given, where_am_i, NULL, NULL), E_INVAL);
	EXPECT_NULL(kstack_create(KSTACK_MAX_SIZE + 1));
	EXPECT_EQ(kstack_destroy(NULL), E_INVAL);
	EXPECT_OK(kstack_destroy(given));
}

/* ---- backtraces across the call ------------------------------------------ */

static __attribute__((noinline)) intptr_t take_backtrace(void *arg)
{
	(void)arg;
	bt_take();
	return 0;
}

/* The backtrace holds @chain in order. */
static int has_chain(const char *const *chain, int n)
{
	return bt_has_chain(pcs, npcs, chain, n);
}

static volatile intptr_t sink;

/* Not tail calls: the frames stay in the chain. */
static __attribute__((noinline)) void call_from_here_system(void)
{
	sink = kstack_call_system(take_backtrace, NULL);
}

static __attribute__((noinline)) void call_from_here_given(struct kstack *s)
{
	intptr_t r;

	sink = kstack_call(s, take_backtrace, NULL, &r);
}

static void test_backtraces_cross_the_call(void)
{
	/* The first return address is take_backtrace's, into arch_stack_call. */
	static const char *const sys[] = {
		"arch_stack_call", "call_from_here_system",
		"test_backtraces_cross_the_call", "fiber_main", "kernel_main",
	};
	static const char *const giv[] = {
		"arch_stack_call", "call_from_here_given",
		"test_backtraces_cross_the_call", "fiber_main", "kernel_main",
	};
	struct kstack *s = kstack_create(0);

	ASSERT_NOT_NULL(s);
	npcs = 0;
	call_from_here_system();
	EXPECT_TRUE(has_chain(sys, 5));
	npcs = 0;
	call_from_here_given(s);
	EXPECT_TRUE(has_chain(giv, 5));
	EXPECT_OK(kstack_destroy(s));
}

/* ---- overflow on a call stack --------------------------------------------- */

static intptr_t overflow_on(void *s)
{
	intptr_t r;

	return kstack_call(s, deep, NULL, &r);
}

static char report[8192];

static void test_overflow_on_a_call_stack_ends_the_fiber_alone(void)
{
	struct kstack *s = kstack_create(8 << 10);
	struct fiber *f;
	intptr_t r = 0;

	ASSERT_NOT_NULL(s);
	f = fiber_create_flags("deep-call", overflow_on, s, 0, FIBER_POPULATE);
	ASSERT_NOT_NULL(f);
	console_capture_start(report, sizeof(report));
	EXPECT_EQ(fiber_join(f), FIBER_FAILED);
	console_capture_stop();
	EXPECT_NOT_NULL(strstr(report, "stack overflow in fiber deep-call"));
	EXPECT_NOT_NULL(strstr(report, "of a call stack"));
	EXPECT_NOT_NULL(strstr(report, "recurse+"));
	/* The stack is free again and works. */
	EXPECT_OK(kstack_call(s, where_am_i, (void *)2, &r));
	EXPECT_EQ(r, 6);
	EXPECT_OK(kstack_destroy(s));
}

/*
 * A populated stack of the default size, once given back, is kept mapped
 * and is the next one made; counting free frames unmaps it.  A lazy one
 * is unmapped at once.
 */
static void test_a_populated_stack_is_kept_for_the_next(void)
{
	uint64_t frames = heap_free_frames_settled(), nvareas = kernel_aspace.nvareas;
	struct kstack *a = kstack_create(0), *b;
	struct kstack lazy;
	uintptr_t lo;

	ASSERT_NOT_NULL(a);
	lo = a->lo;
	EXPECT_OK(kstack_destroy(a));
	EXPECT_EQ(kernel_aspace.nvareas, nvareas + 1);   /* a spare, still mapped */
	b = kstack_create(0);
	ASSERT_NOT_NULL(b);
	EXPECT_EQ_U(b->lo, lo);
	EXPECT_EQ_U(b->hi - b->lo, KSTACK_DEFAULT_SIZE);
	EXPECT_EQ(kernel_aspace.nvareas, nvareas + 1);
	memset((void *)b->lo, 0x5a, KSTACK_DEFAULT_SIZE);   /* all of it mapped, writable */
	EXPECT_OK(kstack_destroy(b));
	ASSERT_OK(kstack_init(&lazy, 0, 0, "lazy"));
	EXPECT_NE(lazy.lo, lo);                          /* not the populated spare */
	kstack_fini(&lazy);
	EXPECT_EQ(kernel_aspace.nvareas, nvareas + 1);   /* the lazy one is gone */
	EXPECT_EQ(heap_free_frames_settled(), frames);
	EXPECT_EQ(kernel_aspace.nvareas, nvareas);
}

KTEST_SUITE(kstack,
	KTEST_CASE(test_system_stack_call_runs_there_and_returns),
	KTEST_CASE(test_nested_system_call_runs_in_place),
	KTEST_CASE(test_given_stack_call_and_bad_input),
	KTEST_CASE(test_backtraces_cross_the_call),
	KTEST_CASE(test_overflow_on_a_call_stack_ends_the_fiber_alone),
	KTEST_CASE(test_a_populated_stack_is_kept_for_the_next));
