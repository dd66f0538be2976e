/*
 * Benchmarks of copy-on-write fork.
 *
 * fork_0 / fork_1 / fork_1000 / fork_10000: aspace_fork() of a user aspace
 * with one anonymous varea of 10,000 pages, of which 0, 1, 1,000 or 10,000
 * are populated (writable leaves).  fork_1 is the fixed part (with a
 * backup to make); (fork_10000 - fork_1) / 9,999 the cost per page.  The
 * parent is kept between runs and its leaves made writable again, so
 * each run forks the same state.
 *
 * cow_fault: a write through copy_to_user() to a page the child shares
 * read-only (mapped, tables present): trap, dispatch, the copy, the leaf
 * replaced.  last_holder_fault: the same write once the other side is
 * gone (the backup collapsed into the writer): no copy, the leaf made
 * writable.  takeover_fault: the other side has its own copy already, so
 * the writer takes the frame out of the backup.  user_write_8 is the
 * same copy_to_user() to a page mapped writable, for reference.
 */
#include <ktest/bench.h>
#include <mm/aspace.h>
#include <mm/usercopy.h>

#define RW (MMU_READ | MMU_WRITE)
#define BASE 0x10000000ul
#define PAGES 10000

static struct aspace *parents[4];
static const unsigned populated[4] = { 0, 1, 1000, 10000 };

/* The parent with @n pages populated, writable; NULL when out of memory. */
static struct aspace *parent(unsigned k)
{
	struct aspace *p = parents[k];
	uintptr_t a = BASE;

	if (!p) {
		if (aspace_create("bench", &p))
			return NULL;
		if (aspace_map_anon(p, &a, PAGES * PAGE_SIZE, 0, RW, MAP_FIXED) ||
		    (populated[k] && aspace_map_anon(p, &a, populated[k] * PAGE_SIZE, 0, RW,
		                                     MAP_FIXED | VAREA_POPULATE))) {
			aspace_destroy(p);
			return NULL;
		}
		parents[k] = p;
	}
	/* After the last child went, its leaves are read-only: make them writable. */
	if (aspace_protect(p, BASE, PAGES * PAGE_SIZE, MMU_READ) ||
	    aspace_protect(p, BASE, PAGES * PAGE_SIZE, RW))
		return NULL;
	return p;
}

static uint64_t fork_n(unsigned k)
{
	struct aspace *p = parent(k), *c;
	uint64_t n;
	int rc;

	if (!p)
		return 0;
	bench_start();
	rc = aspace_fork(p, &c);
	n = bench_stop();
	if (rc)
		return 0;
	aspace_destroy(c);
	return n;
}

static uint64_t bench_fork_0(void) { return fork_n(0); }
static uint64_t bench_fork_1(void) { return fork_n(1); }
static uint64_t bench_fork_1000(void) { return fork_n(2); }
static uint64_t bench_fork_10000(void) { return fork_n(3); }
BENCH(fork_0, NULL, bench_fork_0);
BENCH(fork_1, NULL, bench_fork_1);
BENCH(fork_1000, "fork_1", bench_fork_1000);
BENCH(fork_10000, "fork_1", bench_fork_10000);

/* ---- faults ----------------------------------------------------------------------- */

enum setup { SHARED, ALONE, TAKEOVER, PRIVATE };

/*
 * A parent with pages 0 and 1 written, forked; the writer (returned,
 * current) has both mapped; *@p and *@c are to destroy afterwards.
 */
static struct aspace *fault_setup(enum setup s, struct aspace **p, struct aspace **c)
{
	uintptr_t a = BASE;
	uint64_t v = 1;

	*p = *c = NULL;
	if (aspace_create("bench", p) || aspace_map_anon(*p, &a, 4 * PAGE_SIZE, 0, RW, MAP_FIXED))
		return NULL;
	aspace_switch(*p);
	if (copy_to_user(BASE, &v, 8) || copy_to_user(BASE + PAGE_SIZE, &v, 8))
		return NULL;
	if (s == PRIVATE)
		return *p;
	if (aspace_fork(*p, c))
		return NULL;
	aspace_switch(*c);
	if (copy_from_user(&v, BASE, 8) || copy_from_user(&v, BASE + PAGE_SIZE, 8))
		return NULL;
	if (s == SHARED)
		return *c;
	if (s == TAKEOVER) {
		aspace_switch(*p);
		if (copy_to_user(BASE, &v, 8))     /* the parent's own copy */
			return NULL;
		aspace_switch(*c);
		return *c;
	}
	aspace_switch(*p);
	aspace_destroy(*c);
	*c = NULL;
	return *p;
}

static uint64_t fault_case(enum setup s)
{
	struct aspace *p, *c;
	uint64_t v = 2, n = 0;
	int rc = 1;

	if (fault_setup(s, &p, &c)) {
		bench_start();
		rc = copy_to_user(BASE, &v, 8);
		n = bench_stop();
	}
	aspace_switch(NULL);
	if (c)
		aspace_destroy(c);
	if (p)
		aspace_destroy(p);
	return rc ? 0 : n;
}

static uint64_t bench_cow_fault(void) { return fault_case(SHARED); }
static uint64_t bench_last_holder_fault(void) { return fault_case(ALONE); }
static uint64_t bench_takeover_fault(void) { return fault_case(TAKEOVER); }
static uint64_t bench_user_write_8(void) { return fault_case(PRIVATE); }
BENCH(cow_fault, "copy_page", bench_cow_fault);
BENCH(last_holder_fault, "user_write_8", bench_last_holder_fault);
BENCH(takeover_fault, "user_write_8", bench_takeover_fault);
BENCH(user_write_8, NULL, bench_user_write_8);
