/* Set-up and helpers for the host tests of address spaces (aspace_fixture.h). */
#include <string.h>
#include <lib/err.h>
#include <mm/kmap.h>
#include <lib/ktest.h>
#include <mm/asid.h>
#include <mm/heap.h>
#include <mm/page.h>
#include "aspace_fixture.h"
#include "fail_inject.h"
#include "fake_arch.h"
#include "fake_mmu.h"
#include "fake_ram.h"

struct aspace *fx_as;

static uint64_t free_at_start, slabs_at_start;


static uint64_t heap_frames(void)
{
	struct heap_stats st;

	heap_stats(&st);
	return st.slab_pages + st.large_pages;
}

static void setup(unsigned levels, int big)
{
	fail_inject_at(0, 0);   /* a case that ended early may have left it armed */
	if (big)
		fake_ram_setup_big();
	else
		fake_ram_setup();
	fake_mmu_reset(levels);
	fake_pt_alloc_install();
	asid_init(16);
	ASSERT_OK(aspace_kernel_init());
	heap_shrink();
	free_at_start = pmm_free_frames();
	slabs_at_start = heap_frames();
	ASSERT_OK(pt_create(&kernel_pt, levels, 1, 0, NULL));
	ASSERT_OK(aspace_create("test", &fx_as));
}

void fx_setup(unsigned levels)
{
	setup(levels, 0);
}

void fx_setup_big(unsigned levels)
{
	setup(levels, 1);
}

void fx_teardown(void)
{
	fail_inject_at(0, 0);
	if (fx_as) {
		EXPECT_EQ(aspace_check(fx_as), 0);
		EXPECT_EQ(pt_audit(fx_as->pt), 0);
		aspace_destroy(fx_as);
		fx_as = NULL;
	}
	EXPECT_EQ(aspace_check(&kernel_aspace), 0);
	EXPECT_EQ(kernel_aspace.nvareas, 0);
	EXPECT_EQ(pt_audit(&kernel_pt), 0);
	pt_destroy(&kernel_pt);
	EXPECT_EQ(fake_pt_alloc_live(), 0);
	heap_shrink();
	EXPECT_EQ(pmm_free_frames(), free_at_start);
	EXPECT_EQ(fake_mmu_violations(), 0);
	EXPECT_TRUE(fake_irq_enabled());
	pt_set_allocator(NULL);
}

uint64_t fx_data_frames(void)
{
	return free_at_start - pmm_free_frames() - (heap_frames() - slabs_at_start) -
	       fake_pt_alloc_live();
}

enum fault_result fx_fault(struct aspace *as, uintptr_t addr, enum fault_access access)
{
	struct fault f = { .addr = addr, .pc = 0x1234, .access = access,
	                   .kind = FAULT_NOT_PRESENT, .user = !as->kernel };

	return aspace_fault(as, &f);
}

uint64_t *fx_word(struct aspace *as, uintptr_t addr)
{
	paddr_t pa;

	if (pt_query(as->pt, addr, &pa, NULL, NULL))
		return NULL;
	return pa_to_va(pa);
}

uint64_t fx_read_obj(struct aspace *as, uintptr_t addr)
{
	static uint64_t buf[PAGE_SIZE / 8];
	unsigned long irq = spin_lock_irqsave(&as->lock);
	struct varea *va = aspace_find_locked(as, addr);
	int rc;

	if (!va) {
		spin_unlock_irqrestore(&as->lock, irq);
		ktest_fail(__FILE__, __LINE__, "no varea at %#lx", (unsigned long)addr);
		return ~0ull;
	}
	rc = va->obj->ops->page_read(va->obj, va->offset + ((addr & ~PAGE_MASK) - va->start), buf);
	spin_unlock_irqrestore(&as->lock, irq);
	if (rc && rc != E_NOENT)
		ktest_fail(__FILE__, __LINE__, "page_read at %#lx: %s", (unsigned long)addr,
		           err_str(rc));
	return buf[(addr & PAGE_MASK) / 8];
}

int fx_has_varea(struct aspace *as, uintptr_t addr)
{
	unsigned long irq = spin_lock_irqsave(&as->lock);
	int found = aspace_find_locked(as, addr) != NULL;

	spin_unlock_irqrestore(&as->lock, irq);
	return found;
}

struct list_ctx {
	struct fx_varea *out;
	unsigned n, max;
};

static int list_one(void *ctx, const struct varea *va)
{
	struct list_ctx *c = ctx;

	if (c->n < c->max)
		c->out[c->n] = (struct fx_varea){ va->start, va->size, va->perms, va->flags,
		                                  va->resident, va->obj->ops->name };
	c->n++;
	return 0;
}

unsigned fx_vareas(struct aspace *as, struct fx_varea *out, unsigned max)
{
	struct list_ctx c = { out, 0, max };

	aspace_traverse(as, list_one, &c);
	return c.n;
}

/* Enough for every frame of the fake RAM. */
static struct page *hog[FAKE_RAM_SIZE / PAGE_SIZE];
static unsigned nhog;

void fx_hog_all_but(unsigned keep)
{
	struct page *p;

	while ((p = page_alloc(0, 0)))
		hog[nhog++] = p;
	while (keep-- && nhog)
		page_free(hog[--nhog], 0);
}

void fx_hog_release(void)
{
	while (nhog)
		page_free(hog[--nhog], 0);
}

struct spare {
	const char *name;
	uint64_t n;
};

static void count_spare(const struct kmem_cache_stats *st, void *ctx)
{
	struct spare *x = ctx;

	if (!strcmp(st->name, x->name))
		x->n = st->objs_total - st->objs_inuse;
}

void fx_fill_varea_cache(uintptr_t *far)
{
	struct spare f = { "varea", 0 };

	for (unsigned i = 0; i < 4096; i++) {
		f.n = 0;
		kmem_cache_foreach(count_spare, &f);
		if (!f.n)
			return;
		ASSERT_OK(aspace_map_anon(fx_as, far, PG, 0, (*far >> PAGE_SHIFT) % 4 ? RO : RW,
		                          MAP_FIXED));
		*far += 2 * PG;
	}
}
