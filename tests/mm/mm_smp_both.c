/*
 * The memory subsystem with every CPU at once: faults on one aspace from
 * several CPUs, unmap and protect racing accesses on another CPU (TLB
 * shootdown), fork while other CPUs write, a copy-on-write sibling
 * destroyed while the other faults on the shared backup, parent and child
 * writing their shared pages at once, ASID rollover with every CPU
 * switching aspaces, aspaces made and destroyed across CPUs.  Other CPUs
 * run their part through smp calls (<boot/smp.h>); user memory is reached
 * with copy_to_user / copy_from_user, whose faults go through each CPU's
 * fault path.  Every aspace is checked (aspace_check, pt_audit) before it
 * goes.
 *
 * In the kernel (QEMU, boot with SMP=4) the calls run on the other CPUs'
 * idle fibers, faults come through each CPU's trap code, and the runner's
 * invariants (frames back to the baseline, the kernel table audit) follow
 * every case.  Cases skip on one CPU.
 *
 * On the host, lib/ and mm/ run with their real spinlocks over the fake
 * arch, with POSIX threads as CPUs (tests/testlib/host/smp_host.h), 4 per
 * case, from fresh fake RAM; fx_teardown() checks that every frame came
 * back.  ThreadSanitizer watches it there (make tsan-test builds every
 * *_smp_both.c and *_smp_host.c suite with -fsanitize=thread; the
 * AddressSanitizer build runs it too).  The fake MMU has no TLB to go
 * stale (it walks the tables on every access; a flush waits for the CPUs
 * it names to finish the access under way), so whether the right TLB
 * entries are invalidated on the right CPUs is for the kernel run to
 * show; the host shows data races and lock discipline, and the
 * invariants after concurrent operations.
 *
 * What differs between the two is in the helpers just below (begin(),
 * end(), relax(), data_frames()) and one round count (SHARED_ROUNDS);
 * the scenarios are the same code.
 */
#include <string.h>
#include <arch/cpu.h>
#include <boot/smp.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/asid.h>
#include <mm/aspace.h>
#include <mm/pt.h>
#include <mm/usercopy.h>

#if KTEST_HOST
#include "aspace_fixture.h"
#include "smp_host.h"

#define NCPUS 4   /* every case, whatever it needs (begin()) */
#define SHARED_ROUNDS 8   /* test_parent_and_child_write_shared_pages_at_once */

/* Fresh fake RAM and tables, NCPUS CPUs online. */
static void begin(unsigned need)
{
	(void)need;
	fx_setup_big(4);
	smp_host_up(NCPUS);
}

/* Back to one CPU; fx_teardown() checks the tables and that every frame came back. */
static void end(void)
{
	smp_host_down();
	fx_teardown();
}

/* In spin-waits: let another thread run (the host may have fewer cores than CPUs). */
static void relax(void)
{
	smp_host_relax();
}

/* Frames holding data since begin(): the fixture tells them from tables and slabs. */
static uint64_t data_frames(struct aspace *as)
{
	(void)as;
	return fx_data_frames();
}

#else /* the kernel */
#include <arch/smp.h>
#include <mm/heap.h>
#include <mm/kmap.h>

#define RW (MMU_READ | MMU_WRITE)
/*
 * test_parent_and_child_write_shared_pages_at_once: two rounds, one for
 * each side destroyed first.  On riscv64 every copy-on-write fault there
 * is an SBI remote fence to CPUs that are busy, and under QEMU on a
 * loaded host a round can take seconds (8 rounds doubled the suite).
 */
#define SHARED_ROUNDS 2

static uint64_t free_at_begin, heap_at_begin, kernel_tables_at_begin;

static uint64_t heap_frames(void)
{
	struct heap_stats st;

	heap_stats(&st);
	return st.slab_pages + st.large_pages;
}

/* Skip unless @need CPUs are online; note the frame counts data_frames() starts from. */
static void begin(unsigned need)
{
	if (smp_online() < need)
		ktest_skip(need > 2 ? "needs 4 CPUs (boot with SMP=4)" :
		                      "needs more than one CPU (boot with SMP=4)");
	free_at_begin = heap_free_frames_settled();
	heap_at_begin = heap_frames();
	kernel_tables_at_begin = kernel_pt.table_pages;
}

/* Nothing: the runner checks its invariants after the case. */
static void end(void)
{
}

static void relax(void)
{
	arch_cpu_relax();
}

/*
 * Frames holding data since begin(), with @as the only user aspace alive:
 * frames in use since then minus slab pages and table pages (its spare
 * tables included).
 */
static uint64_t data_frames(struct aspace *as)
{
	uint64_t used = free_at_begin - heap_free_frames_settled();

	return used - (heap_frames() - heap_at_begin) - as->pt->table_pages - as->pt->nspares -
	       (kernel_pt.table_pages - kernel_tables_at_begin);
}
#endif

#define BASE  0x20000000ul
#define PAGES_PER_CPU 64

static uintptr_t at(uint64_t page)
{
	return BASE + page * PAGE_SIZE;
}

static uint64_t resident(struct aspace *as)
{
	struct aspace_query q;

	return aspace_query(as, BASE, &q) ? ~0ull : q.resident;
}

static struct aspace *new_user(uint64_t pages)
{
	struct aspace *as = NULL;
	uintptr_t a = BASE;

	ASSERT_OK(aspace_create("smp", &as));
	ASSERT_OK(aspace_map_anon(as, &a, pages * PAGE_SIZE, 0, RW, MAP_FIXED));
	return as;
}

/* The checks every aspace gets before it goes. */
static void check_destroy(struct aspace *as)
{
	EXPECT_OK(aspace_check(as));
	EXPECT_OK(pt_audit(as->pt));
	aspace_destroy(as);
}

/* Every CPU waits here until all @n have arrived. */
static void meet(int *count, int n)
{
	__atomic_fetch_add(count, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < n)
		relax();
}

/* ---- many CPUs, one aspace ---------------------------------------------------- */

struct shared_as {
	struct aspace *as;
	int ready;
	int n;
	int errors;
};

/* Each CPU writes its own pages, then reads them back. */
static void fault_own_pages(void *arg)
{
	struct shared_as *s = arg;
	uint64_t first = (uint64_t)cpu_num() * PAGES_PER_CPU;

	aspace_switch(s->as);
	meet(&s->ready, s->n);
	for (uint64_t p = first; p < first + PAGES_PER_CPU; p++) {
		uint64_t v = p * 1000 + cpu_num();

		if (copy_to_user(at(p) + 8 * cpu_num(), &v, sizeof(v)))
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	}
	for (uint64_t p = first; p < first + PAGES_PER_CPU; p++) {
		uint64_t v = 0;

		if (copy_from_user(&v, at(p) + 8 * cpu_num(), sizeof(v)) ||
		    v != p * 1000 + cpu_num())
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	}
	aspace_switch(NULL);
}

static void test_cpus_fault_disjoint_pages_of_one_aspace(void)
{
	begin(2);
	struct shared_as s = { .as = new_user(CPU_MAX * PAGES_PER_CPU), .n = (int)smp_online() };

	EXPECT_EQ(smp_run_everywhere(fault_own_pages, &s), s.n);
	EXPECT_EQ(s.errors, 0);
	EXPECT_EQ_U(resident(s.as), (uint64_t)s.n * PAGES_PER_CPU);
	EXPECT_EQ_U(data_frames(s.as), (uint64_t)s.n * PAGES_PER_CPU);
	check_destroy(s.as);
	end();
}

/* Every CPU writes its own word of the same untouched pages at once. */
static void fault_same_pages(void *arg)
{
	struct shared_as *s = arg;

	aspace_switch(s->as);
	for (uint64_t p = 0; p < PAGES_PER_CPU; p++) {
		uint64_t v = p << 8 | cpu_num();

		meet(&s->ready, s->n * (int)(p + 1));
		if (copy_to_user(at(p) + 8 * cpu_num(), &v, sizeof(v)))
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	}
	aspace_switch(NULL);
}

static void test_cpus_fault_the_same_page_at_once(void)
{
	begin(2);
	struct shared_as s = { .as = new_user(PAGES_PER_CPU), .n = (int)smp_online() };

	smp_run_everywhere(fault_same_pages, &s);
	EXPECT_EQ(s.errors, 0);
	/* One frame per page, whoever faulted first, holding every CPU's word. */
	EXPECT_EQ_U(resident(s.as), PAGES_PER_CPU);
	EXPECT_EQ_U(data_frames(s.as), PAGES_PER_CPU);
	aspace_switch(s.as);
	for (uint64_t p = 0; p < PAGES_PER_CPU; p++)
		for (int c = 0; c < s.n; c++) {
			uint64_t v = 0;

			EXPECT_OK(copy_from_user(&v, at(p) + 8 * (unsigned)c, sizeof(v)));
			EXPECT_EQ_U(v, p << 8 | (unsigned)c);
		}
	aspace_switch(NULL);
	check_destroy(s.as);
	end();
}

/* ---- shootdown: a change on one CPU, an access on another ------------------- */

struct race {
	struct aspace *as;
	int write;              /* the other CPU writes (else reads) */
	int started;            /* its accesses that succeeded */
	int changed;            /* set once the unmap / protect returned */
	int stop;
	int after;              /* accesses begun after the change returned */
	int wrong;              /* of those, ones that succeeded anyway */
	int bad_value;
};

/*
 * Each case races RACE_ROUNDS times, from a fresh aspace each, so the
 * change meets the other CPU at many points of its access and fault
 * paths (a race ThreadSanitizer reports needs the two to meet).  Before
 * each change the other CPU has accessed the page RACE_BEFORE times, so
 * its TLB holds the entry.
 */
#define RACE_ROUNDS 32
#define RACE_BEFORE 100
#define RACE_AFTER 200

/* Access page 0 in a loop; after the change, every access must fault. */
static void access_loop(void *arg)
{
	struct race *r = arg;
	uint64_t v;

	aspace_switch(r->as);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		int changed = __atomic_load_n(&r->changed, __ATOMIC_ACQUIRE);
		int rc;

		v = 0x5eed;
		rc = r->write ? copy_to_user(at(0), &v, sizeof(v)) :
		                copy_from_user(&v, at(0), sizeof(v));
		if (!changed) {
			if (rc == E_OK)
				__atomic_fetch_add(&r->started, 1, __ATOMIC_RELEASE);
			if (rc == E_OK && v != 0x5eed)
				r->bad_value++;
			continue;
		}
		r->wrong += rc == E_OK;
		if (++r->after == RACE_AFTER)
			break;
	}
	aspace_switch(NULL);
}

static void race_once(int write, int protect)
{
	struct race r = { .as = new_user(1), .write = write };
	struct smp_call call;
	uint64_t v = 0x5eed;

	aspace_switch(r.as);
	ASSERT_OK(copy_to_user(at(0), &v, sizeof(v)));
	aspace_switch(NULL);
	ASSERT_OK(smp_call_start(1, &call, access_loop, &r));
	while (__atomic_load_n(&r.started, __ATOMIC_ACQUIRE) < RACE_BEFORE)
		relax();
	if (protect)
		EXPECT_OK(aspace_protect(r.as, at(0), PAGE_SIZE, MMU_READ));
	else
		EXPECT_OK(aspace_unmap(r.as, at(0), PAGE_SIZE));
	__atomic_store_n(&r.changed, 1, __ATOMIC_RELEASE);
	smp_call_wait(&call);
	EXPECT_EQ(r.after, RACE_AFTER);
	EXPECT_EQ(r.wrong, 0);
	EXPECT_EQ(r.bad_value, 0);
	check_destroy(r.as);
}

static void race_change(int write, int protect)
{
	begin(2);
	for (int round = 0; round < RACE_ROUNDS && ktest_ok(); round++)
		race_once(write, protect);
	end();
}

static void test_unmap_while_another_cpu_reads_then_it_faults(void)
{
	race_change(0, 0);
}

static void test_unmap_while_another_cpu_writes_then_it_faults(void)
{
	race_change(1, 0);
}

static void test_protect_read_only_while_another_cpu_writes(void)
{
	race_change(1, 1);
}

/* ---- fork while others write ----------------------------------------------------- */

struct fork_race {
	struct aspace *as;
	int go;
	int stop;
	int errors;
	uint64_t written[CPU_MAX];   /* the last value each CPU wrote (release) */
};

/* Keep writing a rising count into word 0 of this CPU's pages. */
static void write_counts(void *arg)
{
	struct fork_race *f = arg;
	uint64_t first = (uint64_t)cpu_num() * PAGES_PER_CPU;

	aspace_switch(f->as);
	while (!__atomic_load_n(&f->go, __ATOMIC_ACQUIRE))
		relax();
	for (uint64_t n = 1; !__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE); n++) {
		for (uint64_t p = first; p < first + PAGES_PER_CPU; p++)
			if (copy_to_user(at(p), &n, sizeof(n)))
				__atomic_fetch_add(&f->errors, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&f->written[cpu_num()], n, __ATOMIC_RELEASE);
	}
	aspace_switch(NULL);
}

/* Wait until CPU @c has written @n rounds. */
static void wait_written(struct fork_race *f, unsigned c, uint64_t n)
{
	while (__atomic_load_n(&f->written[c], __ATOMIC_ACQUIRE) < n)
		relax();
}

static void test_fork_while_other_cpus_write(void)
{
	begin(2);
	unsigned n = smp_online();
	struct fork_race f = { .as = new_user((uint64_t)n * PAGES_PER_CPU) };
	struct smp_call calls[CPU_MAX];
	struct aspace *child = NULL;
	uint64_t before[CPU_MAX], after[CPU_MAX];
	int rc;

	for (unsigned c = 1; c < n; c++)
		EXPECT_OK(smp_call_start(c, &calls[c], write_counts, &f));
	__atomic_store_n(&f.go, 1, __ATOMIC_RELEASE);
	for (unsigned c = 1; c < n; c++)
		wait_written(&f, c, 3);
	for (unsigned c = 1; c < n; c++)
		before[c] = __atomic_load_n(&f.written[c], __ATOMIC_ACQUIRE);
	rc = aspace_fork(f.as, &child);
	for (unsigned c = 1; c < n; c++)
		after[c] = __atomic_load_n(&f.written[c], __ATOMIC_ACQUIRE) + 1;
	/* The writers go on in the parent; the child must not see it. */
	for (unsigned c = 1; c < n; c++)
		wait_written(&f, c, after[c] + 3);
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
	for (unsigned c = 1; c < n; c++)
		smp_call_wait(&calls[c]);
	EXPECT_OK(rc);
	EXPECT_EQ(f.errors, 0);
	ASSERT_NOT_NULL(child);

	/*
	 * Each page of the child holds a count its writer wrote around the
	 * fork: at least what was done before it, at most one more than what
	 * was done after (a write under way).  Never a later one, never torn.
	 */
	aspace_switch(child);
	for (unsigned c = 1; c < n; c++)
		for (uint64_t p = c * PAGES_PER_CPU; p < (c + 1) * PAGES_PER_CPU; p++) {
			uint64_t v = 0;

			EXPECT_OK(copy_from_user(&v, at(p), sizeof(v)));
			EXPECT_GE(v, before[c]);
			EXPECT_LE(v, after[c]);
		}
	aspace_switch(NULL);
	check_destroy(child);
	check_destroy(f.as);
	end();
}

/* ---- a COW sibling destroyed while the other faults ------------------------ */

struct sibling {
	struct aspace *as;
	uint64_t pages;
	int started;
	int errors;
};

/* Read every page (from the shared backup), then write every other page. */
static void touch_child(void *arg)
{
	struct sibling *s = arg;

	aspace_switch(s->as);
	__atomic_store_n(&s->started, 1, __ATOMIC_RELEASE);
	for (uint64_t p = 0; p < s->pages; p++) {
		uint64_t v = 0;

		if (copy_from_user(&v, at(p), sizeof(v)) || v != p + 1)
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
		v = p + 1000;
		if (p % 2 && copy_to_user(at(p), &v, sizeof(v)))
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	}
	aspace_switch(NULL);
}

static void test_destroy_cow_sibling_while_the_other_faults(void)
{
	begin(2);
	for (int round = 0; round < 8; round++) {
		struct sibling s = { .pages = 256 };
		struct aspace *parent = new_user(s.pages);
		struct smp_call call;

		aspace_switch(parent);
		for (uint64_t p = 0; p < s.pages; p++) {
			uint64_t v = p + 1;

			ASSERT_OK(copy_to_user(at(p), &v, sizeof(v)));
		}
		aspace_switch(NULL);
		ASSERT_OK(aspace_fork(parent, &s.as));
		ASSERT_OK(smp_call_start(1, &call, touch_child, &s));
		while (!__atomic_load_n(&s.started, __ATOMIC_ACQUIRE))
			relax();
		check_destroy(parent);
		smp_call_wait(&call);
		EXPECT_EQ(s.errors, 0);
		aspace_switch(s.as);
		for (uint64_t p = 0; p < s.pages; p++) {
			uint64_t v = 0;

			EXPECT_OK(copy_from_user(&v, at(p), sizeof(v)));
			EXPECT_EQ_U(v, p % 2 ? p + 1000 : p + 1);
		}
		aspace_switch(NULL);
		check_destroy(s.as);
	}
	end();
}

/* ---- both sides of a fork write at once ----------------------------------- */

/*
 * Parent and child take their copies of the shared pages at the same
 * time on different CPUs (copies, take-overs and the backup's collapse,
 * all under the hierarchy's lock), while another CPU reads both.  The
 * writers write word 0 of each page; the reader reads word 1, which no
 * one writes after the fork (a read of a word another CPU writes at the
 * same time would be the test's own race).
 */
#define SHARED_PAGES 128
#define PARENT_MARK 0x1000000ull
#define CHILD_MARK  0x2000000ull

struct both_sides {
	struct aspace *parent, *child;
	int stop;
	int errors;
};

/* CPUs 1 and 2 write every other page of the parent, CPU 3 every page of the child. */
static void write_side(void *arg)
{
	struct both_sides *b = arg;
	unsigned me = cpu_num();
	int child = me == 3;
	uint64_t mark = child ? CHILD_MARK : PARENT_MARK;

	aspace_switch(child ? b->child : b->parent);
	for (uint64_t i = 0; i < SHARED_PAGES; i++) {
		uint64_t p = child ? SHARED_PAGES - 1 - i : i, v = 0;

		if (!child && p % 2 != me - 1)
			continue;
		if (copy_from_user(&v, at(p), sizeof(v)) || v != p + 1)
			__atomic_fetch_add(&b->errors, 1, __ATOMIC_RELAXED);
		v = mark + p;
		if (copy_to_user(at(p), &v, sizeof(v)))
			__atomic_fetch_add(&b->errors, 1, __ATOMIC_RELAXED);
	}
	aspace_switch(NULL);
}

/* Word 1 of every page of @as still holds its value from before the fork. */
static int check_side(struct aspace *as)
{
	int bad = 0;

	aspace_switch(as);
	for (uint64_t p = 0; p < SHARED_PAGES; p++) {
		uint64_t v = 0;

		if (copy_from_user(&v, at(p) + 8, sizeof(v)) || v != ~p)
			bad++;
	}
	aspace_switch(NULL);
	return bad;
}

static void test_parent_and_child_write_shared_pages_at_once(void)
{
	begin(4);
	for (int round = 0; round < SHARED_ROUNDS && ktest_ok(); round++) {
		struct both_sides b = { .parent = new_user(SHARED_PAGES) };
		struct smp_call calls[CPU_MAX];

		aspace_switch(b.parent);
		for (uint64_t p = 0; p < SHARED_PAGES; p++) {
			uint64_t v[2] = { p + 1, ~p };

			ASSERT_OK(copy_to_user(at(p), v, sizeof(v)));
		}
		aspace_switch(NULL);
		ASSERT_OK(aspace_fork(b.parent, &b.child));
		for (unsigned c = 1; c < 4; c++)
			EXPECT_OK(smp_call_start(c, &calls[c], write_side, &b));
		for (int i = 0; i < 4; i++) {
			b.errors += check_side(b.parent);
			b.errors += check_side(b.child);
		}
		for (unsigned c = 1; c < 4; c++)
			smp_call_wait(&calls[c]);
		EXPECT_EQ(b.errors, 0);
		aspace_switch(b.parent);
		for (uint64_t p = 0; p < SHARED_PAGES; p++) {
			uint64_t v[2] = { 0, 0 };

			EXPECT_OK(copy_from_user(v, at(p), sizeof(v)));
			EXPECT_EQ_U(v[0], PARENT_MARK + p);
			EXPECT_EQ_U(v[1], ~p);
		}
		aspace_switch(b.child);
		for (uint64_t p = 0; p < SHARED_PAGES; p++) {
			uint64_t v[2] = { 0, 0 };

			EXPECT_OK(copy_from_user(v, at(p), sizeof(v)));
			EXPECT_EQ_U(v[0], CHILD_MARK + p);
			EXPECT_EQ_U(v[1], ~p);
		}
		aspace_switch(NULL);
		/* Alternate which side goes first: the backup collapses into the other. */
		check_destroy(round % 2 ? b.parent : b.child);
		check_destroy(round % 2 ? b.child : b.parent);
	}
	end();
}

/* ---- ASIDs and aspace churn ------------------------------------------------------- */

#define SPACES_PER_CPU 8   /* more than the ASIDs the test leaves: rollovers every round */
#define ROUNDS 40

struct churn {
	int errors;
	int failures;
};

/*
 * Switch among aspaces of this CPU's own, each with a page holding its
 * own value: with few ASIDs they roll over often, and a stale entry of
 * an ASID's previous owner would read another aspace's value.
 */
static void switch_among_aspaces(void *arg)
{
	struct churn *c = arg;
	struct aspace *as[SPACES_PER_CPU] = { 0 };

	for (int i = 0; i < SPACES_PER_CPU; i++) {
		uintptr_t a = BASE;
		uint64_t v = (uint64_t)cpu_num() << 8 | (uint64_t)i;

		if (aspace_create("asid", &as[i]) ||
		    aspace_map_anon(as[i], &a, PAGE_SIZE, 0, RW, MAP_FIXED)) {
			__atomic_fetch_add(&c->failures, 1, __ATOMIC_RELAXED);
			goto out;
		}
		aspace_switch(as[i]);
		if (copy_to_user(at(0), &v, sizeof(v)))
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < SPACES_PER_CPU; i++) {
			uint64_t v = 0;

			aspace_switch(as[i]);
			if (copy_from_user(&v, at(0), sizeof(v)) ||
			    v != ((uint64_t)cpu_num() << 8 | (uint64_t)i))
				__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
		}
out:
	aspace_switch(NULL);
	for (int i = 0; i < SPACES_PER_CPU; i++)
		if (as[i]) {
			if (aspace_check(as[i]) || pt_audit(as[i]->pt))
				__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
			aspace_destroy(as[i]);
		}
}

static void test_asid_rollover_with_every_cpu_switching(void)
{
	begin(2);
	struct churn c = { 0 };
	uint64_t rollovers = asid_rollovers();

	asid_set_limit(1);   /* the fewest the allocator allows: one per CPU and two */
	smp_run_everywhere(switch_among_aspaces, &c);
	asid_set_limit(0);
	EXPECT_EQ(c.failures, 0);
	EXPECT_EQ(c.errors, 0);
	EXPECT_GE(asid_rollovers() - rollovers, ROUNDS);
	EXPECT_EQ_U(asid_in_use(), 0);
	end();
}

#define CHURN_TOTAL 1000

static void create_destroy(void *arg)
{
	struct churn *c = arg;

	for (unsigned i = 0; i < CHURN_TOTAL / smp_online(); i++) {
		struct aspace *as = NULL;
		uintptr_t a = BASE;
		uint64_t v = i;

		if (aspace_create("churn", &as) ||
		    aspace_map_anon(as, &a, 2 * PAGE_SIZE, 0, RW, MAP_FIXED)) {
			__atomic_fetch_add(&c->failures, 1, __ATOMIC_RELAXED);
			if (as)
				aspace_destroy(as);
			continue;
		}
		aspace_switch(as);
		if (copy_to_user(at(i % 2), &v, sizeof(v)))
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
		aspace_switch(NULL);
		aspace_destroy(as);
	}
}

static void test_thousand_aspaces_made_and_destroyed_across_cpus(void)
{
	begin(2);
	struct churn c = { 0 };

	smp_run_everywhere(create_destroy, &c);
	EXPECT_EQ(c.failures, 0);
	EXPECT_EQ(c.errors, 0);
	EXPECT_EQ_U(asid_in_use(), 0);
	end();
}

KTEST_SUITE(mm_smp,
	KTEST_CASE(test_cpus_fault_disjoint_pages_of_one_aspace),
	KTEST_CASE(test_cpus_fault_the_same_page_at_once),
	KTEST_CASE(test_unmap_while_another_cpu_reads_then_it_faults),
	KTEST_CASE(test_unmap_while_another_cpu_writes_then_it_faults),
	KTEST_CASE(test_protect_read_only_while_another_cpu_writes),
	KTEST_CASE(test_fork_while_other_cpus_write),
	KTEST_CASE(test_destroy_cow_sibling_while_the_other_faults),
	KTEST_CASE(test_parent_and_child_write_shared_pages_at_once),
	KTEST_CASE(test_asid_rollover_with_every_cpu_switching),
	KTEST_CASE(test_thousand_aspaces_made_and_destroyed_across_cpus));
