/*
 * panic(): an invariant broke (a double free, a corrupted list, a
 * refcount underflow).  Not for errors a caller can handle: those are
 * returned as E_* codes.
 *
 * The kernel prints "PANIC: <message>" and a backtrace, then ends the
 * running self-test case as failed (the runner goes on) or, outside the
 * self-tests, powers off with a failure status.  A test that provokes a
 * panic on purpose wraps the call in EXPECT_PANIC() (lib/include/lib/ktest.h): the
 * panic then returns control to the test instead.  Code that panics while
 * holding a lock must drop the lock first, so a caught panic leaves the
 * system usable.
 */
#ifndef LIB_PANIC_H
#define LIB_PANIC_H

#include <stdarg.h>

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/*
 * The first half of every panic(), shared by the kernel's
 * (kernel/trap/panic.c) and the host's (tests/testlib/host/panic.c):
 * format the message, print "PANIC: <message>", and hand it to the test
 * runner, which goes back to an EXPECT_PANIC that waits for it (and then
 * does not return).  Returns when no test expects the panic; the caller
 * then stops in its own way.
 */
void panic_report(const char *fmt, va_list ap);

#endif
