/*
 * Benchmarks of FFI trampolines: a call through one against a direct call
 * of the same target, and creating plus deleting one.
 */
#include <ktest/bench.h>
#include <exec/tramp.h>

static long __attribute__((noinline)) bench_target(void *ctx, long x)
{
	return (long)(uintptr_t)ctx + x;
}

typedef long (*call2_fn)(void *, long);

/*
 * One measured call of @f(@a, @b).  Both cases go through this very code,
 * so their difference is exactly what the trampoline adds: the slot, the
 * stub (argument shift, spill, frame, call) and its return.  A trampoline
 * passed as @f hands bench_target (ctx, @a, @b), which ignores @b.
 */
static uint64_t __attribute__((noinline)) measure_call(call2_fn f, void *a, long b)
{
	uint64_t n;

	bench_start();
	f(a, b);
	n = bench_stop();
	return n;
}

static uint64_t bench_tramp_call(void)
{
	tramp_fn t = tramp_create((tramp_fn)bench_target, (void *)3, NULL);
	uint64_t n;

	if (!t)
		return 0;
	measure_call((call2_fn)t, (void *)1, 0);     /* warm */
	n = measure_call((call2_fn)t, (void *)1, 0);
	tramp_delete(t);
	return n;
}
BENCH(tramp_call, "direct_call", bench_tramp_call);

static uint64_t bench_direct_call(void)
{
	measure_call(bench_target, (void *)3, 1);
	return measure_call(bench_target, (void *)3, 1);
}
BENCH(direct_call, NULL, bench_direct_call);

static uint64_t bench_tramp_create_delete(void)
{
	uint64_t n;
	tramp_fn t;

	bench_start();
	t = tramp_create((tramp_fn)bench_target, (void *)3, NULL);
	tramp_delete(t);
	n = bench_stop();
	return n;
}
BENCH(tramp_create_delete, NULL, bench_tramp_create_delete);
