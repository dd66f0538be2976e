/*
 * Resumable fibers (fiber_resume / fiber_suspend) and futures
 * (fiber_block_on / fiber_future_set), on one CPU; tests/exec/exec_smp.c
 * has them across CPUs.
 */
#include <string.h>
#include <arch/arch.h>
#include <exec/fiber.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <trap/backtrace.h>
#include "exec_test.h"

/* Suspends with in * 10 + k for k = 1..3, then ends with the sum of what it got. */
static intptr_t generator(void *arg)
{
	intptr_t sum = 0, in = (intptr_t)arg;

	for (int k = 1; k <= 3; k++) {
		in = fiber_suspend(in * 10 + k);
		sum += in;
	}
	return sum + 1000;
}

static void test_values_cross_resume_and_suspend(void)
{
	struct fiber *f = fiber_create_flags("gen", generator, (void *)4, 0, FIBER_SUSPENDED);
	intptr_t out = 0;

	ASSERT_NOT_NULL(f);
	fiber_yield();                                   /* not queued: does not run */
	EXPECT_EQ(fiber_resume(f, 99, &out), 0);         /* starts it: 99 is dropped */
	EXPECT_EQ(out, 41);
	EXPECT_EQ(fiber_resume(f, 7, &out), 0);
	EXPECT_EQ(out, 72);
	EXPECT_EQ(fiber_resume(f, 8, &out), 0);
	EXPECT_EQ(out, 83);
	EXPECT_EQ(fiber_resume(f, 9, &out), 1);          /* ended */
	EXPECT_EQ(out, 1000 + 7 + 8 + 9);
	EXPECT_EQ(fiber_resume(f, 1, &out), E_INVAL);    /* ended: nothing to resume */
	EXPECT_EQ(fiber_join(f), 1000 + 7 + 8 + 9);
}

static intptr_t plain(void *arg)
{
	return (intptr_t)arg;
}

static struct fiber *outer_self;
static int inner_resume_rc;

static intptr_t resume_own_resumer(void *arg)
{
	intptr_t out;

	(void)arg;
	inner_resume_rc = fiber_resume(outer_self, 0, &out);   /* it is running */
	return 0;
}

static void test_bad_resumes_are_refused(void)
{
	struct fiber *f = fiber_create("plain", plain, (void *)5, 0);
	struct fiber *g = fiber_create_flags("self", resume_own_resumer, NULL, 0, FIBER_SUSPENDED);
	intptr_t out = 77;

	ASSERT_NOT_NULL(f);
	ASSERT_NOT_NULL(g);
	EXPECT_EQ(fiber_resume(f, 0, &out), E_INVAL);    /* not resumable */
	EXPECT_EQ(fiber_resume(fiber_self(), 0, &out), E_INVAL);
	EXPECT_EQ(fiber_resume(NULL, 0, &out), E_INVAL);
	EXPECT_EQ(fiber_resume(g, 0, NULL), E_INVAL);
	EXPECT_EQ(out, 77);
	outer_self = g;
	/* g, resumed, tries to resume itself: refused, and it ends. */
	EXPECT_EQ(fiber_resume(g, 0, &out), 1);
	EXPECT_EQ(inner_resume_rc, E_INVAL);
	EXPECT_EQ(fiber_join(f), 5);
	EXPECT_EQ(fiber_join(g), 0);
	EXPECT_EQ(fiber_create_flags("bad", plain, NULL, 0, 1u << 7), NULL);
}

/* ---- backtraces: a resumed fiber's chain goes into its resumer ------------- */

static intptr_t suspend_then_look(void *arg)
{
	(void)arg;
	fiber_suspend(1);
	bt_take();
	return 2;
}

static __attribute__((noinline)) int resume_from_here(struct fiber *f)
{
	intptr_t out;

	return fiber_resume(f, 0, &out);
}

static void test_backtrace_of_a_resumed_fiber_reaches_the_resumer(void)
{
	static const char *const chain[] = {
		"suspend_then_look", "fiber_main", "arch_fiber_entry", "switch_to",
		"fiber_resume", "resume_from_here",
		"test_backtrace_of_a_resumed_fiber_reaches_the_resumer",
	};
	struct fiber *f = fiber_create_flags("look", suspend_then_look, NULL, 0, FIBER_SUSPENDED);

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(resume_from_here(f), 0);
	npcs = 0;
	EXPECT_EQ(resume_from_here(f), 1);
	EXPECT_TRUE(bt_has_chain(pcs, npcs, chain, sizeof(chain) / sizeof(chain[0])));
	EXPECT_EQ(fiber_join(f), 2);
}

/* ---- futures ----------------------------------------------------------------- */

static struct fiber_future fut;

static intptr_t wait_future(void *arg)
{
	(void)arg;
	return fiber_block_on(&fut) + 1;
}

static void test_block_on_waits_for_the_value(void)
{
	struct fiber *f;

	memset(&fut, 0, sizeof(fut));
	f = fiber_create("waiter", wait_future, NULL, 0);
	ASSERT_NOT_NULL(f);
	fiber_yield();                   /* it runs and blocks */
	fiber_yield();
	EXPECT_OK(fiber_future_set(&fut, 41));
	EXPECT_EQ(fiber_future_set(&fut, 5), E_BUSY);
	EXPECT_EQ(fiber_join(f), 42);
	/* Set before anyone waits: block_on returns at once. */
	struct fiber_future early = { 0 };

	EXPECT_OK(fiber_future_set(&early, -3));
	EXPECT_EQ(fiber_block_on(&early), -3);
	EXPECT_EQ(fiber_future_set(&early, 1), E_BUSY);
	EXPECT_EQ(fiber_block_on(&early), -3);
}

KTEST_SUITE(fiber_resume,
	KTEST_CASE(test_values_cross_resume_and_suspend),
	KTEST_CASE(test_bad_resumes_are_refused),
	KTEST_CASE(test_backtrace_of_a_resumed_fiber_reaches_the_resumer),
	KTEST_CASE(test_block_on_waits_for_the_value));
