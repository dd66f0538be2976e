/* The shared first half of panic() (lib/include/lib/panic.h). */
#include <stdio.h>
#include <lib/ktest.h>
#include <lib/panic.h>

void panic_report(const char *fmt, va_list ap)
{
	char msg[200];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	printf("PANIC: %s\n", msg);
	ktest_panic_hook(msg);   /* returns only when no test expects it */
}
