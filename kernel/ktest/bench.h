/*
 * Benchmarks counted in retired instructions (exact under QEMU -icount).
 *
 * A case measures one operation per call: it sets up, reads the counter
 * around the operation with bench_start()/bench_stop(), tears down.  The
 * runner repeats it, takes the median, subtracts the cost of an empty
 * measurement and prints it beside the case's lower bound (another case,
 * e.g. clearing one page), measured in the same boot.  Cases register from
 * their own files:
 *
 *	static uint64_t bench_foo(void) { ...; bench_start(); op(); return bench_stop(); }
 *	BENCH(foo, "clear_page", bench_foo);
 */
#ifndef KTEST_BENCH_H
#define KTEST_BENCH_H

#include <stdint.h>

struct bench_case {
	const char *name;
	const char *bound;       /* name of the bound case, or NULL */
	uint64_t (*run)(void);   /* instructions of one operation, raw */
};

#define BENCH(bname, bbound, bfn)                                           \
	static const struct bench_case bench_case_##bname                       \
		__attribute__((used, section("bench_cases"), aligned(8))) =         \
		{ #bname, bbound, bfn }

/*
 * A sweep: a run that prints its own figures (lines of its own format,
 * e.g. many sizes of one operation).  Runs only when the spec names it
 * ("all" alone does not: sweeps are long): bench=all,<sweep>.
 */
struct bench_sweep {
	const char *name;
	void (*run)(void);
};

#define BENCH_SWEEP(bname, bfn)                                             \
	static const struct bench_sweep bench_sweep_##bname                     \
		__attribute__((used, section("bench_sweeps"), aligned(8))) =        \
		{ #bname, bfn }

void bench_start(void);
uint64_t bench_stop(void);

/*
 * Run the cases named in @spec ("all" or "a,b", "all" standing for every
 * case) and print the table and one "bench: ..." line per case, then the
 * sweeps it names.  Returns 0, or -1 when the counter is
 * unavailable or a name is unknown.
 */
int bench_run(const char *spec);

#endif
