/* FFI callback trampolines (kernel/exec/tramp.c, arch/<arch>/tramp.S). */
#include <stdint.h>
#include <string.h>
#include <drivers/console.h>
#include <arch/mmu.h>
#include <lib/err.h>
#include <exec/fiber.h>
#include <lib/ktest.h>
#include "testlib.h"
#include <exec/tramp.h>
#include <arch/trap.h>
#include <mm/aspace.h>
#include <mm/page.h>
#include <mm/usercopy.h>

static void *seen_ctx;

/* Weights make the result depend on which argument landed where. */
#define W(k, v) ((long)(v) * (long)(2 * (k) + 3))
#define CTX_TAG(ctx) ((long)(uintptr_t)(ctx) << 20)

static long t0(void *c) { seen_ctx = c; return CTX_TAG(c); }
static long t1(void *c, long a) { seen_ctx = c; return CTX_TAG(c) + W(1, a); }
static long t2(void *c, long a, long b) { seen_ctx = c; return CTX_TAG(c) + W(1, a) + W(2, b); }
static long t3(void *c, long a, long b, long d)
{ seen_ctx = c; return CTX_TAG(c) + W(1, a) + W(2, b) + W(3, d); }
static long t4(void *c, long a, long b, long d, long e)
{ seen_ctx = c; return CTX_TAG(c) + W(1, a) + W(2, b) + W(3, d) + W(4, e); }
static long t5(void *c, long a, long b, long d, long e, long f)
{ seen_ctx = c; return CTX_TAG(c) + W(1, a) + W(2, b) + W(3, d) + W(4, e) + W(5, f); }
static long t6(void *c, long a, long b, long d, long e, long f, long g)
{ seen_ctx = c; return CTX_TAG(c) + W(1, a) + W(2, b) + W(3, d) + W(4, e) + W(5, f) + W(6, g); }
static long t7(void *c, long a, long b, long d, long e, long f, long g, long h)
{
	seen_ctx = c;
	return CTX_TAG(c) + W(1, a) + W(2, b) + W(3, d) + W(4, e) + W(5, f) + W(6, g) + W(7, h);
}
static long t8(void *c, long a, long b, long d, long e, long f, long g, long h, long i)
{
	seen_ctx = c;
	return CTX_TAG(c) + W(1, a) + W(2, b) + W(3, d) + W(4, e) + W(5, f) + W(6, g) +
	       W(7, h) + W(8, i);
}

/* Expected result of tN with arguments 1..N (each k -> 100 + k). */
static long expect(void *c, int n)
{
	long r = CTX_TAG(c);

	for (int k = 1; k <= n; k++)
		r += W(k, 100 + k);
	return r;
}

static void test_integer_arguments_0_to_8(void)
{
	static const tramp_fn targets[9] = {
		(tramp_fn)t0, (tramp_fn)t1, (tramp_fn)t2, (tramp_fn)t3, (tramp_fn)t4,
		(tramp_fn)t5, (tramp_fn)t6, (tramp_fn)t7, (tramp_fn)t8,
	};
	struct tramp_owner o = { 0 };
	tramp_fn t[9];
	long r[9];

	for (int n = 0; n <= 8; n++) {
		t[n] = tramp_create(targets[n], (void *)(uintptr_t)(0x40 + n), &o);
		ASSERT_NOT_NULL(t[n]);
	}
	r[0] = ((long (*)(void))t[0])();
	r[1] = ((long (*)(long))t[1])(101);
	r[2] = ((long (*)(long, long))t[2])(101, 102);
	r[3] = ((long (*)(long, long, long))t[3])(101, 102, 103);
	r[4] = ((long (*)(long, long, long, long))t[4])(101, 102, 103, 104);
	r[5] = ((long (*)(long, long, long, long, long))t[5])(101, 102, 103, 104, 105);
	r[6] = ((long (*)(long, long, long, long, long, long))t[6])(101, 102, 103, 104, 105, 106);
	r[7] = ((long (*)(long, long, long, long, long, long, long))t[7])(101, 102, 103, 104,
	                                                                 105, 106, 107);
	r[8] = ((long (*)(long, long, long, long, long, long, long, long))t[8])(
		101, 102, 103, 104, 105, 106, 107, 108);
	EXPECT_EQ((uintptr_t)seen_ctx, 0x48);
	for (int n = 0; n <= 8; n++)
		EXPECT_EQ(r[n], expect((void *)(uintptr_t)(0x40 + n), n));
	EXPECT_EQ(tramp_delete_all(&o), 9);
}

static double fp8(void *c, double a, double b, double d, double e, double f, double g,
                  double h, double i)
{
	seen_ctx = c;
	return a + 2 * b + 4 * d + 8 * e + 16 * f + 32 * g + 64 * h + 128 * i;
}

static double mixed(void *c, long a, double x, int b, float y, long d, double z)
{
	seen_ctx = c;
	return (double)a * 1000 + x * 100 + (double)b * 10 + (double)y + (double)d * 0.5 + z * 0.25;
}

static float ret_float(void *c, float x, long k) { seen_ctx = c; return x * (float)k; }

/* All 8 integer and all 8 FP argument registers at once. */
static double all16(void *c, long a, long b, long d, long e, long f, long g, long h, long i,
                    double p, double q, double r, double s, double t, double u, double v,
                    double w)
{
	seen_ctx = c;
	return (double)(a + 2 * b + 3 * d + 4 * e + 5 * f + 6 * g + 7 * h + 8 * i) +
	       (p + q * 2 + r * 4 + s * 8 + t * 16 + u * 32 + v * 64 + w * 128) / 1024.0;
}

static void test_fp_arguments_and_results(void)
{
	struct tramp_owner o = { 0 };
	tramp_fn a = tramp_create((tramp_fn)fp8, (void *)0x51, &o);
	tramp_fn b = tramp_create((tramp_fn)mixed, (void *)0x52, &o);
	tramp_fn c = tramp_create((tramp_fn)ret_float, (void *)0x53, &o);
	tramp_fn d = tramp_create((tramp_fn)all16, (void *)0x54, &o);

	ASSERT_TRUE(a && b && c && d);
	double ra = ((double (*)(double, double, double, double, double, double, double, double))a)(
		1, 2, 3, 4, 5, 6, 7, 8);
	EXPECT_EQ((uintptr_t)seen_ctx, 0x51);
	EXPECT_TRUE(ra == fp8(NULL, 1, 2, 3, 4, 5, 6, 7, 8));
	double rb = ((double (*)(long, double, int, float, long, double))b)(7, 1.5, 3, 2.5f, 9, 4.0);
	EXPECT_EQ((uintptr_t)seen_ctx, 0x52);
	EXPECT_TRUE(rb == mixed(NULL, 7, 1.5, 3, 2.5f, 9, 4.0));
	float rc = ((float (*)(float, long))c)(1.25f, 4);
	EXPECT_EQ((uintptr_t)seen_ctx, 0x53);
	EXPECT_TRUE(rc == 5.0f);
	double rd = ((double (*)(long, long, long, long, long, long, long, long, double, double,
	                         double, double, double, double, double, double))d)(
		1, 2, 3, 4, 5, 6, 7, 8, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0);
	EXPECT_EQ((uintptr_t)seen_ctx, 0x54);
	EXPECT_TRUE(rd == all16(NULL, 1, 2, 3, 4, 5, 6, 7, 8, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0));
	EXPECT_EQ(tramp_delete_all(&o), 4);
}

static long twice_plus(void *c, long x) { return (long)(uintptr_t)c * 2 + x; }

#define MANY 10000

static void test_ten_thousand_across_windows(void)
{
	static tramp_fn t[MANY];
	struct tramp_owner o = { 0 };
	struct tramp_stats st0, st;
	uint64_t nva0 = kernel_aspace.nvareas;
	struct page *code = pa_to_page(tramp_code_pa());
	unsigned ref0 = page_refcount(code);
	unsigned windows = 0;
	uintptr_t last = 0;

	tramp_get_stats(&st0);
	for (int i = 0; i < MANY; i++) {
		t[i] = tramp_create((tramp_fn)twice_plus, (void *)(uintptr_t)i, &o);
		ASSERT_NOT_NULL(t[i]);
	}
	EXPECT_EQ(o.count, MANY);
	tramp_get_stats(&st);
	EXPECT_EQ(st.live, st0.live + MANY);
	EXPECT_GE(st.windows, MANY / TRAMP_PER_WINDOW);
	EXPECT_EQ(page_refcount(code), ref0 + st.windows - st0.windows);
	for (int i = 0; i < MANY; i++) {
		struct tramp_info info;
		long r = ((long (*)(long))t[i])(7);

		if (r != 2l * i + 7) {
			EXPECT_EQ(r, 2l * i + 7);
			break;
		}
		ASSERT_OK(tramp_lookup(t[i], &info));
		if (info.kind != TRAMP_SYNC || info.ctx != (void *)(uintptr_t)i ||
		    info.target != (tramp_fn)twice_plus || info.owner != &o ||
		    info.window != tramp_window_of((uintptr_t)t[i]) ||
		    info.window + info.slot * TRAMP_SLOT_SIZE != (uintptr_t)t[i]) {
			ktest_fail(__FILE__, __LINE__, "lookup of callback %d inconsistent", i);
			break;
		}
		if (info.window == last)
			continue;
		/* A window not seen just before: check its pages. */
		struct aspace_query q;

		last = info.window;
		windows++;
		ASSERT_OK(aspace_query(&kernel_aspace, info.window, &q));
		EXPECT_TRUE(q.mapped);
		EXPECT_EQ_U(q.pa, tramp_code_pa());
		EXPECT_EQ(q.perms, MMU_READ | MMU_EXEC);
		ASSERT_OK(aspace_query(&kernel_aspace, info.window + TRAMP_HOT_OFFSET, &q));
		EXPECT_TRUE(q.mapped);
		EXPECT_NE(q.pa, tramp_code_pa());
		EXPECT_EQ(q.perms, MMU_READ | MMU_WRITE);
		ASSERT_OK(aspace_query(&kernel_aspace, info.window + TRAMP_RW_END - PAGE_SIZE, &q));
		EXPECT_TRUE(q.mapped);              /* the last cold page */
		EXPECT_EQ(q.perms, MMU_READ | MMU_WRITE);
	}
	EXPECT_GE(windows, MANY / TRAMP_PER_WINDOW);
	EXPECT_EQ(tramp_delete_all(&o), MANY);
	EXPECT_EQ(o.count, 0);
	tramp_get_stats(&st);
	EXPECT_EQ(st.live, st0.live);
	EXPECT_EQ(st.windows, st0.windows);
	EXPECT_EQ(page_refcount(code), ref0);
	EXPECT_EQ_U(kernel_aspace.nvareas, nva0);
}

static void test_rx_not_writable_rw_not_executable(void)
{
	struct tramp_info ti;
	struct trap_info tr;
	tramp_fn t = tramp_create((tramp_fn)t0, (void *)1, NULL);

	ASSERT_NOT_NULL(t);
	trap_expect(TRAP_PAGE_FAULT);
	*(volatile uint32_t *)(uintptr_t)t = 0;
	ASSERT_TRUE(trap_caught(&tr));
	EXPECT_EQ(tr.access, ACCESS_WRITE);
	EXPECT_EQ_U(tr.addr, (uintptr_t)t);
	EXPECT_EQ(((long (*)(void))t)(), CTX_TAG((void *)1));   /* unchanged */

	uintptr_t rw = (uintptr_t)t + TRAMP_HOT_OFFSET;

	trap_expect(TRAP_PAGE_FAULT);
	((void (*)(void))rw)();
	ASSERT_TRUE(trap_caught(&tr));
	EXPECT_EQ(tr.access, ACCESS_EXEC);
	EXPECT_EQ_U(tr.addr, rw);
	ASSERT_OK(tramp_lookup(t, &ti));
	EXPECT_OK(tramp_delete(t));
}

static void test_delete_all_then_fifo_reuse(void)
{
	struct tramp_owner o = { 0 }, fill = { 0 };
	struct tramp_stats st;
	tramp_fn a, b, c, n;

	tramp_get_stats(&st);
	if (st.free < 3 || st.windows != 1)
		ktest_skip("needs only the boot window, with room");
	unsigned older = st.free - 3;

	a = tramp_create((tramp_fn)t0, (void *)1, &o);
	b = tramp_create((tramp_fn)t0, (void *)2, &o);
	c = tramp_create((tramp_fn)t0, (void *)3, &o);
	ASSERT_TRUE(a && b && c);
	EXPECT_EQ(o.count, 3);
	EXPECT_EQ(tramp_delete_all(&o), 3);
	EXPECT_EQ(o.count, 0);
	EXPECT_TRUE(LIST_EMPTY(&o.list));
	/* The list was newest first: c, b, a went to the free list's tail. */
	for (unsigned i = 0; i < older; i++) {
		n = tramp_create((tramp_fn)t0, NULL, &fill);
		ASSERT_NOT_NULL(n);
		if (n == a || n == b || n == c) {
			ktest_fail(__FILE__, __LINE__, "a deleted entry came back after %u", i);
			break;
		}
	}
	EXPECT_TRUE(tramp_create((tramp_fn)t0, NULL, &fill) == c);
	EXPECT_TRUE(tramp_create((tramp_fn)t0, NULL, &fill) == b);
	EXPECT_TRUE(tramp_create((tramp_fn)t0, NULL, &fill) == a);
	EXPECT_EQ(tramp_delete_all(&fill), older + 3);
	tramp_get_stats(&st);
	EXPECT_EQ(st.windows, 1);
}

static void test_windows_unmapped_when_empty(void)
{
	struct tramp_owner o = { 0 };
	struct tramp_stats st0, st;
	struct pmm_stats p0, p;
	uint64_t nva0 = kernel_aspace.nvareas;

	tramp_get_stats(&st0);
	pmm_stats(&p0);
	for (int i = 0; i < 3 * TRAMP_PER_WINDOW; i++)
		ASSERT_NOT_NULL(tramp_create((tramp_fn)t0, NULL, &o));
	tramp_get_stats(&st);
	EXPECT_GE(st.windows, st0.windows + 2);
	EXPECT_GT(kernel_aspace.nvareas, nva0);
	tramp_delete_all(&o);
	tramp_get_stats(&st);
	pmm_stats(&p);
	EXPECT_EQ(st.windows, st0.windows);
	EXPECT_EQ(st.free, st0.free);
	EXPECT_EQ_U(kernel_aspace.nvareas, nva0);
	EXPECT_EQ_U(p.free, p0.free);
}

/* ---- async ------------------------------------------------------------------ */

static struct fiber *async_ran_on;
static long async_sum;
static double async_fp;
static int async_runs;

static long async_target(void *c, long a, long b, long d, long e, long f, long g, long h,
                         long i, double x, double y)
{
	async_ran_on = fiber_self();
	async_sum = CTX_TAG(c) + W(1, a) + W(2, b) + W(3, d) + W(4, e) + W(5, f) + W(6, g) +
	            W(7, h) + W(8, i);
	async_fp = x + 2 * y;
	async_runs++;
	return 0;
}

static intptr_t async_worker(void *arg)
{
	while (!async_runs) {
		tramp_async_run_pending();
		fiber_yield();
	}
	return 0;
}

static void test_async_runs_on_target_fiber(void)
{
	struct tramp_stats st;
	struct fiber *f;
	tramp_fn t;

	async_runs = 0;
	async_ran_on = NULL;
	f = fiber_create_flags("tramp-async", async_worker, NULL, 0, FIBER_POPULATE);
	ASSERT_NOT_NULL(f);
	t = tramp_create_async((tramp_fn)async_target, (void *)0x61, f, NULL);
	ASSERT_NOT_NULL(t);
	intptr_t r = ((intptr_t (*)(long, long, long, long, long, long, long, long, double,
	                             double))t)(101, 102, 103, 104, 105, 106, 107, 108, 0.5, 3.25);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(async_runs, 0);            /* queued, not run */
	tramp_get_stats(&st);
	EXPECT_EQ(st.async_pending, 1);
	EXPECT_EQ(tramp_async_run_pending(), 0);   /* not this fiber's */
	struct tramp_info info;
	ASSERT_OK(tramp_lookup(t, &info));
	EXPECT_EQ(info.kind, TRAMP_ASYNC);
	EXPECT_TRUE(info.fiber == f);
	EXPECT_EQ(fiber_join(f), 0);
	EXPECT_EQ(async_runs, 1);
	EXPECT_TRUE(async_ran_on == f);
	EXPECT_EQ(async_sum, expect((void *)0x61, 8));
	EXPECT_TRUE(async_fp == 7.0);
	ASSERT_OK(tramp_lookup(t, &info));
	EXPECT_EQ(info.kind, TRAMP_DEAD);        /* its fiber ended */
	EXPECT_OK(tramp_delete(t));
	tramp_get_stats(&st);
	EXPECT_EQ(st.async_pending, 0);
}

static void test_delete_drops_queued_async_calls(void)
{
	struct tramp_stats st;
	tramp_fn t = tramp_create_async((tramp_fn)async_target, NULL, fiber_self(), NULL);

	ASSERT_NOT_NULL(t);
	((void (*)(void))t)();
	((void (*)(void))t)();
	tramp_get_stats(&st);
	EXPECT_EQ(st.async_pending, 2);
	EXPECT_OK(tramp_delete(t));
	tramp_get_stats(&st);
	EXPECT_EQ(st.async_pending, 0);
	async_runs = 0;
	EXPECT_EQ(tramp_async_run_pending(), 0);
	EXPECT_EQ(async_runs, 0);
}

/*
 * The lifetime bug: an async callback outlived its target fiber, and a
 * later fiber given the same struct ran the dead fiber's queued calls.
 */
static intptr_t run_pending_fiber(void *arg)
{
	(void)arg;
	return (intptr_t)tramp_async_run_pending();
}

static intptr_t end_at_once(void *arg)
{
	(void)arg;
	return 0;
}

static char dead_report[512];

static void test_async_callbacks_die_with_their_fiber(void)
{
	struct tramp_stats st0, st;
	struct tramp_info info;
	struct fiber *f = fiber_create("short-lived", end_at_once, NULL, 0), *g = NULL;
	tramp_fn t;

	ASSERT_NOT_NULL(f);
	t = tramp_create_async((tramp_fn)async_target, (void *)0x62, f, NULL);
	ASSERT_NOT_NULL(t);
	async_runs = 0;
	((void (*)(long))t)(1);
	((void (*)(long))t)(2);
	tramp_get_stats(&st0);
	EXPECT_EQ(fiber_join(f), 0);            /* ended without running them */
	tramp_get_stats(&st);
	EXPECT_EQ(st.async_pending, st0.async_pending - 2);   /* dropped */
	ASSERT_OK(tramp_lookup(t, &info));
	EXPECT_EQ(info.kind, TRAMP_DEAD);
	EXPECT_NULL(info.fiber);
	/* A new fiber in the freed struct (the heap hands it back first). */
	for (int i = 0; i < 64 && g != f; i++) {
		if (g)
			fiber_join(g);
		g = fiber_create_flags("reuser", run_pending_fiber, NULL, 0, 0);
		ASSERT_NOT_NULL(g);
	}
	EXPECT_EQ(fiber_join(g), 0);            /* nothing of f's ran */
	EXPECT_EQ(async_runs, 0);
	/* Calls from now on reach the dead handler, with a report. */
	console_capture_start(dead_report, sizeof(dead_report));
	intptr_t r = ((intptr_t (*)(long))t)(3);
	console_capture_stop();
	EXPECT_EQ(r, 0);
	EXPECT_EQ(async_runs, 0);
	EXPECT_NOT_NULL(strstr(dead_report, "whose fiber ended"));
	tramp_get_stats(&st);
	EXPECT_EQ(st.dead_calls, st0.dead_calls + 1);
	EXPECT_EQ(st.async_pending, 0);
	EXPECT_OK(tramp_delete(t));
	EXPECT_EQ(tramp_delete(t), E_NOENT);
}

/* ---- context destructors ------------------------------------------------------ */

static int dtor_runs;
static void *dtor_ctx;
static tramp_fn dtor_victim;

static void count_dtor(void *ctx)
{
	dtor_runs++;
	dtor_ctx = ctx;
}

/* Runs without the lock: it may delete another callback. */
static void deleting_dtor(void *ctx)
{
	count_dtor(ctx);
	if (dtor_victim)
		tramp_delete(dtor_victim);
}

static void test_context_destructor_runs_at_delete(void)
{
	struct tramp_owner o = { 0 };
	tramp_fn a = tramp_create((tramp_fn)t0, (void *)0x71, NULL);
	tramp_fn b = tramp_create((tramp_fn)t0, (void *)0x72, &o);
	struct tramp_info info;

	dtor_runs = 0;
	dtor_victim = NULL;
	ASSERT_TRUE(a && b);
	EXPECT_OK(tramp_set_dtor(a, count_dtor));
	EXPECT_OK(tramp_set_dtor(b, count_dtor));
	EXPECT_EQ(((long (*)(void))a)(), CTX_TAG((void *)0x71));
	EXPECT_EQ(dtor_runs, 0);                           /* calls do not run it */
	EXPECT_OK(tramp_delete(a));
	EXPECT_EQ(dtor_runs, 1);
	EXPECT_TRUE(dtor_ctx == (void *)0x71);
	EXPECT_EQ(tramp_set_dtor(a, count_dtor), E_NOENT);   /* deleted */
	EXPECT_EQ(tramp_set_dtor((tramp_fn)t0, count_dtor), E_NOENT);
	EXPECT_EQ(tramp_delete_all(&o), 1);
	EXPECT_EQ(dtor_runs, 2);
	EXPECT_TRUE(dtor_ctx == (void *)0x72);

	/* An async callback's: not when its fiber ends, when it is deleted. */
	struct fiber *f = fiber_create("dtor-target", end_at_once, NULL, 0);

	ASSERT_NOT_NULL(f);
	tramp_fn c = tramp_create_async((tramp_fn)async_target, (void *)0x73, f, NULL);
	ASSERT_NOT_NULL(c);
	EXPECT_OK(tramp_set_dtor(c, count_dtor));
	EXPECT_EQ(fiber_join(f), 0);
	EXPECT_EQ(dtor_runs, 2);
	ASSERT_OK(tramp_lookup(c, &info));
	EXPECT_EQ(info.kind, TRAMP_DEAD);
	EXPECT_OK(tramp_delete(c));
	EXPECT_EQ(dtor_runs, 3);
	EXPECT_TRUE(dtor_ctx == (void *)0x73);

	/* NULL takes it away; a destructor may delete other callbacks. */
	tramp_fn d = tramp_create((tramp_fn)t0, (void *)0x74, NULL);
	tramp_fn e = tramp_create((tramp_fn)t0, (void *)0x75, NULL);

	dtor_victim = tramp_create((tramp_fn)t0, (void *)0x76, NULL);
	ASSERT_TRUE(d && e && dtor_victim);
	EXPECT_OK(tramp_set_dtor(d, count_dtor));
	EXPECT_OK(tramp_set_dtor(d, NULL));
	EXPECT_OK(tramp_delete(d));
	EXPECT_EQ(dtor_runs, 3);
	EXPECT_OK(tramp_set_dtor(e, deleting_dtor));
	EXPECT_OK(tramp_delete(e));
	EXPECT_EQ(dtor_runs, 4);
	EXPECT_EQ(tramp_delete(dtor_victim), E_NOENT);     /* the destructor deleted it */
	dtor_victim = NULL;
}

/* ---- bad input --------------------------------------------------------------- */

static void test_bad_input_changes_nothing(void)
{
	struct tramp_stats st0, st;
	struct tramp_info info;
	tramp_fn t = tramp_create((tramp_fn)t1, (void *)5, NULL);

	ASSERT_NOT_NULL(t);
	EXPECT_NULL(tramp_create(NULL, NULL, NULL));
	EXPECT_NULL(tramp_create_async((tramp_fn)t0, NULL, NULL, NULL));
	tramp_get_stats(&st0);
	uintptr_t w = tramp_window_of((uintptr_t)t);
	const uintptr_t bad[] = {
		(uintptr_t)t1,                      /* an ordinary function */
		w,                                  /* the stub */
		(uintptr_t)t + 4,                   /* inside a trampoline */
		w + TRAMP_HOT_OFFSET,               /* the RW page */
		0,
		(uintptr_t)t + TRAMP_WINDOW_SIZE * 4096,   /* no window there */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(tramp_delete((tramp_fn)bad[i]), E_NOENT);
		EXPECT_EQ(tramp_lookup((tramp_fn)bad[i], &info), E_NOENT);
	}
	tramp_get_stats(&st);
	EXPECT_EQ(st.live, st0.live);
	EXPECT_EQ(st.free, st0.free);
	EXPECT_EQ(((long (*)(long))t)(3), CTX_TAG((void *)5) + W(1, 3));

	/* Deleted: delete again fails, a call reaches the dead handler. */
	EXPECT_OK(tramp_delete(t));
	EXPECT_EQ(tramp_delete(t), E_NOENT);
	ASSERT_OK(tramp_lookup(t, &info));
	EXPECT_EQ(info.kind, TRAMP_FREE);
	seen_ctx = NULL;
	EXPECT_EQ(((long (*)(long))t)(3), 0);
	EXPECT_NULL(seen_ctx);              /* t1 did not run */
	tramp_get_stats(&st);
	EXPECT_EQ(st.dead_calls, st0.dead_calls + 1);
}

/* ---- windows for user aspaces ------------------------------------------------- */

static void test_user_window_aliases_the_code_and_forks_its_metadata(void)
{
	struct aspace *as = NULL, *child = NULL;
	struct aspace_query q;
	unsigned ref0 = page_refcount(pa_to_page(tramp_code_pa()));
	uintptr_t base = 0, fixed = 0x40000000, odd = 0x40001000;

	ASSERT_OK(aspace_create("tramp-user", &as));
	ASSERT_OK(tramp_window_map(as, &base));
	EXPECT_EQ_U(base & (TRAMP_WINDOW_SIZE - 1), 0);
	ASSERT_OK(aspace_query(as, base, &q));
	EXPECT_TRUE(q.mapped);
	EXPECT_EQ_U(q.pa, tramp_code_pa());
	EXPECT_EQ(q.perms, MMU_READ | MMU_EXEC);
	ASSERT_OK(aspace_query(as, base + TRAMP_HOT_OFFSET, &q));
	EXPECT_EQ(q.perms, MMU_READ | MMU_WRITE);
	EXPECT_EQ(page_refcount(pa_to_page(tramp_code_pa())), ref0);
	/* The code page is not writable, even by the kernel on the user's behalf. */
	EXPECT_EQ(tl_user_put(as, base, 1), E_FAULT);
	EXPECT_OK(tl_user_put(as, base + TRAMP_HOT_OFFSET, 0x1111));
	/* A second window where asked; bad requests change nothing. */
	ASSERT_OK(tramp_window_map(as, &fixed));
	EXPECT_EQ_U(fixed, 0x40000000);
	EXPECT_EQ(tramp_window_map(as, &fixed), E_EXIST);
	EXPECT_EQ(tramp_window_map(as, &odd), E_ALIGN);
	EXPECT_EQ(tramp_window_map(&kernel_aspace, &odd), E_INVAL);
	EXPECT_EQ(tramp_window_map(NULL, &base), E_INVAL);
	/* fork: the same code frame, a metadata copy of the child's own. */
	ASSERT_OK(aspace_fork(as, &child));
	tl_user_get(child, base);             /* the child maps its pages on touch */
	ASSERT_OK(aspace_query(child, base, &q));
	EXPECT_EQ_U(q.pa, tramp_code_pa());
	EXPECT_EQ(q.perms, MMU_READ | MMU_EXEC);
	EXPECT_EQ_U(tl_user_get(child, base + TRAMP_HOT_OFFSET), 0x1111);
	EXPECT_OK(tl_user_put(child, base + TRAMP_HOT_OFFSET, 0x2222));
	EXPECT_EQ_U(tl_user_get(as, base + TRAMP_HOT_OFFSET), 0x1111);
	EXPECT_EQ_U(tl_user_get(child, base + TRAMP_HOT_OFFSET), 0x2222);
	aspace_switch(NULL);
	EXPECT_EQ(tramp_window_unmap(child, base + PAGE_SIZE), E_ALIGN);
	EXPECT_EQ(tramp_window_unmap(child, base + 4 * TRAMP_WINDOW_SIZE), E_NOENT);
	EXPECT_OK(tramp_window_unmap(child, base));
	EXPECT_EQ(tramp_window_unmap(child, base), E_NOENT);
	EXPECT_EQ(aspace_check(child), 0);
	EXPECT_EQ(aspace_check(as), 0);
	aspace_destroy(child);             /* its other window goes with it */
	aspace_destroy(as);
	EXPECT_EQ(page_refcount(pa_to_page(tramp_code_pa())), ref0);
}

KTEST_SUITE(tramp,
	KTEST_CASE(test_integer_arguments_0_to_8),
	KTEST_CASE(test_fp_arguments_and_results),
	KTEST_CASE(test_ten_thousand_across_windows),
	KTEST_CASE(test_rx_not_writable_rw_not_executable),
	KTEST_CASE(test_delete_all_then_fifo_reuse),
	KTEST_CASE(test_windows_unmapped_when_empty),
	KTEST_CASE(test_async_runs_on_target_fiber),
	KTEST_CASE(test_delete_drops_queued_async_calls),
	KTEST_CASE(test_async_callbacks_die_with_their_fiber),
	KTEST_CASE(test_context_destructor_runs_at_delete),
	KTEST_CASE(test_bad_input_changes_nothing),
	KTEST_CASE(test_user_window_aliases_the_code_and_forks_its_metadata));
