/*
 * Benchmarks of calls on another stack and of resuming a fiber: a call
 * of the same function directly, on this CPU's system stack and on a
 * given stack, each measured through the same shape of code; a
 * resume + suspend round trip.
 */
#include <ktest/bench.h>
#include <exec/fiber.h>
#include <exec/kstack.h>

static volatile intptr_t sink;

static intptr_t __attribute__((noipa)) stack_target(void *arg)
{
	return (intptr_t)arg + 1;
}

static uint64_t __attribute__((noipa)) measure_direct(intptr_t (*fn)(void *), void *arg)
{
	uint64_t n;

	bench_start();
	sink = fn(arg);
	n = bench_stop();
	return n;
}

static uint64_t __attribute__((noipa)) measure_system(intptr_t (*fn)(void *), void *arg)
{
	uint64_t n;

	bench_start();
	sink = kstack_call_system(fn, arg);
	n = bench_stop();
	return n;
}

static uint64_t __attribute__((noipa)) measure_given(struct kstack *s,
                                                        intptr_t (*fn)(void *), void *arg)
{
	intptr_t r;
	uint64_t n;

	bench_start();
	kstack_call(s, fn, arg, &r);
	n = bench_stop();
	return n;
}

static uint64_t bench_stack_direct_call(void)
{
	measure_direct(stack_target, (void *)1);
	return measure_direct(stack_target, (void *)1);
}
BENCH(stack_direct_call, NULL, bench_stack_direct_call);

static uint64_t bench_stack_call_system(void)
{
	measure_system(stack_target, (void *)1);
	return measure_system(stack_target, (void *)1);
}
BENCH(stack_call_system, "stack_direct_call", bench_stack_call_system);

static uint64_t bench_stack_call_given(void)
{
	struct kstack *s = kstack_create(0);
	uint64_t n;

	if (!s)
		return 0;
	measure_given(s, stack_target, (void *)1);
	n = measure_given(s, stack_target, (void *)1);
	kstack_destroy(s);
	return n;
}
BENCH(stack_call_given, "stack_direct_call", bench_stack_call_given);

/* Suspends with what it got until it gets a negative value. */
static intptr_t suspend_until_negative(void *arg)
{
	intptr_t v = (intptr_t)arg;

	while ((v = fiber_suspend(v)) >= 0)
		;
	return 0;
}

/* One fiber_resume() that runs the fiber to its next fiber_suspend() and back. */
static uint64_t bench_resume_suspend(void)
{
	struct fiber *f = fiber_create_flags("bench-resume", suspend_until_negative, NULL, 0,
	                                     FIBER_SUSPENDED);
	intptr_t out;
	uint64_t n;

	if (!f)
		return 0;
	fiber_resume(f, 0, &out);          /* starts it */
	fiber_resume(f, 0, &out);          /* warm */
	bench_start();
	fiber_resume(f, 0, &out);
	n = bench_stop();
	fiber_resume(f, -1, &out);         /* it ends */
	fiber_join(f);
	return n;
}
BENCH(resume_suspend, "fiber_switch", bench_resume_suspend);
