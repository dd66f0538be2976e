/*
 * Fibers and trampolines on every CPU: fibers created for each CPU run
 * there and are joined from another; futures and resumes cross CPUs;
 * async callbacks are called from every CPU at once into one fiber that
 * serves them; trampolines are created and deleted on every CPU at once.
 * Each case needs at least two CPUs online and skips otherwise.
 */
#include <string.h>
#include <arch/cpu.h>
#include <boot/smp.h>
#include <exec/fiber.h>
#include <exec/kstack.h>
#include <exec/tramp.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/aspace.h>

static void need_cpus(unsigned n)
{
	if (smp_online() < n)
		ktest_skip("needs more CPUs online");
}

static intptr_t report_cpu(void *arg)
{
	/* A call on the system stack too: every CPU has one. */
	return (intptr_t)cpu_num() * 100 + (intptr_t)arg;
}

static intptr_t on_cpu_main(void *arg)
{
	return kstack_call_system(report_cpu, arg);
}

static void test_fibers_run_on_the_cpu_they_were_made_for(void)
{
	struct fiber *f[CPU_MAX] = { 0 };
	unsigned n = smp_online();

	need_cpus(2);
	for (unsigned c = 0; c < n; c++) {
		f[c] = fiber_create_on(c, "on-cpu", on_cpu_main, (void *)(uintptr_t)(c + 1), 0,
		                       FIBER_POPULATE);
		ASSERT_NOT_NULL(f[c]);
		EXPECT_EQ(fiber_cpu(f[c]), c);
	}
	for (unsigned c = 0; c < n; c++)
		EXPECT_EQ(fiber_join(f[c]), (intptr_t)c * 100 + c + 1);
	EXPECT_NULL(fiber_create_on(CPU_MAX, "none", on_cpu_main, NULL, 0, 0));
	if (n < CPU_MAX)
		EXPECT_NULL(fiber_create_on(n, "offline", on_cpu_main, NULL, 0, 0));
	EXPECT_NULL(fiber_create_on(0, "bad flags", on_cpu_main, NULL, 0, 1u << 7));
}

/* ---- futures and resumes across CPUs --------------------------------------------- */

#define ROUNDS 50

struct ping {
	struct fiber_future to_remote[ROUNDS];
	struct fiber_future to_local[ROUNDS];
};

static intptr_t pong(void *arg)
{
	struct ping *p = arg;
	intptr_t sum = 0;

	for (int i = 0; i < ROUNDS; i++) {
		intptr_t v = fiber_block_on(&p->to_remote[i]);

		sum += v;
		fiber_future_set(&p->to_local[i], v + 1);
	}
	return sum;
}

static struct ping ping;

static void test_futures_cross_cpus(void)
{
	struct fiber *f;
	int wrong = 0;

	need_cpus(2);
	memset(&ping, 0, sizeof(ping));
	f = fiber_create_on(1, "pong", pong, &ping, 0, FIBER_POPULATE);
	ASSERT_NOT_NULL(f);
	for (int i = 0; i < ROUNDS; i++) {
		EXPECT_OK(fiber_future_set(&ping.to_remote[i], i));
		wrong += fiber_block_on(&ping.to_local[i]) != i + 1;
	}
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(fiber_join(f), ROUNDS * (ROUNDS - 1) / 2);
}

/* Suspends with the sum of the last two values it got; ends on a negative one. */
static intptr_t counter(void *arg)
{
	intptr_t prev = 0, in = (intptr_t)arg;

	for (;;) {
		if (cpu_num() != 2)
			return -1;
		intptr_t next = fiber_suspend(in + prev);

		if (next < 0)
			return in;
		prev = in;
		in = next;
	}
}

static void test_resume_a_fiber_of_another_cpu(void)
{
	struct fiber *f;
	intptr_t out = 0;
	int wrong = 0;

	need_cpus(3);
	f = fiber_create_on(2, "counter", counter, (void *)0, 0, FIBER_SUSPENDED);
	ASSERT_NOT_NULL(f);
	EXPECT_EQ(fiber_resume(f, 0, &out), 0);
	EXPECT_EQ(out, 0);
	for (intptr_t i = 1; i <= ROUNDS; i++)
		wrong += fiber_resume(f, i, &out) != 0 || out != 2 * i - 1;
	EXPECT_EQ(wrong, 0);
	EXPECT_EQ(fiber_resume(f, -1, &out), 1);
	EXPECT_EQ(out, ROUNDS);
	EXPECT_EQ(fiber_join(f), ROUNDS);
}

/* ---- async callbacks from every CPU ------------------------------------------------ */

#define CALLS_PER_CPU 100

static unsigned async_seen, async_bad;

static long count_call(void *ctx, long cpu, long i)
{
	(void)ctx;
	async_seen++;                    /* only the serving fiber writes it */
	async_bad += cpu < 0 || cpu >= CPU_MAX || i < 0 || i >= CALLS_PER_CPU;
	return 0;
}

static struct fiber_future go;

/* Once told to go (its callback exists), serves calls until it has @arg of them. */
static intptr_t server(void *arg)
{
	unsigned want = (unsigned)(uintptr_t)arg, n = 0;

	fiber_block_on(&go);
	while (n < want) {
		unsigned got = tramp_async_serve();

		if (!got)
			break;
		n += got;
	}
	return n;
}

static tramp_fn async_t;
static unsigned async_failed;

static void call_from_every_cpu(void *arg)
{
	(void)arg;
	for (long i = 0; i < CALLS_PER_CPU; i++)
		if (((intptr_t (*)(long, long))async_t)(cpu_num(), i))
			__atomic_fetch_add(&async_failed, 1, __ATOMIC_RELAXED);
}

static void test_async_calls_from_every_cpu_reach_one_fiber(void)
{
	unsigned n = smp_online(), want = n * CALLS_PER_CPU;
	struct tramp_stats st;
	struct fiber *f;

	need_cpus(2);
	memset(&go, 0, sizeof(go));
	async_seen = async_bad = async_failed = 0;
	/* The server lives on the last CPU; callers include that CPU. */
	f = fiber_create_on(n - 1, "server", server, (void *)(uintptr_t)want, 0, FIBER_POPULATE);
	ASSERT_NOT_NULL(f);
	async_t = tramp_create_async((tramp_fn)count_call, NULL, f, NULL);
	ASSERT_NOT_NULL(async_t);
	EXPECT_OK(fiber_future_set(&go, 0));
	EXPECT_EQ(smp_run_everywhere(call_from_every_cpu, NULL), (int)n);
	EXPECT_EQ(fiber_join(f), want);
	EXPECT_EQ(async_failed, 0);
	EXPECT_EQ(async_seen, want);
	EXPECT_EQ(async_bad, 0);
	tramp_get_stats(&st);
	EXPECT_EQ(st.async_pending, 0);
	EXPECT_OK(tramp_delete(async_t));
}

/* A serving fiber whose last callback is deleted from another CPU stops waiting. */
static void delete_async(void *arg)
{
	(void)arg;
	tramp_delete(async_t);
}

static void test_deleting_the_last_callback_wakes_the_server(void)
{
	struct fiber *f;

	need_cpus(2);
	memset(&go, 0, sizeof(go));
	f = fiber_create_on(1, "server", server, (void *)1, 0, FIBER_POPULATE);
	ASSERT_NOT_NULL(f);
	async_t = tramp_create_async((tramp_fn)count_call, NULL, f, NULL);
	ASSERT_NOT_NULL(async_t);
	EXPECT_OK(fiber_future_set(&go, 0));
	EXPECT_OK(smp_call_on(1, delete_async, NULL));
	EXPECT_EQ(fiber_join(f), 0);
}

/* ---- trampolines created and deleted on every CPU at once -------------------------- */

#define PER_CPU 300   /* more than a window's worth each: windows come and go */

static unsigned tramp_wrong;

static long plus_ctx(void *ctx, long x)
{
	return (long)(uintptr_t)ctx + x;
}

/* Each CPU makes PER_CPU trampolines, calls each, deletes them. */
static void churn(void *arg)
{
	static tramp_fn t[CPU_MAX][PER_CPU];
	unsigned c = cpu_num();
	unsigned bad = 0;

	(void)arg;
	for (int i = 0; i < PER_CPU; i++)
		t[c][i] = tramp_create((tramp_fn)plus_ctx, (void *)(uintptr_t)(c * 10000 + i), NULL);
	for (int i = 0; i < PER_CPU; i++)
		bad += !t[c][i] || ((long (*)(long))t[c][i])(7) != (long)(c * 10000 + i + 7);
	for (int i = 0; i < PER_CPU; i++)
		bad += t[c][i] && tramp_delete(t[c][i]) != E_OK;
	__atomic_fetch_add(&tramp_wrong, bad, __ATOMIC_RELAXED);
}

static void test_create_and_delete_on_every_cpu_at_once(void)
{
	struct tramp_stats st0, st;
	uint64_t nva = kernel_aspace.nvareas;

	need_cpus(2);
	tramp_wrong = 0;
	tramp_get_stats(&st0);
	smp_run_everywhere(churn, NULL);
	EXPECT_EQ(tramp_wrong, 0);
	tramp_get_stats(&st);
	EXPECT_EQ(st.live, st0.live);
	EXPECT_EQ(st.windows, st0.windows);
	EXPECT_EQ(st.free, st0.free);
	EXPECT_EQ_U(kernel_aspace.nvareas, nva);
	EXPECT_OK(aspace_check(&kernel_aspace));
}

KTEST_SUITE(exec_smp,
	KTEST_CASE(test_fibers_run_on_the_cpu_they_were_made_for),
	KTEST_CASE(test_futures_cross_cpus),
	KTEST_CASE(test_resume_a_fiber_of_another_cpu),
	KTEST_CASE(test_async_calls_from_every_cpu_reach_one_fiber),
	KTEST_CASE(test_deleting_the_last_callback_wakes_the_server),
	KTEST_CASE(test_create_and_delete_on_every_cpu_at_once));
