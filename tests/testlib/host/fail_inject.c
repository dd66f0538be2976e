/* Allocation-failure injection for the host tests (fail_inject.h). */
#include <mm/fail_inject.h>
#include "fail_inject.h"

static uint64_t calls, fail_from;   /* fail_from: the call number to fail, 0 none */
static int sticky_;
static unsigned fired;

int alloc_fail_injected(void)
{
	calls++;
	if (!fail_from || calls < fail_from || (calls > fail_from && !sticky_))
		return 0;
	fired++;
	return 1;
}

void fail_inject_at(unsigned n, int sticky)
{
	fail_from = n ? calls + n : 0;
	sticky_ = sticky;
	fired = 0;
}

unsigned fail_inject_fired(void)
{
	return fired;
}

uint64_t fail_inject_calls(void)
{
	return calls;
}
