/*
 * Fibers: switches keep the callee-saved registers, results reach the
 * joiner, stacks are guard-paged and freed, overflows are caught, and
 * backtraces cross from a fiber into the code that started it.  Last, a
 * test of the self-test runner itself: a faulting case fails alone.
 */
#include <string.h>
#include <arch/arch.h>
#include <trap/backtrace.h>
#include <drivers/console.h>
#include <lib/err.h>
#include <exec/fiber.h>
#include <exec/kstack.h>
#include "exec_test.h"
#include <lib/ktest.h>
#include <lib/spinlock.h>
#include <mm/aspace.h>
#include <mm/heap.h>
#include <mm/page.h>

/* arch/<arch>/fiber_test.S */
uint64_t fiber_test_regs(void (*fn)(void *), void *arg, uint64_t seed,
                         unsigned long rounds);

static intptr_t twice(void *arg)
{
	return 2 * (intptr_t)arg;
}

/* ---- switching ------------------------------------------------------------ */

static void yield_once(void *arg)
{
	(void)arg;
	fiber_yield();
}

#define PING_PONG_ROUNDS 1000

static intptr_t pattern_fiber(void *seed)
{
	return (intptr_t)fiber_test_regs(yield_once, NULL, (uint64_t)(uintptr_t)seed,
	                                 PING_PONG_ROUNDS);
}

static void test_switches_keep_callee_saved_registers(void)
{
	struct fiber *a = fiber_create("ping", pattern_fiber, (void *)0x1111, 0);
	struct fiber *b = fiber_create("pong", pattern_fiber, (void *)0x7777, 0);

	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	/* This fiber takes part too: three patterns rotate through each switch. */
	EXPECT_EQ_U(fiber_test_regs(yield_once, NULL, 0x4444, PING_PONG_ROUNDS), 0);
	EXPECT_EQ_U(fiber_join(a), 0);
	EXPECT_EQ_U(fiber_join(b), 0);
}

static int order[8], norder;

static intptr_t note_and_yield(void *arg)
{
	for (int i = 0; i < 2; i++) {
		order[norder++] = (int)(intptr_t)arg + 10 * i;
		fiber_yield();
	}
	return 0;
}

static void test_yield_runs_fibers_in_turn(void)
{
	struct fiber *a, *b;

	norder = 0;
	a = fiber_create("a", note_and_yield, (void *)1, 0);
	b = fiber_create("b", note_and_yield, (void *)2, 0);
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	EXPECT_EQ(norder, 0);          /* created, not run yet */
	fiber_yield();                 /* a, b, then back here */
	EXPECT_EQ(norder, 2);
	fiber_join(a);
	fiber_join(b);
	ASSERT_EQ(norder, 4);
	EXPECT_EQ(order[0], 1);
	EXPECT_EQ(order[1], 2);
	EXPECT_EQ(order[2], 11);
	EXPECT_EQ(order[3], 12);
	fiber_yield();                 /* nothing else runnable: returns */
}

static intptr_t exit_early(void *arg)
{
	fiber_exit((intptr_t)arg + 1);
}

static void test_join_returns_the_result(void)
{
	struct fiber *f = fiber_create("twice", twice, (void *)21, 0);
	struct fiber *g = fiber_create("exits", exit_early, (void *)99, 0);

	ASSERT_NOT_NULL(f);
	ASSERT_NOT_NULL(g);
	EXPECT_STREQ(fiber_name(f), "twice");
	EXPECT_EQ(fiber_join(f), 42);
	EXPECT_EQ(fiber_join(g), 100);
}

static intptr_t report_self(void *arg)
{
	*(struct fiber **)arg = fiber_self();
	return 0;
}

static void test_self_names_the_running_fiber(void)
{
	struct fiber *seen = NULL;
	struct fiber *f = fiber_create("me", report_self, &seen, 0);

	ASSERT_NOT_NULL(f);
	fiber_join(f);
	EXPECT_TRUE(seen == f);
	EXPECT_TRUE(fiber_self() != f);
}

/* ---- stacks ----------------------------------------------------------------- */

struct stack_view {
	uintptr_t lo, hi;
	int lo_mapped;            /* the lowest stack page, while the fiber ran */
	int guard_free;           /* no varea in the guard page */
	int guard_hit, lo_hit;    /* fiber_guard_hit() below and at the bottom */
	unsigned flags;
};

static intptr_t look_at_own_stack(void *arg)
{
	struct stack_view *v = arg;
	struct aspace_query q;

	if (!kstack_of(arch_current_fp() + ARCH_FRAME_RECORD_OFFSET, &v->lo, &v->hi))
		return -1;
	if (aspace_query(&kernel_aspace, v->lo, &q))
		return -2;
	v->lo_mapped = q.mapped;
	v->flags = q.flags;
	v->guard_free = aspace_query(&kernel_aspace, v->lo - 1, &q) == E_NOENT;
	v->guard_hit = fiber_guard_hit(v->lo - 1);
	v->lo_hit = fiber_guard_hit(v->lo);
	return 0;
}

static void test_stack_is_a_lazy_varea_over_a_free_guard_page(void)
{
	struct stack_view v = { 0 };
	struct fiber *f = fiber_create("look", look_at_own_stack, &v, 64 << 10);

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(fiber_join(f), 0);
	EXPECT_EQ_U(v.hi - v.lo, 64 << 10);
	EXPECT_TRUE(v.flags & VAREA_STACK);
	EXPECT_FALSE(v.lo_mapped);      /* not touched: never faulted in */
	EXPECT_TRUE(v.guard_free);
	EXPECT_TRUE(v.guard_hit);
	EXPECT_FALSE(v.lo_hit);
	/* Joined: the stack is gone. */
	EXPECT_FALSE(kstack_of(v.hi - 1, &v.lo, &v.hi));
}

static char report[8192];

static void test_overflow_is_caught_and_the_kernel_goes_on(void)
{
	uint64_t frames = heap_free_frames_settled(), nvareas = kernel_aspace.nvareas;
	struct fiber *f = fiber_create("deep", deep, NULL, 16 << 10);
	intptr_t r;

	ASSERT_NOT_NULL(f);
	console_capture_start(report, sizeof(report));
	r = fiber_join(f);
	console_capture_stop();
	EXPECT_EQ(r, FIBER_FAILED);
	EXPECT_NOT_NULL(strstr(report, "stack overflow in fiber deep"));
	EXPECT_NOT_NULL(strstr(report, "recurse+"));
	if (strchr(report, '\n'))
		*strchr(report, '\n') = '\0';
	ktest_log("%s", report);    /* the report's first line, for the log */

	/* Going on: fibers still run, and nothing of the dead one is left. */
	f = fiber_create("after", twice, (void *)4, 0);
	ASSERT_NOT_NULL(f);
	EXPECT_EQ(fiber_join(f), 8);
	EXPECT_EQ(kernel_aspace.nvareas, nvareas);
	EXPECT_EQ(heap_free_frames_settled(), frames);
}

#define MANY 1000

static struct fiber *many[MANY];

static void test_thousand_fibers_leave_nothing_behind(void)
{
	uint64_t frames = heap_free_frames_settled(), nvareas = kernel_aspace.nvareas;
	unsigned count = fiber_count();
	int wrong = 0;

	for (int i = 0; i < MANY; i++) {
		many[i] = fiber_create("many", twice, (void *)(intptr_t)i, 2 * PAGE_SIZE);
		ASSERT_NOT_NULL(many[i]);
	}
	EXPECT_EQ(kernel_aspace.nvareas, nvareas + MANY);
	EXPECT_EQ(fiber_count(), count + MANY);
	for (int i = 0; i < MANY; i++)
		wrong += fiber_join(many[i]) != 2 * i;
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(fiber_count(), count);
	EXPECT_EQ(kernel_aspace.nvareas, nvareas);
	EXPECT_EQ(heap_free_frames_settled(), frames);
	EXPECT_EQ(aspace_check(&kernel_aspace), 0);
}

/* ---- backtraces ----------------------------------------------------------- */

static intptr_t nothing(void *arg)
{
	(void)arg;
	return 0;
}

static intptr_t bt_inner(void *arg)
{
	(void)arg;
	bt_take();
	return 1;
}

static intptr_t bt_outer(void *arg)
{
	struct fiber *f = fiber_create("bt-inner", bt_inner, NULL, 0);

	(void)arg;
	return f ? fiber_join(f) + 1 : -1;
}

static const char *frame_name(int i)
{
	return bt_frame_name(pcs[i]);
}

/* The backtrace holds the frames named in @chain, in that order. */
static void expect_chain(const char *const *chain, size_t n, int line)
{
	if (!bt_has_chain(pcs, npcs, chain, (int)n))
		ktest_fail(__FILE__, line, "the backtrace lacks a frame of its chain");
}

#define EXPECT_CHAIN(...)                                                   \
	do {                                                                \
		static const char *const chain_[] = { __VA_ARGS__ };        \
		expect_chain(chain_, sizeof(chain_) / sizeof(chain_[0]), __LINE__); \
	} while (0)

static void test_backtrace_runs_from_nested_fiber_into_creators(void)
{
	struct fiber *f = fiber_create("bt-outer", bt_outer, NULL, 0);

	ASSERT_NOT_NULL(f);
	npcs = 0;
	EXPECT_EQ(fiber_join(f), 2);
	EXPECT_CHAIN("bt_inner", "fiber_main", "fiber_join", "bt_outer", "fiber_main",
	             "fiber_join", "test_backtrace_runs_from_nested_fiber_into_creators",
	             "ktest_run", "kernel_main");
}

/* Joins a child that ends, then looks at its own chain. */
static intptr_t bt_after_child(void *arg)
{
	struct fiber *f = fiber_create("child", nothing, NULL, 0);

	(void)arg;
	if (!f)
		return -1;
	fiber_join(f);   /* resumed by a fiber that ended */
	bt_take();
	return 0;
}

static void test_backtrace_survives_a_child_ending(void)
{
	struct fiber *f = fiber_create("bt-after", bt_after_child, NULL, 0);

	ASSERT_NOT_NULL(f);
	npcs = 0;
	EXPECT_EQ(fiber_join(f), 0);
	EXPECT_CHAIN("bt_after_child", "fiber_main", "fiber_join",
	             "test_backtrace_survives_a_child_ending", "kernel_main");
}

static struct fiber *ended_child;

/* Waits for ended_child while the fiber that started it runs on. */
static intptr_t bt_stale(void *arg)
{
	(void)arg;
	fiber_join(ended_child);
	bt_take();
	return 0;
}

static intptr_t yield_then_end(void *arg)
{
	(void)arg;
	fiber_yield();
	return 0;
}

static void test_backtrace_never_follows_a_stale_link(void)
{
	struct fiber *a = fiber_create("bt-stale", bt_stale, NULL, 0);

	ended_child = fiber_create("child", yield_then_end, NULL, 0);
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(ended_child);
	npcs = 0;
	/*
	 * a starts from here (its link: this yield), joins the child, which
	 * yields back here: this fiber runs on, so a's link is cut.  Then
	 * the child ends and wakes a, whose chain must end at its own stack.
	 */
	fiber_yield();
	fiber_join(a);
	ASSERT_GT(npcs, 0);
	EXPECT_CHAIN("bt_stale", "fiber_main", "arch_fiber_entry");
	EXPECT_STREQ(frame_name(npcs - 1), "arch_fiber_entry");
}

/* ---- the runner: a faulting case fails alone -------------------------------- */

static void inner_passes_first(void)
{
	EXPECT_TRUE(1);
}

/* Unmapped: the low user half, with no user address space current. */
static volatile int *volatile unmapped = (volatile int *)16;

static void inner_faults(void)
{
	*unmapped = 1;
	EXPECT_TRUE(0);    /* not reached: the trap ends the case */
}

static void inner_passes_after_a_fault(void)
{
	EXPECT_EQ(twice((void *)3), 6);
}

static void inner_overflows(void)
{
	recurse(0);
}

static void inner_fails_an_assert(void)
{
	ASSERT_EQ(1, 2);
	EXPECT_TRUE(0);    /* not reached */
}

static void inner_passes_last(void)
{
	EXPECT_TRUE(1);
}

static const struct ktest_case inner_cases[] = {
	KTEST_CASE(inner_passes_first),
	KTEST_CASE(inner_faults),
	KTEST_CASE(inner_passes_after_a_fault),
	KTEST_CASE(inner_overflows),
	KTEST_CASE(inner_fails_an_assert),
	KTEST_CASE(inner_passes_last),
};

/* Not registered: only the case below runs it, expecting three failures. */
static const struct ktest_suite inner_suite = {
	"runner_inner", inner_cases, sizeof(inner_cases) / sizeof(inner_cases[0]),
};

static char inner_out[32768];

static void expect_line(const char *line)
{
	const char *p = inner_out;
	size_t n = strlen(line);

	/* A whole line: preceded by a newline, followed by one. */
	while ((p = strstr(p, line)) && (p == inner_out || p[-1] != '\n' || p[n] != '\n'))
		p++;
	if (!p)
		ktest_fail(__FILE__, __LINE__, "inner run printed no line \"%s\"", line);
}

static void test_runner_fails_a_faulting_case_alone(void)
{
	size_t len;
	int failed;

	console_capture_start(inner_out, sizeof(inner_out));
	failed = ktest_run_suite(&inner_suite);
	len = console_capture_stop();
	ASSERT_LT(len, sizeof(inner_out));
	EXPECT_EQ(failed, 3);
	expect_line("  ok 1 inner_passes_first");
	expect_line("  not ok 2 inner_faults");
	expect_line("  ok 3 inner_passes_after_a_fault");
	expect_line("  not ok 4 inner_overflows");
	expect_line("  not ok 5 inner_fails_an_assert");
	expect_line("  ok 6 inner_passes_last");
	expect_line("# runner_inner: pass:3 fail:3 skip:0 total:6");
	EXPECT_NOT_NULL(strstr(inner_out, "stack overflow in fiber inner_overflows"));
	EXPECT_NOT_NULL(strstr(inner_out, "TRAP: "));
	EXPECT_NOT_NULL(strstr(inner_out, "expected 1 == 2"));
	EXPECT_TRUE(ktest_in_case());   /* the runner's state came back */
}

KTEST_SUITE(fiber,
	KTEST_CASE(test_switches_keep_callee_saved_registers),
	KTEST_CASE(test_yield_runs_fibers_in_turn),
	KTEST_CASE(test_join_returns_the_result),
	KTEST_CASE(test_self_names_the_running_fiber),
	KTEST_CASE(test_stack_is_a_lazy_varea_over_a_free_guard_page),
	KTEST_CASE(test_overflow_is_caught_and_the_kernel_goes_on),
	KTEST_CASE(test_thousand_fibers_leave_nothing_behind),
	KTEST_CASE(test_backtrace_runs_from_nested_fiber_into_creators),
	KTEST_CASE(test_backtrace_survives_a_child_ending),
	KTEST_CASE(test_backtrace_never_follows_a_stale_link),
	KTEST_CASE(test_runner_fails_a_faulting_case_alone));
