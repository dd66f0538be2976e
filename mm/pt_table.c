/*
 * Page tables as objects: where their pages come from, creating one,
 * destroying one.  The updates are in pt.c, queries and audits in
 * pt_walk.c.
 */
#include <stddef.h>
#include <arch/arch.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <mm/fail_inject.h>
#include "pt_internal.h"

/*
 * All null selects the frame allocator.  A default held as function
 * pointers here would be initialised data holding link-time addresses,
 * wrong while boot code runs the walker at its load address.
 */
static struct pt_allocator allocator;

void pt_set_allocator(const struct pt_allocator *a)
{
	if (a) {
		allocator = *a;
	} else {
		allocator.alloc = NULL;
		allocator.free = NULL;
		allocator.ctx = NULL;
	}
}

paddr_t pt_table_alloc(void)
{
	struct page *p;

	if (allocator.alloc)
		return allocator.alloc(allocator.ctx);
	/* arch_clear_page(), not PAGE_ZERO's plain memset: a fraction of the
	 * instructions, and every new table (a fork's root too) pays it. */
	p = page_alloc(0, 0);
	if (!p)
		return 0;
	arch_clear_page(page_to_va(p));
	return page_to_pa(p);
}

void pt_table_free(paddr_t table)
{
	if (allocator.free)
		allocator.free(allocator.ctx, table);
	else
		page_free(pa_to_page(table), 0);
}

/*
 * Spares.  A user table keeps up to PT_SPARES tables that emptied (and
 * stash pages it did not need) for the next tables it needs.  An
 * emptied table is all zero already, so a spare saves the allocator and
 * the page clear a new table costs: a range alone in its 2 MiB (or 1
 * GiB) has its tables freed at munmap (aspace_pt_unmap()'s bounds) and
 * rebuilt by the next fault there, which a program mapping, touching
 * and unmapping a buffer does each time.  The spares are the table's
 * own, guarded like its entries by its owner's lock, never reachable by
 * the hardware walker, and freed by pt_destroy(); not in table_pages.
 * The kernel table keeps none (the self-tests count its tables and the
 * frames they take), and there are none while another allocator than
 * the frame allocator supplies table pages (boot code's pool; the host
 * tests' counting allocator, whose failures and counts are per page).
 */
paddr_t pt_table_get(struct pt *pt)
{
	paddr_t pa = pt->spares;
	paddr_t *link;

	if (!pa || allocator.alloc)
		return pt_table_alloc();
	/* The failure injection sees a spare as the allocation it saves,
	 * so a sweep fails the same steps whether a spare is there or not. */
	if (alloc_fail_injected())
		return 0;
	link = (paddr_t *)pt_table(pa);
	pt->spares = *link;
	*link = 0;
	pt->nspares--;
	return pa;
}

void pt_table_put(struct pt *pt, paddr_t table)
{
	const pte_t *t = pt_table(table);

	if (pt->kernel || allocator.free || pt->nspares >= PT_SPARES) {
		pt_table_free(table);
		return;
	}
	if (KDEBUG)
		for (unsigned i = 0; i < PT_ENTRIES; i++)
			if (t[i])
				panic("pt: a spare table's entry %u is 0x%llx, not zero", i,
				      (unsigned long long)t[i]);
	*(paddr_t *)pt_table(table) = pt->spares;
	pt->spares = table;
	pt->nspares++;
}

int pt_create(struct pt *pt, unsigned levels, int kernel, unsigned asid,
              const struct pt *kernel_pt)
{
	paddr_t root;

	if (levels < 3 || levels > 4)
		return E_INVAL;
	if (!kernel && (!kernel_pt || !kernel_pt->kernel || kernel_pt->levels != levels))
		return E_INVAL;
	root = pt_table_alloc();
	if (!root)
		return E_NOMEM;
	/* A new root is empty but for the kernel's entries a user root copies
	 * (riscv64), counted as they are copied. */
	pt_table_count_start(root, kernel ? 0 : arch_pt_user_root_init(pt_table(root),
	                                                               pt_table(kernel_pt->root_pa)));
	pt->root = pt_table(root);
	pt->root_pa = root;
	pt->levels = levels;
	arch_pt_va_range(levels, kernel, &pt->va_start, &pt->va_last);
	pt->asid = asid;
	pt->kernel = kernel;
	pt->cpus = kernel ? CPUS_ALL : 0;
	pt->table_pages = 1;
	pt->spares = 0;
	pt->nspares = 0;
	return E_OK;
}

/*
 * Free the tables below entries @first..@last of @table (not @table
 * itself), deepest first.  Recursion is bounded by the level count.
 */
static void free_below(paddr_t table, unsigned level, unsigned first, unsigned last)
{
	const pte_t *t = pt_table(table);

	for (unsigned i = first; i <= last; i++) {
		if (pt_kind(t[i], level) != PTE_TABLE)
			continue;
		free_below(arch_pte_pa(t[i]), level - 1, 0, PT_ENTRIES - 1);
		pt_table_free(arch_pte_pa(t[i]));
	}
}

/* Only the root entries of the table's own half: see pt_walk.c. */
void pt_destroy(struct pt *pt)
{
	free_below(pt->root_pa, pt->levels - 1, pt_index(pt->va_start, pt->levels - 1),
	           pt_index(pt->va_last, pt->levels - 1));
	pt_table_free(pt->root_pa);
	while (pt->spares) {
		paddr_t pa = pt->spares;

		pt->spares = *(paddr_t *)pt_table(pa);
		pt_table_free(pa);
	}
	pt->nspares = 0;
	pt->root = NULL;
	pt->root_pa = 0;
	pt->table_pages = 0;
}

int pt_prepopulate_root(struct pt *pt, uintptr_t va, uint64_t size)
{
	unsigned top = pt->levels - 1;
	uint64_t span = PT_LEVEL_SIZE(top);
	pte_t *root = pt_table(pt->root_pa);
	uintptr_t last = va + (size - 1);

	if (!size || last < va || va < pt->va_start || last > pt->va_last)
		return E_RANGE;
	for (uintptr_t v = va & ~(span - 1); ; v += span) {
		pte_t *slot = &root[pt_index(v, top)];

		if (pt_kind(*slot, top) == PTE_NONE) {
			paddr_t t = pt_table_alloc();

			if (!t)
				return E_NOMEM;
			pt_table_count_init(t);
			arch_pte_write(slot, arch_pte_table(t));
			pt->table_pages++;
		}
		if (last - v < span)
			break;
	}
	arch_pt_sync();
	return E_OK;
}

/* Store the count of every table below @table at @level (and its own). */
static void recount(paddr_t table, unsigned level, unsigned first, unsigned last)
{
	const pte_t *t = pt_table(table);

	pt_table_count_init(table);
	if (!level)
		return;
	for (unsigned i = first; i <= last; i++)
		if (pt_kind(t[i], level) == PTE_TABLE)
			recount(arch_pte_pa(t[i]), level - 1, 0, PT_ENTRIES - 1);
}

void pt_recount(struct pt *pt)
{
	unsigned top = pt->levels - 1;

	recount(pt->root_pa, top, pt_index(pt->va_start, top), pt_index(pt->va_last, top));
}
