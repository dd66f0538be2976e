/*
 * Memory objects with every CPU at once: CPUs write one shared object
 * through aspaces of their own; decommit, zero, clone and shrink run on
 * one CPU while the others fault the object's pages in and out through
 * their mappings.  The object side removes the leaves of other aspaces
 * against the lock order (a try-lock, backing off: mm/vmo.c, zap_locked()),
 * which these cases drive into its busy path.  Every aspace is checked
 * (aspace_check, pt_audit) before it goes; in the kernel the runner's
 * invariants follow each case (frames, objects back to the baseline), on
 * the host fx_teardown() checks every frame came back, under
 * AddressSanitizer and ThreadSanitizer (make tsan-test).  Cases skip on
 * one CPU.
 */
#include <arch/cpu.h>
#include <boot/smp.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/aspace.h>
#include <mm/pt.h>
#include <mm/usercopy.h>
#include <mm/vmo.h>

#if KTEST_HOST
#include "aspace_fixture.h"
#include "smp_host.h"

static void begin(void)
{
	fx_setup_big(4);
	smp_host_up(4);
}

static void end(void)
{
	smp_host_down();
	fx_teardown();
}

static void relax(void)
{
	smp_host_relax();
}

#else /* the kernel */
#include <arch/smp.h>

#define RW (MMU_READ | MMU_WRITE)

static void begin(void)
{
	if (smp_online() < 2)
		ktest_skip("needs more than one CPU (boot with SMP=4)");
}

static void end(void)
{
}

static void relax(void)
{
	arch_cpu_relax();
}
#endif

#define BASE 0x20000000ul
#define PAGES 32
/*
 * At least this many changes while the others fault.  Fewer in the
 * kernel: on riscv64 each change's shootdown is an SBI remote fence to
 * CPUs that are busy, slow under QEMU on a loaded host.
 */
#if KTEST_HOST
#define ROUNDS 40
#else
#define ROUNDS 12
#endif

struct shared {
	struct vmo *v;
	struct aspace *as[CPU_MAX];
	int n;                  /* CPUs taking part */
	int ready;
	int stop;
	int errors;
	int rounds[CPU_MAX];    /* the accessing CPUs' passes */
	struct vmo *clone;      /* churn()'s current clone */
};

/* An aspace per CPU, each mapping the whole object shared at BASE. */
static void map_everywhere(struct shared *s)
{
	for (int c = 0; c < s->n; c++) {
		uintptr_t a = BASE;

		ASSERT_OK(aspace_create("vmo-smp", &s->as[c]));
		ASSERT_OK(aspace_map(s->as[c], &a, PAGES * PAGE_SIZE, 0, RW, MAP_FIXED,
		                     vmo_obj(s->v), 0));
	}
}

static void unmap_everywhere(struct shared *s)
{
	for (int c = 0; c < s->n; c++) {
		EXPECT_OK(aspace_check(s->as[c]));
		EXPECT_OK(pt_audit(s->as[c]->pt));
		aspace_destroy(s->as[c]);
	}
	vmo_put(s->v);
}

static void meet(int *count, int n)
{
	__atomic_fetch_add(count, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < n)
		relax();
}

/* Each CPU writes its own word of every page through its own aspace. */
static void write_words(void *arg)
{
	struct shared *s = arg;
	unsigned me = cpu_num();

	aspace_switch(s->as[me]);
	meet(&s->ready, s->n);
	for (uint64_t p = 0; p < PAGES; p++) {
		uint64_t v = p << 8 | me;

		if (copy_to_user(BASE + p * PAGE_SIZE + 8 * me, &v, sizeof(v)))
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	}
	aspace_switch(NULL);
}

static void test_cpus_write_one_object_through_their_own_aspaces(void)
{
	begin();
	struct shared s = { .n = (int)smp_online() };

	ASSERT_OK(vmo_create(PAGES * PAGE_SIZE, 0, "smp-shared", &s.v));
	map_everywhere(&s);
	EXPECT_EQ(smp_run_everywhere(write_words, &s), s.n);
	EXPECT_EQ(s.errors, 0);
	/* One frame per page, holding every CPU's word, whatever CPU faulted first. */
	for (uint64_t p = 0; p < PAGES; p++)
		for (int c = 0; c < s.n; c++) {
			uint64_t v = 0;

			EXPECT_OK(vmo_read(s.v, p * PAGE_SIZE + 8 * (unsigned)c, &v, sizeof(v)));
			EXPECT_EQ_U(v, p << 8 | (unsigned)c);
		}
	unmap_everywhere(&s);
	end();
}

/* CPUs other than 0 touch every page through their aspace until told to stop. */
static void touch_until_stopped(void *arg)
{
	struct shared *s = arg;
	unsigned me = cpu_num();

	if (!me)
		return;
	aspace_switch(s->as[me]);
	meet(&s->ready, s->n - 1);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		for (uint64_t p = 0; p < PAGES; p++) {
			uint64_t v = me;

			/* Within the first half, which never goes away: every access must work. */
			if (p < PAGES / 2 && copy_to_user(BASE + p * PAGE_SIZE + 8 * me, &v, sizeof(v)))
				__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
			if (p >= PAGES / 2)
				copy_from_user(&v, BASE + p * PAGE_SIZE, sizeof(v));   /* may be gone */
		}
		__atomic_fetch_add(&s->rounds[me], 1, __ATOMIC_RELAXED);
	}
	aspace_switch(NULL);
}

/* Every accessing CPU has made two passes at least. */
static int all_passed(struct shared *s)
{
	for (int c = 1; c < s->n; c++)
		if (__atomic_load_n(&s->rounds[c], __ATOMIC_RELAXED) < 2)
			return 0;
	return 1;
}

/*
 * Start the others on touch_until_stopped(); CPU 0 runs @work ROUNDS
 * times, and on until each of them has made two passes (QEMU, or the
 * host under load, may run a CPU late), as the waits of mm_smp wait.
 */
static void race(struct shared *s, void (*work)(struct shared *s, int round))
{
	struct smp_call calls[CPU_MAX];

	for (int c = 1; c < s->n; c++)
		ASSERT_OK(smp_call_start((unsigned)c, &calls[c], touch_until_stopped, s));
	while (__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) < s->n - 1)
		relax();
	for (int r = 0; r < ROUNDS || !all_passed(s); r++)
		work(s, r);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	for (int c = 1; c < s->n; c++)
		smp_call_wait(&calls[c]);
	EXPECT_EQ(s->errors, 0);
}

/* Decommit, zero, clone (kept a while, then dropped): all while the others fault. */
static void churn(struct shared *s, int round)
{
	uint64_t first = (uint64_t)(round % 4) * (PAGES / 4);
	int rc = vmo_decommit(s->v, first * PAGE_SIZE, (PAGES / 4) * PAGE_SIZE);

	/* Refused only while a clone shares the pages. */
	EXPECT_TRUE(rc == E_OK || (rc == E_NOTSUP && s->clone));
	EXPECT_OK(vmo_zero(s->v, 0, PAGES / 2 * PAGE_SIZE));
	if (round % 3 == 0) {
		if (s->clone)
			vmo_put(s->clone);
		s->clone = NULL;
		EXPECT_OK(vmo_clone(s->v, 0, PAGES * PAGE_SIZE, "smp-clone", &s->clone));
	}

}

static void test_decommit_zero_and_clone_while_others_fault(void)
{
	begin();
	struct shared s = { .n = (int)smp_online() };

	ASSERT_OK(vmo_create(PAGES * PAGE_SIZE, 0, "smp-churn", &s.v));
	map_everywhere(&s);
	race(&s, churn);
	if (s.clone)
		vmo_put(s.clone);
	unmap_everywhere(&s);
	end();
}

/* Shrink the second half away and grow it back while the others fault. */
static void resize(struct shared *s, int round)
{
	EXPECT_OK(vmo_resize(s->v, (round % 2 ? PAGES : PAGES / 2) * PAGE_SIZE));
}

/* The loop in race() ends on an even round count or an odd one: grow back either way. */
static void resize_done(struct shared *s)
{
	EXPECT_OK(vmo_resize(s->v, PAGES * PAGE_SIZE));
}

static void test_shrink_and_grow_while_others_fault(void)
{
	begin();
	struct shared s = { .n = (int)smp_online() };

	ASSERT_OK(vmo_create(PAGES * PAGE_SIZE, VMO_RESIZABLE, "smp-resize", &s.v));
	map_everywhere(&s);
	race(&s, resize);
	resize_done(&s);
	unmap_everywhere(&s);
	end();
}

KTEST_SUITE(vmo_smp,
            KTEST_CASE(test_cpus_write_one_object_through_their_own_aspaces),
            KTEST_CASE(test_decommit_zero_and_clone_while_others_fault),
            KTEST_CASE(test_shrink_and_grow_while_others_fault));
