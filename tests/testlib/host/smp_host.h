/*
 * Several CPUs on the host, for the stress suites
 * (tests/<module>/<name>_smp_host.c and <name>_smp_both.c):
 * each CPU other than the case's own is a POSIX thread that enters it
 * (fake_cpu_enter()) and runs one call.  The calls are the kernel's
 * (<boot/smp.h>: smp_call_start(), smp_call_wait(), smp_run_everywhere(),
 * smp_online()), implemented in smp_host.c with a thread per call, so a
 * host suite drives its CPUs the way the kernel's suites do.
 *
 * A call runs with no case of its own: it must not use ASSERT_* or
 * ktest_skip() (they would unwind the case's stack from another thread);
 * count failures in atomics and check them on the case's CPU, as the
 * kernel suites do.  A panic on such a CPU ends the run.
 */
#ifndef TESTS_HOST_SMP_HOST_H
#define TESTS_HOST_SMP_HOST_H

#include <boot/smp.h>

/*
 * Bring CPUs 0 .. @n - 1 (@n <= CPU_MAX) online for the running case; the
 * calling thread is CPU 0, the case's CPU.
 */
void smp_host_up(unsigned n);

/*
 * Wait for every call still running, check that each CPU ended its calls
 * with interrupts enabled and user access closed (the case fails if
 * not), and go back to one CPU.
 */
void smp_host_down(void);

/*
 * An every-CPU call for one thread (mm_set_every_cpu_call()): be each of
 * CPUs 0 .. SMP_HOST_EACH - 1 in turn (fake_cpu_enter()), run @fn(@arg)
 * there, come back to the caller's CPU.  Counts its calls in
 * smp_host_each_calls.  Returns SMP_HOST_EACH.
 */
#define SMP_HOST_EACH 4
extern unsigned smp_host_each_calls;
int smp_host_run_as_each(void (*fn)(void *arg), void *arg);

/* Let another thread run: spin-waits on a host with fewer cores than CPUs. */
void smp_host_relax(void);

#endif
