/*
 * Benchmarks of memory objects (<mm/vmo.h>).
 *
 * vmo_map_cycle: vmo_create() of one page, aspace_map() shared into a
 * user aspace (its tables present), aspace_unmap(), vmo_put(): the whole
 * life of an object nobody touched; beside varea_map_unmap, the same
 * map and unmap of an anonymous object.
 *
 * vmo_clone_1 / vmo_clone_1000: vmo_clone() of the whole of an object
 * with 1 or 1,000 committed pages, not mapped: the store's index moves
 * into a backup whole (its root changes hands), so the count does not
 * grow with the pages.  The clone is dropped after each run, and the
 * backup collapses back into the parent, so every run clones the same
 * state.
 *
 * vmo_read_4k / vmo_write_4k: vmo_read() / vmo_write() of one committed
 * page into / from a kernel buffer, beside copy_page, the page copy
 * they must do at least.
 */
#include <ktest/bench.h>
#include <mm/aspace.h>
#include <mm/page.h>
#include <mm/vmo.h>

#define RW (MMU_READ | MMU_WRITE)
#define BASE 0x10000000ul

static struct aspace *user;
static struct vmo *parent[2];
static struct page *buf;

static struct aspace *user_as(void)
{
	uintptr_t a = BASE + 16 * PAGE_SIZE;

	/* A neighbour keeps the tables of BASE alive between runs. */
	if (!user && (aspace_create("bench", &user) ||
	              aspace_map_anon(user, &a, PAGE_SIZE, 0, RW, MAP_FIXED | VAREA_POPULATE)))
		return NULL;
	return user;
}

static uint64_t bench_vmo_map_cycle(void)
{
	struct aspace *as = user_as();
	struct vmo *v = NULL;
	uintptr_t a = BASE;
	uint64_t n;
	int rc;

	if (!as)
		return 0;
	bench_start();
	rc = vmo_create(PAGE_SIZE, 0, "bench", &v);
	if (!rc)
		rc = aspace_map(as, &a, PAGE_SIZE, 0, RW, MAP_FIXED, vmo_obj(v), 0);
	if (!rc)
		rc = aspace_unmap(as, BASE, PAGE_SIZE);
	if (v)
		vmo_put(v);
	n = bench_stop();
	return rc ? 0 : n;
}
BENCH(vmo_map_cycle, "varea_map_unmap", bench_vmo_map_cycle);

static struct vmo *committed(int k, uint64_t pages)
{
	if (!parent[k] && (vmo_create(pages * PAGE_SIZE, 0, "bench", &parent[k]) ||
	                   vmo_commit(parent[k], 0, pages * PAGE_SIZE)))
		return NULL;
	return parent[k];
}

static uint64_t clone_case(int k, uint64_t pages)
{
	struct vmo *v = committed(k, pages), *c = NULL;
	uint64_t n;
	int rc;

	if (!v)
		return 0;
	bench_start();
	rc = vmo_clone(v, 0, pages * PAGE_SIZE, "clone", &c);
	n = bench_stop();
	if (c)
		vmo_put(c);
	return rc ? 0 : n;
}

static uint64_t bench_vmo_clone_1(void) { return clone_case(0, 1); }
static uint64_t bench_vmo_clone_1000(void) { return clone_case(1, 1000); }
BENCH(vmo_clone_1, NULL, bench_vmo_clone_1);
BENCH(vmo_clone_1000, "vmo_clone_1", bench_vmo_clone_1000);

static void *kbuf(void)
{
	if (!buf)
		buf = page_alloc(0, PAGE_ZERO);
	return buf ? page_to_va(buf) : NULL;
}

static uint64_t rw_case(int write)
{
	struct vmo *v = committed(0, 1);
	void *b = kbuf();
	uint64_t n;
	int rc;

	if (!v || !b)
		return 0;
	bench_start();
	rc = write ? vmo_write(v, 0, b, PAGE_SIZE) : vmo_read(v, 0, b, PAGE_SIZE);
	n = bench_stop();
	return rc ? 0 : n;
}

static uint64_t bench_vmo_read_4k(void) { return rw_case(0); }
static uint64_t bench_vmo_write_4k(void) { return rw_case(1); }
BENCH(vmo_read_4k, "copy_page", bench_vmo_read_4k);
BENCH(vmo_write_4k, "copy_page", bench_vmo_write_4k);
