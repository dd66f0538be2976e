/*
 * Allocation-failure injection for the host tests (fail_inject.h).
 * Every CPU's allocations count (atomically, so the stress suites' CPUs
 * may allocate at once); arming it is for single-CPU tests.
 */
#include <mm/fail_inject.h>
#include "fail_inject.h"

static uint64_t calls;       /* atomic */
static uint64_t fail_from;   /* the call number to fail, 0 none (set while one CPU runs) */
static int sticky_;
static unsigned fired;       /* atomic */

int alloc_fail_injected(void)
{
	uint64_t n = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);

	if (!fail_from || n < fail_from || (n > fail_from && !sticky_))
		return 0;
	__atomic_fetch_add(&fired, 1, __ATOMIC_RELAXED);
	return 1;
}

void fail_inject_at(unsigned n, int sticky)
{
	fail_from = n ? __atomic_load_n(&calls, __ATOMIC_RELAXED) + n : 0;
	sticky_ = sticky;
	__atomic_store_n(&fired, 0, __ATOMIC_RELAXED);
}

unsigned fail_inject_fired(void)
{
	return __atomic_load_n(&fired, __ATOMIC_RELAXED);
}

uint64_t fail_inject_calls(void)
{
	return __atomic_load_n(&calls, __ATOMIC_RELAXED);
}
