/*
 * A program's FP registers against the kernel's own FP use: trap entry
 * saves no FP register (a process thread's stay live until its fiber
 * switches), so kernel code that computes with doubles on another fiber
 * of the same CPU, between the program's system calls, must not reach
 * them.  tests/user/progs/regs.c holds a pattern in every FP register
 * across sched_yield calls and exits 1 when one changed; this fiber runs
 * an FFI trampoline call with eight double arguments between each of
 * them.  (Built with FP: the Makefile's FP_SRCS.)
 */
#include <arch/cpu.h>
#include <exec/fiber.h>
#include <exec/tramp.h>
#include <lib/ktest.h>
#include <proc/proc.h>

static double weigh8(void *c, double a, double b, double d, double e, double f, double g,
                     double h, double i)
{
	return (double)(uintptr_t)c + a + 2 * b + 4 * d + 8 * e + 16 * f + 32 * g + 64 * h +
	       128 * i;
}

static void test_kernel_fp_between_user_traps(void)
{
	const struct user_prog *prog = user_prog_find("regs");
	char *argv[] = { "regs", "yield", "200", NULL };
	struct tramp_owner o = { 0 };
	tramp_fn t = tramp_create((tramp_fn)weigh8, (void *)3, &o);
	double (*call)(double, double, double, double, double, double, double, double) =
		(double (*)(double, double, double, double, double, double, double, double))t;
	struct session *s;
	unsigned calls = 0, wrong = 0;

	if (!prog)
		ktest_skip("program not embedded");
	ASSERT_TRUE(t != NULL);
	ASSERT_OK(proc_spawn(prog, argv, NULL, cpu_num(), 0, &s));
	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) {
		double x = calls * 0.5;

		if (call(x, x + 1, x + 2, x + 3, x + 4, x + 5, x + 6, x + 7) !=
		    weigh8((void *)3, x, x + 1, x + 2, x + 3, x + 4, x + 5, x + 6, x + 7))
			wrong++;
		calls++;
		fiber_yield();
	}
	EXPECT_EQ(proc_session_wait(s), 0);   /* exited 0: every register kept */
	proc_session_free(s);
	EXPECT_EQ(wrong, 0);
	EXPECT_GT(calls, 100);   /* the calls ran between the program's yields */
	EXPECT_EQ(tramp_delete_all(&o), 1);
}

KTEST_SUITE(proc_fp,
	KTEST_CASE(test_kernel_fp_between_user_traps),
);
