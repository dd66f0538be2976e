/*
 * Reading page tables: query, walk, audit.  The updates are in pt.c,
 * creation and destruction in pt_table.c.
 *
 * Every traversal starts at the root and visits only the root entries
 * inside the table's own half, [va_start, va_last]: on riscv64 a user root
 * also holds the kernel's root entries (arch_pt_user_root_init), which
 * belong to the kernel table.
 */
#include <stdio.h>
#include <lib/err.h>
#include "pt_internal.h"

/* The root entries of @pt's half: first and last index. */
static void root_span(const struct pt *pt, unsigned *first, unsigned *last)
{
	*first = pt_index(pt->va_start, pt->levels - 1);
	*last = pt_index(pt->va_last, pt->levels - 1);
}

pte_t *pt_leaf(const struct pt *pt, uintptr_t va, unsigned *level)
{
	paddr_t table = pt->root_pa;

	if (va < pt->va_start || va > pt->va_last)
		return NULL;
	for (unsigned l = pt->levels - 1;; l--) {
		pte_t *slot = &pt_table(table)[pt_index(va, l)];
		enum pte_kind k = pt_kind(*slot, l);

		if (k == PTE_LEAF) {
			if (level)
				*level = l;
			return slot;
		}
		if (k != PTE_TABLE)
			return NULL;
		table = arch_pte_pa(*slot);
	}
}

int pt_query(const struct pt *pt, uintptr_t va, paddr_t *pa, unsigned *flags,
             uint64_t *leaf_size)
{
	unsigned level;
	const pte_t *slot;
	uint64_t size;

	if (va < pt->va_start || va > pt->va_last)
		return E_RANGE;
	slot = pt_leaf(pt, va, &level);
	if (!slot)
		return E_NOENT;
	size = PT_LEVEL_SIZE(level);
	if (pa)
		*pa = arch_pte_pa(*slot) + (va & (size - 1));
	if (flags)
		*flags = arch_pte_flags(*slot);
	if (leaf_size)
		*leaf_size = size;
	return E_OK;
}

/* ---- walk ------------------------------------------------------------------- */

/*
 * Visit the leaves of the table @table at @level based at @base that touch
 * [va, last] (inclusive), in ascending order.  The range is clipped at
 * every level, so a walk over a small range reads only the entries above
 * it, whatever the table maps elsewhere.
 */
static int walk_table(paddr_t table, unsigned level, uintptr_t base, uintptr_t va,
                      uintptr_t last, pt_walk_fn fn, void *ctx)
{
	const pte_t *t = pt_table(table);
	uint64_t size = PT_LEVEL_SIZE(level);
	unsigned first = va > base ? pt_index(va, level) : 0;
	unsigned end = last < pt_table_last(base, level) ? pt_index(last, level) : PT_ENTRIES - 1;
	int rc = 0;

	for (unsigned i = first; i <= end && !rc; i++) {
		uintptr_t sva = base + i * size;

		switch (pt_kind(t[i], level)) {
		case PTE_LEAF:
			rc = fn(ctx, sva, arch_pte_pa(t[i]), size, arch_pte_flags(t[i]), level);
			break;
		case PTE_TABLE:
			rc = walk_table(arch_pte_pa(t[i]), level - 1, sva, va, last, fn, ctx);
			break;
		default:
			break;
		}
	}
	return rc;
}

int pt_walk(const struct pt *pt, pt_walk_fn fn, void *ctx)
{
	return walk_table(pt->root_pa, pt->levels - 1, pt_root_base(pt), pt->va_start,
	                  pt->va_last, fn, ctx);
}

int pt_walk_range(const struct pt *pt, uintptr_t va, uint64_t size, pt_walk_fn fn, void *ctx)
{
	uintptr_t last = va + (uintptr_t)(size - 1);

	if (!size)
		return 0;
	if (va < pt->va_start)
		va = pt->va_start;
	if (last < va || last > pt->va_last)
		last = pt->va_last;
	if (va > last)
		return 0;
	return walk_table(pt->root_pa, pt->levels - 1, pt_root_base(pt), va, last, fn, ctx);
}

/* The empty tables below @table at @level based at @base, entries @first..@last. */
static int empty_below(paddr_t table, unsigned level, uintptr_t base, unsigned first,
                       unsigned last, pt_table_fn fn, void *ctx)
{
	const pte_t *t = pt_table(table);
	int rc = 0;

	for (unsigned i = first; i <= last && !rc; i++) {
		uintptr_t sva = base + i * PT_LEVEL_SIZE(level);

		if (pt_kind(t[i], level) != PTE_TABLE)
			continue;
		if (!pt_table_count(arch_pte_pa(t[i])))
			rc = fn(ctx, sva, PT_LEVEL_SIZE(level));
		else
			rc = empty_below(arch_pte_pa(t[i]), level - 1, sva, 0, PT_ENTRIES - 1, fn, ctx);
	}
	return rc;
}

int pt_walk_empty(const struct pt *pt, pt_table_fn fn, void *ctx)
{
	unsigned first, last;

	root_span(pt, &first, &last);
	return empty_below(pt->root_pa, pt->levels - 1, pt_root_base(pt), first, last, fn, ctx);
}

/* ---- audit ------------------------------------------------------------------ */

struct audit {
	const struct pt *pt;
	uint64_t tables;   /* table pages reached, the root included */
	int problems;
};

static void problem(struct audit *a, uintptr_t va, const char *what)
{
	printf("pt_audit: %#llx: %s\n", (unsigned long long)va, what);
	a->problems++;
}

/* The checks on one leaf; see pt_audit() in pt.h. */
static void audit_leaf(struct audit *a, uintptr_t va, pte_t pte, unsigned level)
{
	unsigned flags = arch_pte_flags(pte);

	if ((flags & MMU_WRITE) && (flags & MMU_EXEC))
		problem(a, va, "writable and executable");
	if (flags & ~MMU_FLAGS_ALL)
		problem(a, va, "unknown flags");
	if ((flags & MMU_MEMTYPE) & ((flags & MMU_MEMTYPE) - 1))
		problem(a, va, "two memory types");
	if (!(flags & MMU_READ))
		problem(a, va, "not readable");
	if (a->pt->kernel && (flags & MMU_USER))
		problem(a, va, "user leaf in the kernel table");
	if (a->pt->kernel && !(flags & MMU_GLOBAL))
		problem(a, va, "kernel leaf not global");
	if (!a->pt->kernel && !(flags & MMU_USER))
		problem(a, va, "kernel leaf in a user table");
	if (!a->pt->kernel && (flags & MMU_GLOBAL))
		problem(a, va, "global leaf in a user table");
	if (level > PT_MAX_BLOCK_LEVEL)
		problem(a, va, "block larger than the largest block size");
	if (arch_pte_pa(pte) & (PT_LEVEL_SIZE(level) - 1))
		problem(a, va, "physical address not aligned to the leaf size");
}

/*
 * Audit the table @table at @level based at @base, entries @first..@last,
 * and what it points to.  A table other than the root is never left empty
 * (unmap frees it), and its recorded entry count must match its entries.
 */
static void audit_table(struct audit *a, paddr_t table, unsigned level, uintptr_t base,
                        unsigned first, unsigned last)
{
	const pte_t *t = pt_table(table);
	unsigned valid = 0;

	a->tables++;
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uintptr_t va = base + i * PT_LEVEL_SIZE(level);
		enum pte_kind kind = pt_kind(t[i], level);

		valid += kind != PTE_NONE;
		if (i < first || i > last)
			continue;
		if (kind == PTE_LEAF)
			audit_leaf(a, va, t[i], level);
		else if (kind == PTE_TABLE)
			audit_table(a, arch_pte_pa(t[i]), level - 1, va, 0, PT_ENTRIES - 1);
		else if (t[i])
			problem(a, va, "invalid entry not zero");
	}
	/* Tables under a shared kernel root stay even when empty (pt.c); a
	 * user table's unmaps keep empty tables its aspace still needs
	 * (pt_unmap_keep(); aspace_check() checks those with pt_walk_empty()). */
	if (a->pt->kernel && table != a->pt->root_pa && !valid &&
	    !(level == a->pt->levels - 2 && arch_pt_kernel_root_shared()))
		problem(a, base, "empty table not freed");
	if (pt_table_count(table) != valid)
		problem(a, base, "table's entry count is wrong");
}

int pt_audit(const struct pt *pt)
{
	struct audit a = { pt, 0, 0 };
	unsigned first, last;

	root_span(pt, &first, &last);
	audit_table(&a, pt->root_pa, pt->levels - 1, pt_root_base(pt), first, last);
	if (a.tables != pt->table_pages) {
		printf("pt_audit: %llu table pages reachable, %llu counted\n",
		       (unsigned long long)a.tables, (unsigned long long)pt->table_pages);
		a.problems++;
	}
	return a.problems;
}
