/*
 * panic() in the kernel: report, then end the self-test case or the
 * machine.  See lib/include/lib/panic.h for when to panic.
 */
#include <stdarg.h>
#include <stdio.h>
#include <arch/cpu.h>
#include <trap/backtrace.h>
#include <lib/ktest.h>
#include <lib/panic.h>
#include <drivers/power.h>

/* Nonzero while a panic is being reported: a second one must not recurse. */
static int panicking;

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	panic_report(fmt, ap);
	va_end(ap);

	if (panicking++) {
		printf("PANIC while panicking: stopping\n");
		power_off(POWER_FAILURE);
	}
	backtrace_here();
	if (ktest_in_case()) {
		panicking = 0;
		ktest_trap_abort();   /* the case fails alone; the runner goes on */
	}
	printf("panic: stopping (cpu %u)\n", cpu_num());
	power_off(POWER_FAILURE);
}
