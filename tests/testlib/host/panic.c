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
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("PANIC: %s\n", msg);
	ktest_panic_hook(msg);
	if (ktest_in_case())
		ktest_trap_abort();
	fflush(stdout);
	abort();
}
