/* The trap path: a deliberate trap is decoded, caught and resumed. */
#include <string.h>
#include <arch/arch.h>
#include <trap/backtrace.h>
#include <lib/ktest.h>
#include <arch/trap.h>

/* The trap was decoded into @kind at a pc inside @fn. */
static void expect_caught_in(enum trap_kind kind, const char *fn)
{
	struct trap_info ti;
	uintptr_t off;

	ASSERT_TRUE(trap_caught(&ti));
	EXPECT_EQ(ti.kind, kind);
	const char *name = ksym_lookup(ti.pc, &off);
	ASSERT_NOT_NULL(name);
	EXPECT_STREQ(name, fn);
}

static void test_breakpoint_caught_and_resumed(void)
{
	volatile int after = 0;

	trap_expect(TRAP_BREAKPOINT);
	arch_test_breakpoint();
	after = 1;   /* only reached when the handler resumed past it */
	EXPECT_EQ(after, 1);
	expect_caught_in(TRAP_BREAKPOINT, "arch_test_breakpoint");
}

static void test_illegal_instruction_caught_and_resumed(void)
{
	volatile int after = 0;

	trap_expect(TRAP_ILLEGAL);
	arch_test_illegal();
	after = 1;
	EXPECT_EQ(after, 1);
	expect_caught_in(TRAP_ILLEGAL, "arch_test_illegal");
}

static void test_registers_survive_a_trap(void)
{
	/* Values live across the trap in callee- and caller-saved registers
	 * (the compiler keeps them in registers around the call). */
	volatile double f = 1.5;
	uint64_t a = 0x1111222233334444ull, b = 0x5555666677778888ull;
	double g = f * 3.0;

	trap_expect(TRAP_BREAKPOINT);
	arch_test_breakpoint();
	EXPECT_TRUE(trap_caught(NULL));
	EXPECT_EQ_U(a ^ b, 0x1111222233334444ull ^ 0x5555666677778888ull);
	EXPECT_TRUE(g == 4.5);
}

static void test_catcher_is_one_shot(void)
{
	trap_expect(TRAP_BREAKPOINT);
	arch_test_breakpoint();
	EXPECT_TRUE(trap_caught(NULL));
	/* Consumed: nothing is pending any more. */
	EXPECT_FALSE(trap_caught(NULL));
}

KTEST_SUITE(trap,
	KTEST_CASE(test_breakpoint_caught_and_resumed),
	KTEST_CASE(test_illegal_instruction_caught_and_resumed),
	KTEST_CASE(test_registers_survive_a_trap),
	KTEST_CASE(test_catcher_is_one_shot));
