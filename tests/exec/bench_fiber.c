/* Benchmark of a fiber switch: one fiber_yield() from A until B runs. */
#include <ktest/bench.h>
#include <exec/fiber.h>

static volatile int stop;
static volatile int measuring;
static uint64_t one_switch;

/* B: wherever its yield returns, the switch from A has ended. */
static intptr_t partner(void *arg)
{
	(void)arg;
	while (!stop) {
		fiber_yield();
		if (measuring) {
			one_switch = bench_stop();
			measuring = 0;
		}
	}
	return 0;
}

/*
 * From A's call of fiber_yield() to B's return from its own: the run
 * queue work, the register switch and the stack-limit update, all of it.
 */
static uint64_t bench_fiber_switch(void)
{
	struct fiber *b = fiber_create("bench-partner", partner, NULL, 0);

	if (!b)
		return 0;
	stop = 0;
	fiber_yield();            /* B starts and parks in its yield */
	measuring = 1;
	bench_start();
	fiber_yield();
	stop = 1;
	fiber_join(b);
	return one_switch;
}
BENCH(fiber_switch, NULL, bench_fiber_switch);
