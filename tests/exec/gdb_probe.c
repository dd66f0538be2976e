/*
 * The scene the debugger check stops in (tools/gdb_check.py, in make
 * test): a fiber that starts a fiber that calls, through an FFI
 * trampoline, gdb_probe_target().  gdb breaks there and its `bt` must
 * walk back through the trampoline stub, both fibers' switches and into
 * this case and the runner.  Then a trap in a fiber: gdb stops in
 * trap_dispatch() and walks through trap entry into the trapping code.
 * Here they only run, and check their results.
 */
#include <arch/arch.h>
#include <arch/trap.h>
#include <exec/fiber.h>
#include <exec/tramp.h>
#include <lib/ktest.h>

long gdb_probe_target(void *ctx, long x);

long __attribute__((noinline)) gdb_probe_target(void *ctx, long x)
{
	return (long)(uintptr_t)ctx * 100 + x;
}

/* No sibling calls: each function keeps its frame, and the debugger's bt shows it. */
#define KEEP_FRAME __attribute__((noinline, optimize("no-optimize-sibling-calls")))

static KEEP_FRAME intptr_t gdb_probe_inner(void *t)
{
	return ((long (*)(long))(tramp_fn)t)(7);
}

static KEEP_FRAME intptr_t gdb_probe_outer(void *t)
{
	struct fiber *f = fiber_create("gdb-inner", gdb_probe_inner, t, 0);

	return f ? fiber_join(f) : -1;
}

static KEEP_FRAME void test_nested_fiber_calls_through_a_trampoline(void)
{
	tramp_fn t = tramp_create((tramp_fn)gdb_probe_target, (void *)3, NULL);
	struct fiber *f;

	ASSERT_NOT_NULL(t);
	f = fiber_create("gdb-outer", gdb_probe_outer, t, 0);
	ASSERT_NOT_NULL(f);
	EXPECT_EQ(fiber_join(f), 307);
	EXPECT_OK(tramp_delete(t));
}

/* A trap taken in a fiber: gdb stops in trap_dispatch() and walks back through trap entry. */
static KEEP_FRAME intptr_t gdb_probe_trapper(void *arg)
{
	struct trap_info ti;

	(void)arg;
	trap_expect(TRAP_ILLEGAL);
	arch_test_illegal();
	return trap_caught(&ti) && ti.kind == TRAP_ILLEGAL;
}

static KEEP_FRAME void test_trap_in_a_fiber(void)
{
	struct fiber *f = fiber_create("gdb-trap", gdb_probe_trapper, NULL, 0);

	ASSERT_NOT_NULL(f);
	EXPECT_EQ(fiber_join(f), 1);
}

KTEST_SUITE(gdb_probe,
	KTEST_CASE(test_nested_fiber_calls_through_a_trampoline),
	KTEST_CASE(test_trap_in_a_fiber));
