/* The benchmark runner (see kernel/ktest/bench.h). */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <ktest/bench.h>
#include <lib/names.h>

extern const struct bench_case __start_bench_cases[], __stop_bench_cases[];
extern const struct bench_sweep __start_bench_sweeps[], __stop_bench_sweeps[];

#define REPEATS 11

static uint64_t t0;

/* Out of line, so the empty measurement pays the same calls every case does. */
__attribute__((noinline)) void bench_start(void)
{
	t0 = arch_insn_count();
}

/* 32-bit difference: the aarch64 PMU event counter is 32 bits wide. */
__attribute__((noinline)) uint64_t bench_stop(void)
{
	return (uint32_t)(arch_insn_count() - t0);
}

static uint64_t empty_case(void)
{
	bench_start();
	return bench_stop();
}

static uint64_t median(uint64_t (*run)(void))
{
	uint64_t v[REPEATS];

	for (int i = 0; i < REPEATS; i++) {
		uint64_t x = run();
		int j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[REPEATS / 2];
}

static const struct bench_case *find(const char *name)
{
	for (const struct bench_case *c = __start_bench_cases; c < __stop_bench_cases; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* A case is wanted when @spec names it or says "all" (alone or in a list). */
static int case_wanted(const char *spec, const char *name)
{
	return name_in_list(spec, "all") || name_in_list(spec, name);
}

/* A sweep only when named: name_in_list() takes a bare "all" for everything. */
static int sweep_wanted(const char *spec, const char *name)
{
	return strcmp(spec, "all") && name_in_list(spec, name);
}

int bench_run(const char *spec)
{
	uint64_t empty, result[64];
	const struct bench_case *c;
	int n = (int)(__stop_bench_cases - __start_bench_cases);

	if (arch_insn_counter_init()) {
		printf("bench: no instruction counter readable here\n");
		return -1;
	}
	if (n > 64)
		n = 64;
	empty = median(empty_case);
	for (int i = 0; i < n; i++) {
		c = &__start_bench_cases[i];
		/* Only what was asked for, and the bounds it is shown beside. */
		int wanted = case_wanted(spec, c->name);

		for (int j = 0; j < n && !wanted; j++)
			wanted = case_wanted(spec, __start_bench_cases[j].name) &&
			         __start_bench_cases[j].bound &&
			         !strcmp(__start_bench_cases[j].bound, c->name);
		uint64_t m = wanted ? median(c->run) : 0;

		result[i] = m > empty ? m - empty : 0;
	}
	printf("bench: %s, instructions per operation (median of %d, empty "
	       "measurement of %llu subtracted)\n", ARCH_NAME, REPEATS,
	       (unsigned long long)empty);
	printf("  %-24s %10s  %-14s %10s  %7s\n", "operation", "insns", "bound",
	       "bound", "ratio");
	for (int i = 0; i < n; i++) {
		c = &__start_bench_cases[i];
		if (!case_wanted(spec, c->name))
			continue;
		const struct bench_case *b = c->bound ? find(c->bound) : NULL;
		uint64_t bi = b ? result[b - __start_bench_cases] : 0;

		if (b && bi)
			printf("  %-24s %10llu  %-14s %10llu  %7.2f\n", c->name,
			       (unsigned long long)result[i], b->name, (unsigned long long)bi,
			       (double)result[i] / (double)bi);
		else
			printf("  %-24s %10llu  %-14s %10s  %7s\n", c->name,
			       (unsigned long long)result[i], "-", "-", "-");
	}
	for (int i = 0; i < n; i++) {
		c = &__start_bench_cases[i];
		if (!case_wanted(spec, c->name))
			continue;
		const struct bench_case *b = c->bound ? find(c->bound) : NULL;

		printf("bench: arch=%s op=%s insns=%llu bound=%s bound_insns=%llu\n",
		       ARCH_NAME, c->name, (unsigned long long)result[i],
		       b ? b->name : "none",
		       (unsigned long long)(b ? result[b - __start_bench_cases] : 0));
	}
	for (const struct bench_sweep *w = __start_bench_sweeps; w < __stop_bench_sweeps; w++)
		if (sweep_wanted(spec, w->name))
			w->run();
	return 0;
}
