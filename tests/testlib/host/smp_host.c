/*
 * The kernel's calls on other CPUs (<boot/smp.h>), on the host: a call on
 * another CPU is a thread that becomes that CPU, runs it and ends
 * (smp_host.h).  Only the case's CPU starts and waits for calls.
 */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <lib/panic.h>
#include "fake_arch.h"
#include "fake_usercopy.h"
#include "smp_host.h"

/* The call each CPU runs, and its thread (the case's CPU's only). */
static struct cpu_call {
	pthread_t thread;
	struct smp_call *call;
} running[CPU_MAX];

/* Calls that left their CPU with interrupts masked or user access open (atomic). */
static unsigned left_dirty;

static void *cpu_main(void *arg)
{
	struct cpu_call *cc = arg;
	struct smp_call *call = cc->call;

	fake_cpu_enter((unsigned)(cc - running));
	call->fn(call->arg);
	if (!fake_irq_enabled() || fake_user_access_open())
		__atomic_fetch_add(&left_dirty, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&call->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void join(unsigned cpu)
{
	if (!running[cpu].call)
		return;
	if (pthread_join(running[cpu].thread, NULL))
		panic("smp_host: cannot join CPU %u's thread", cpu);
	running[cpu].call = NULL;
}

unsigned smp_online(void)
{
	return cpu_count;
}

int smp_call_start(unsigned cpu, struct smp_call *call, void (*fn)(void *arg), void *arg)
{
	if (cpu >= cpu_count)
		return E_NOENT;
	call->fn = fn;
	call->arg = arg;
	call->done = 0;
	if (cpu == cpu_num()) {
		fn(arg);
		__atomic_store_n(&call->done, 1, __ATOMIC_RELEASE);
		return E_OK;
	}
	join(cpu);   /* one call at a time per CPU */
	running[cpu].call = call;
	if (pthread_create(&running[cpu].thread, NULL, cpu_main, &running[cpu]))
		panic("smp_host: cannot start a thread for CPU %u", cpu);
	return E_OK;
}

void smp_call_wait(struct smp_call *call)
{
	for (unsigned c = 0; c < CPU_MAX; c++)
		if (running[c].call == call) {
			join(c);
			return;
		}
	while (!__atomic_load_n(&call->done, __ATOMIC_ACQUIRE))
		smp_host_relax();
}

void smp_host_up(unsigned n)
{
	if (!n || n > CPU_MAX)
		panic("smp_host_up: %u CPUs", n);
	fake_cpu_enter(0);
	__atomic_store_n(&left_dirty, 0, __ATOMIC_RELAXED);
	fake_cpus_online(n);
}

void smp_host_down(void)
{
	unsigned dirty;

	for (unsigned c = 0; c < CPU_MAX; c++)
		join(c);
	dirty = __atomic_load_n(&left_dirty, __ATOMIC_RELAXED);
	if (dirty)
		ktest_fail(__FILE__, __LINE__, "%u calls left their CPU with interrupts masked "
		           "or user access open", dirty);
	fake_cpus_online(1);
}

void smp_host_relax(void)
{
	sched_yield();
}

unsigned smp_host_each_calls;

int smp_host_run_as_each(void (*fn)(void *arg), void *arg)
{
	unsigned self = cpu_num();

	smp_host_each_calls++;
	for (unsigned c = 0; c < SMP_HOST_EACH; c++) {
		fake_cpu_enter(c);
		fn(arg);
	}
	fake_cpu_enter(self);
	return SMP_HOST_EACH;
}
