/*
 * panic() for the host unit tests: the same contract as the kernel's
 * (kernel/trap/panic.c) with the host's exits.  An expected panic goes back to
 * its EXPECT_PANIC; an unexpected one inside a case fails that case alone,
 * like in the kernel; outside a case it aborts the run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <lib/ktest.h>
#include <lib/panic.h>

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	panic_report(fmt, ap);
	va_end(ap);
	if (ktest_in_case())
		ktest_trap_abort();
	fflush(stdout);
	abort();
}
