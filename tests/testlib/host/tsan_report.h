/*
 * ThreadSanitizer reports as test failures (tsan_report.c).  In a
 * -fsanitize=thread build the runtime writes its reports to
 * $KTEST_TSAN_REPORT.<pid> (default ./tsan-report.<pid>) instead of
 * stderr, which keeps the KTAP log well formed, and after every case the
 * host's invariant check (arch/fake/fake_ram.c) asks here whether the
 * file grew: if it did, the case fails and the new reports are printed
 * as its diagnostics.  In other builds there is nothing to report.
 */
#ifndef TESTS_HOST_TSAN_REPORT_H
#define TESTS_HOST_TSAN_REPORT_H

/* Nonzero when reports came since the last call (printed as diagnostics). */
int tsan_new_reports(void);

#endif
