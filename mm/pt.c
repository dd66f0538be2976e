/*
 * The page-table walker: map, unmap and protect over the arch's entry
 * encoding (arch/include/arch/mmu.h).  Creating and destroying tables and
 * where their pages come from are in pt_table.c; queries, walks and the
 * audit in pt_walk.c.
 *
 * Every update runs the same traversal twice.  The counting pass writes
 * nothing: it validates (a map over anything mapped fails here) and counts
 * the table pages the update will take: one per missing intermediate table
 * of a map, one per block split by a partial unmap or protect.  Where the
 * table it would descend into does not exist yet, it walks a virtual one:
 * empty below a table a map would create, or full of the smaller leaves a
 * split would create, so nested splits (a 1 GiB block cut at 2 MiB and
 * then 4 KiB) are counted exactly.  Those pages are then allocated at
 * once; if any allocation fails they are all given back and nothing has
 * changed.  The applying pass takes its pages from that stash and cannot
 * fail.  Both passes choose what to do at each entry through decide(), so
 * they cannot disagree; the applying pass panics if they ever did.
 *
 * Leaf tables (level 0) take a loop of their own for unmap and protect
 * (apply_leaves()): no decision per slot, and it stops at the last valid
 * entry the table's count promises, so a sparse table costs what it holds.
 *
 * This code also runs at boot with the MMU off and table pages from a
 * static pool: it calls no library code, keeps no function pointers in
 * initialised data (they would hold link-time addresses), recurses at most
 * once per level and keeps its stack small.
 */
#include <stddef.h>
#include <lib/err.h>
#include <arch/cpu.h>
#include <lib/panic.h>
#include "pt_internal.h"

/* ---- entry counts ------------------------------------------------------------ */

/* The valid entries of @table, counted: the walker writes 0 into every slot
 * it empties and tables start zeroed, so the non-zero entries are valid. */
static unsigned table_scan(paddr_t table)
{
	const pte_t *t = pt_table(table);
	unsigned n = 0;

	for (unsigned i = 0; i < PT_ENTRIES; i++)
		n += t[i] != 0;
	return n;
}

/*
 * The number of valid entries of a table, so unmap knows when a table has
 * emptied without scanning 512 entries.  It lives in the table frame's
 * owner field (page_owner()); a table outside what the frame allocator
 * describes (boot, before it starts; host tests' pools) is scanned.
 * Callers read it before changing the table and write it after.
 */
static unsigned table_count_get(paddr_t table)
{
	struct page *p = pa_to_page(table);

	return p ? *page_owner(p) : table_scan(table);
}

static void table_count_set(paddr_t table, unsigned count)
{
	struct page *p = pa_to_page(table);

	if (p)
		*page_owner(p) = (uint16_t)count;
}

unsigned pt_table_count(paddr_t table)
{
	return table_count_get(table);
}

void pt_table_count_init(paddr_t table)
{
	table_count_set(table, table_scan(table));
}

void pt_table_count_start(paddr_t table, unsigned count)
{
	table_count_set(table, count);
}

/* ---- one update ------------------------------------------------------------- */

enum op_kind { OP_MAP, OP_UNMAP, OP_PROTECT };

/* What an update does to one entry its range touches. */
enum action {
	ACT_SKIP,       /* nothing to do */
	ACT_LEAF,       /* write, clear or rewrite this leaf */
	ACT_NEW_TABLE,  /* map: create the missing table, go on inside it */
	ACT_SPLIT,      /* replace a partly covered block by a table of smaller leaves */
	ACT_DESCEND,    /* go on inside the existing table */
	ACT_EXIST,      /* map: something is mapped here */
};

/*
 * Removed leaves and emptied tables wait here until the TLB no longer
 * holds them: only then may the unmap callback (which may free the frame)
 * run and the table page be reused.  Small batches keep the stack small.
 */
#define PENDING 8
#define PENDING_LEAVES 32

/*
 * An unmap of this many pages or more flushes the whole ASID at each
 * batch rather than each page of it: one invalidation per batch, and
 * the TLB would not keep much of the address space anyway.
 */
#define UNMAP_FLUSH_WHOLE 64

struct removed {
	uintptr_t va;
	pte_t pte;          /* decoded only for the callback */
	unsigned level;
};

struct op {
	struct pt *pt;
	enum op_kind kind;
	uintptr_t va, last;      /* the range, inclusive */
	uintptr_t floor, ceiling; /* unmap: emptied tables inside are freed, inclusive */
	paddr_t pa;              /* map: where va goes */
	unsigned flags;          /* map, protect */
	pt_leaf_fn fn;           /* unmap callback, per leaf */
	pt_leaves_fn leaves_fn;  /* or per batch */
	void *ctx;
	uint64_t need;           /* counted: table pages the update takes */
	paddr_t stash;           /* allocated pages, linked through their first word */
	uintptr_t dirty_lo;      /* leaves changed since the last flush; lo > hi: none */
	uintptr_t dirty_hi;
	int tables_removed;      /* a table entry was cleared since the last flush */
	unsigned nleaves, ntables;
	struct removed leaves[PENDING_LEAVES];
	paddr_t tables[PENDING];
};

/*
 * The one place that decides what happens to an entry of @kind at @level
 * whose slot starts at @sva; @whole says the range covers the whole slot.
 * A map puts a block wherever the slot is empty, covered, small enough to
 * be a block and the physical address is aligned to it.  Protect leaves
 * alone leaves that already have the flags, so it splits no block that
 * needs no change.
 */
static enum action decide(const struct op *op, unsigned level, enum pte_kind kind,
                          unsigned old_flags, uintptr_t sva, int whole)
{
	uint64_t size = PT_LEVEL_SIZE(level);

	if (op->kind == OP_MAP) {
		if (kind == PTE_LEAF)
			return ACT_EXIST;
		if (kind == PTE_TABLE)
			return ACT_DESCEND;
		if (level == 0)
			return ACT_LEAF;
		if (whole && level <= PT_MAX_BLOCK_LEVEL &&
		    !((op->pa + (sva - op->va)) & (size - 1)))
			return ACT_LEAF;
		return ACT_NEW_TABLE;
	}
	if (kind == PTE_NONE)
		return ACT_SKIP;
	if (kind == PTE_TABLE)
		return ACT_DESCEND;
	if (op->kind == OP_PROTECT && old_flags == op->flags)
		return ACT_SKIP;
	return whole ? ACT_LEAF : ACT_SPLIT;
}

/*
 * The slots of a table at @level based at @base that [op->va, op->last]
 * touches: first and last index.
 */
static void slot_span(const struct op *op, uintptr_t base, unsigned level,
                      unsigned *first, unsigned *last)
{
	uintptr_t tlast = pt_table_last(base, level);

	*first = op->va > base ? pt_index(op->va, level) : 0;
	*last = op->last < tlast ? pt_index(op->last, level) : PT_ENTRIES - 1;
}

static int covers_slot(const struct op *op, uintptr_t sva, unsigned level)
{
	return op->va <= sva && op->last >= sva + (uintptr_t)(PT_LEVEL_SIZE(level) - 1);
}

/* ---- counting pass ------------------------------------------------------------ */

/*
 * A table as the counting pass sees it: a real one, or (t == NULL) one an
 * earlier step would create: empty, or when @split is set, 512 leaves with
 * @flags.
 */
struct view {
	const pte_t *t;
	int split;
	unsigned flags;
};

/*
 * Add to op->need the table pages the update takes inside the table @v at
 * @level based at @base.  Returns E_OK or E_EXIST.  Nothing below a slot
 * the range covers whole can need a page for unmap or protect (every slot
 * under it is covered whole too), so those are not entered.
 */
static int count_table(struct op *op, struct view v, unsigned level, uintptr_t base)
{
	uint64_t size = PT_LEVEL_SIZE(level);
	unsigned first, last;
	int rc;

	if (!level && op->kind != OP_MAP)
		return E_OK;   /* 4 KiB leaves neither split nor take tables */
	slot_span(op, base, level, &first, &last);
	for (unsigned i = first; i <= last; i++) {
		uintptr_t sva = base + i * size;
		int whole = covers_slot(op, sva, level);
		pte_t pte = v.t ? v.t[i] : 0;
		enum pte_kind kind = v.t ? pt_kind(pte, level) : v.split ? PTE_LEAF : PTE_NONE;
		unsigned flags = v.t ? (kind == PTE_LEAF ? arch_pte_flags(pte) : 0) : v.flags;
		struct view child = { NULL, 0, 0 };

		switch (decide(op, level, kind, flags, sva, whole)) {
		case ACT_EXIST:
			return E_EXIST;
		case ACT_NEW_TABLE:
			op->need++;
			if (level == 1)
				continue;   /* a new level-0 table takes only leaves */
			break;
		case ACT_SPLIT:
			op->need++;
			if (level == 1)
				continue;   /* 4 KiB pages do not split */
			child.split = 1;
			child.flags = flags;
			break;
		case ACT_DESCEND:
			if (op->kind != OP_MAP && whole)
				continue;
			child.t = pt_table(arch_pte_pa(pte));
			/* A covered table holds a mapping unless it is empty
			 * (kept, see pt_unmap_keep()): then the map fills it. */
			if (whole && table_count_get(arch_pte_pa(pte)))
				return E_EXIST;
			break;
		default:
			continue;
		}
		rc = count_table(op, child, level - 1, sva);
		if (rc)
			return rc;
	}
	return E_OK;
}

/* ---- the stash of allocated pages ----------------------------------------------- */

static paddr_t stash_take(struct op *op)
{
	paddr_t pa = op->stash;
	paddr_t *link;

	if (!pa)
		panic("pt: counting pass allocated too few table pages");
	link = (paddr_t *)pa_to_va(pa);
	op->stash = *link;
	*link = 0;   /* zeroed again: an empty table */
	return pa;
}

static void stash_release(struct op *op)
{
	while (op->stash)
		pt_table_put(op->pt, stash_take(op));
}

static int stash_fill(struct op *op)
{
	for (uint64_t i = 0; i < op->need; i++) {
		paddr_t pa = pt_table_get(op->pt);

		if (!pa) {
			stash_release(op);
			return E_NOMEM;
		}
		*(paddr_t *)pa_to_va(pa) = op->stash;
		op->stash = pa;
	}
	return E_OK;
}

/* ---- TLB maintenance -------------------------------------------------------------- */

static void mark_dirty(struct op *op, uintptr_t sva, unsigned level)
{
	uintptr_t slast = sva + (uintptr_t)(PT_LEVEL_SIZE(level) - 1);

	if (sva < op->dirty_lo)
		op->dirty_lo = sva;
	if (slast > op->dirty_hi)
		op->dirty_hi = slast;
}

/* Every entry of this table, whatever ASID it was cached under. */
static void flush_whole(const struct pt *pt)
{
	if (pt->kernel)
		arch_tlb_flush_all(pt_cpus(pt));
	else
		arch_tlb_flush_asid(pt_cpus(pt), pt->asid);
}

/*
 * Make the changes so far visible to the hardware walker and remove what
 * they replaced from the TLBs, then release what was waiting for that.
 * A cleared table entry needs a whole flush: RISC-V's SFENCE.VMA by
 * address orders only leaf entries (privileged spec, "Supervisor Memory-
 * Management Fence Instruction"), and a cached walk through the old table
 * must not outlive the page.
 */
static void flush(struct op *op)
{
	if (!op->tables_removed && op->dirty_lo > op->dirty_hi)
		return;
	arch_pt_sync();
	if (op->tables_removed ||
	    (op->kind == OP_UNMAP && op->last - op->va >= UNMAP_FLUSH_WHOLE * PAGE_SIZE))
		flush_whole(op->pt);
	else
		arch_tlb_flush_range(pt_cpus(op->pt), op->pt->asid, op->dirty_lo,
		                     op->dirty_hi - op->dirty_lo + 1);
	op->dirty_lo = UINTPTR_MAX;
	op->dirty_hi = 0;
	op->tables_removed = 0;
	for (unsigned i = 0; i < op->ntables; i++)
		pt_table_put(op->pt, op->tables[i]);
	if (op->leaves_fn && op->nleaves) {
		struct pt_gone g[PENDING_LEAVES];

		for (unsigned i = 0; i < op->nleaves; i++) {
			g[i].va = op->leaves[i].va;
			g[i].pa = arch_pte_pa(op->leaves[i].pte);
			g[i].size = PT_LEVEL_SIZE(op->leaves[i].level);
		}
		op->leaves_fn(op->ctx, g, op->nleaves);
	}
	for (unsigned i = 0; op->fn && i < op->nleaves; i++) {
		const struct removed *r = &op->leaves[i];

		op->fn(op->ctx, r->va, arch_pte_pa(r->pte), PT_LEVEL_SIZE(r->level),
		       arch_pte_flags(r->pte));
	}
	op->ntables = 0;
	op->nleaves = 0;
}

/* ---- applying pass ------------------------------------------------------------------ */

/* Point @slot at the filled table @child; its contents first, then the pointer. */
static void install_table(pte_t *slot, paddr_t child)
{
	arch_pt_sync();
	arch_pte_write(slot, arch_pte_table(child));
}

/*
 * Replace the live block @old at @level (slot at @sva) by a table of 512
 * leaves of the next size with the same flags and consecutive addresses.
 * Output size changes, so break-before-make: the block is made invalid and
 * flushed before the table goes in (Arm ARM, the break-before-make rules
 * for translation table updates).
 */
static paddr_t split_block(struct op *op, pte_t *slot, pte_t old, unsigned level, uintptr_t sva)
{
	paddr_t child = stash_take(op);
	pte_t *t = pt_table(child);
	paddr_t pa = arch_pte_pa(old);
	unsigned flags = arch_pte_flags(old);
	uint64_t size = PT_LEVEL_SIZE(level - 1);

	for (unsigned i = 0; i < PT_ENTRIES; i++)
		t[i] = arch_pte_leaf(pa + i * size, flags, level - 1);   /* not live yet */
	table_count_set(child, PT_ENTRIES);
	arch_pte_write(slot, 0);
	arch_pt_sync();
	arch_tlb_flush_range(pt_cpus(op->pt), op->pt->asid, sva, PT_LEVEL_SIZE(level));
	install_table(slot, child);
	op->pt->table_pages++;
	return child;
}

/* The emptied table @child leaves its @slot; its page is freed after the flush. */
static void retire_table(struct op *op, pte_t *slot, paddr_t child)
{
	arch_pte_write(slot, 0);
	op->tables_removed = 1;
	op->pt->table_pages--;
	op->tables[op->ntables++] = child;
	if (op->ntables == PENDING)
		flush(op);
}

/*
 * Memory type is not a permission: changing it on a live entry needs
 * break-before-make on Arm.  Permission changes are written in place.
 */
#define ATTR_FLAGS MMU_MEMTYPE

/* Clear the leaf @old at @slot; the callback sees it after the next flush. */
static inline void remove_leaf(struct op *op, pte_t *slot, pte_t old, unsigned level, uintptr_t sva)
{
	arch_pte_write(slot, 0);
	if (op->fn || op->leaves_fn) {
		op->leaves[op->nleaves].va = sva;
		op->leaves[op->nleaves].pte = old;
		op->leaves[op->nleaves].level = level;
		if (++op->nleaves == PENDING_LEAVES)
			flush(op);
	}
}

/* Write, clear or rewrite the leaf @old at @slot.  Returns the change in valid entries. */
static int apply_leaf(struct op *op, pte_t *slot, pte_t old, unsigned level, uintptr_t sva)
{
	mark_dirty(op, sva, level);
	if (op->kind == OP_MAP) {
		arch_pte_write(slot, arch_pte_leaf(op->pa + (sva - op->va), op->flags, level));
		return 1;
	}
	if (op->kind == OP_PROTECT) {
		if ((arch_pte_flags(old) ^ op->flags) & ATTR_FLAGS) {
			arch_pte_write(slot, 0);
			arch_pt_sync();
			arch_tlb_flush_range(pt_cpus(op->pt), op->pt->asid, sva, PT_LEVEL_SIZE(level));
		}
		arch_pte_write(slot, arch_pte_leaf(arch_pte_pa(old), op->flags, level));
		return 0;
	}
	remove_leaf(op, slot, old, level, sva);
	return -1;
}

/*
 * What protect does to the leaves whose attributes (arch_pte_attrs()) are
 * @from: ACT_SKIP (they have the flags), ACT_LEAF (rewrite in place with
 * attributes @to) or ACT_SPLIT (the memory type changes: break-before-make,
 * apply_leaf()).  Decided once per kind of leaf in a leaf table.
 */
struct reprotect {
	int known;   /* from, to and action hold a decision */
	pte_t from, to;
	enum action action;
};

static void reprotect_decide(const struct op *op, pte_t old, struct reprotect *rp)
{
	unsigned old_flags = arch_pte_flags(old);

	rp->known = 1;
	rp->from = arch_pte_attrs(old);
	rp->to = arch_pte_attrs(arch_pte_leaf(arch_pte_pa(old), op->flags, 0));
	rp->action = old_flags == op->flags ? ACT_SKIP :
	             (old_flags ^ op->flags) & ATTR_FLAGS ? ACT_SPLIT : ACT_LEAF;
}

/*
 * The first slot of @t from @i to @last holding an entry, or @last + 1:
 * eight empty slots cost one test.
 */
static inline unsigned next_entry(const pte_t *t, unsigned i, unsigned last)
{
	while (i <= last && !t[i]) {
		if (!(i & 7) && i + 7 <= last &&
		    !(t[i + 1] | t[i + 2] | t[i + 3] | t[i + 4] | t[i + 5] | t[i + 6] | t[i + 7]))
			i += 8;
		else
			i++;
	}
	return i;
}

/*
 * Unmap or protect inside the leaf table @table based at @base: only
 * leaves live there, every valid entry is non-zero, and the recorded
 * count says how many there are, so the scan ends at the last one.
 * Returns the number of valid entries @table is left with.
 */
static unsigned apply_leaves(struct op *op, paddr_t table, uintptr_t base)
{
	pte_t *t = pt_table(table);
	struct page *p = pa_to_page(table);
	unsigned n = p ? *page_owner(p) : table_scan(table), left = n;
	unsigned first, last, lo = PT_ENTRIES, hi = 0;
	struct reprotect rp = { 0, 0, 0, ACT_SKIP };

	slot_span(op, base, 0, &first, &last);
	if (op->kind == OP_UNMAP) {
		for (unsigned i = next_entry(t, first, last); i <= last && left;
		     i = next_entry(t, i + 1, last)) {
			uintptr_t sva = base + i * PAGE_SIZE;

			left--;
			mark_dirty(op, sva, 0);
			remove_leaf(op, &t[i], t[i], 0, sva);
			n--;
		}
		if (p)
			*page_owner(p) = (uint16_t)n;
		return n;
	}
	for (unsigned i = next_entry(t, first, last); i <= last && left;
	     i = next_entry(t, i + 1, last)) {
		pte_t old = t[i];

		left--;
		if (!rp.known || arch_pte_attrs(old) != rp.from)
			reprotect_decide(op, old, &rp);
		if (rp.action == ACT_SKIP)
			continue;
		if (rp.action == ACT_SPLIT) {   /* a memory type change */
			apply_leaf(op, &t[i], old, 0, base + i * PAGE_SIZE);
			continue;
		}
		lo = i < lo ? i : lo;
		hi = i;
		arch_pte_write(&t[i], old ^ rp.from ^ rp.to);
	}
	/* The leaves rewritten in place lie in [lo, hi]: flushed with the rest. */
	if (lo <= hi) {
		mark_dirty(op, base + lo * PAGE_SIZE, 0);
		mark_dirty(op, base + hi * PAGE_SIZE, 0);
	}
	return n;
}

/*
 * Apply the update inside @table at @level based at @base, as counted.
 * Returns the number of valid entries @table is left with.
 */
static unsigned apply_table(struct op *op, paddr_t table, unsigned level, uintptr_t base)
{
	pte_t *t;
	unsigned n, first, last;
	uint64_t size = PT_LEVEL_SIZE(level);

	if (!level && op->kind != OP_MAP)
		return apply_leaves(op, table, base);
	t = pt_table(table);
	n = table_count_get(table);   /* before anything here changes */
	slot_span(op, base, level, &first, &last);
	for (unsigned i = first; i <= last; i++) {
		uintptr_t sva = base + i * size;
		pte_t old = t[i];
		enum pte_kind kind = pt_kind(old, level);
		unsigned flags = kind == PTE_LEAF ? arch_pte_flags(old) : 0;
		paddr_t child;

		switch (decide(op, level, kind, flags, sva, covers_slot(op, sva, level))) {
		case ACT_LEAF:
			n += apply_leaf(op, &t[i], old, level, sva);
			continue;
		case ACT_NEW_TABLE:
			child = stash_take(op);
			table_count_set(child, 0);
			install_table(&t[i], child);
			op->pt->table_pages++;
			n++;
			break;
		case ACT_SPLIT:
			child = split_block(op, &t[i], old, level, sva);
			break;
		case ACT_DESCEND:
			child = arch_pte_pa(old);
			break;
		case ACT_EXIST:
			panic("pt: counting pass missed a mapping at %#llx", (unsigned long long)sva);
		default:
			continue;
		}
		/* Where user roots hold copies of the kernel's root entries
		 * (riscv64, arch_pt_user_root_init), those never change; an
		 * unmap keeps the tables reaching outside [floor, ceiling]. */
		if (!apply_table(op, child, level - 1, sva) && op->kind == OP_UNMAP &&
		    sva >= op->floor && pt_table_last(sva, level - 1) <= op->ceiling &&
		    !(op->pt->kernel && level == op->pt->levels - 1 && arch_pt_kernel_root_shared())) {
			retire_table(op, &t[i], child);
			n--;
		}
	}
	table_count_set(table, n);
	return n;
}

/*
 * Count, allocate, apply, flush: the update as a whole, or E_* with no
 * change.  The fields are set one by one rather than by an initialiser,
 * which the compiler may turn into a memset() call.
 */
static int run(struct op *op, struct pt *pt, enum op_kind kind)
{
	struct view root = { pt_table(pt->root_pa), 0, 0 };
	int rc;

	op->pt = pt;
	op->kind = kind;
	op->need = 0;
	op->stash = 0;
	op->dirty_lo = UINTPTR_MAX;
	op->dirty_hi = 0;
	op->tables_removed = 0;
	op->nleaves = 0;
	op->ntables = 0;
	rc = count_table(op, root, pt->levels - 1, pt_root_base(pt));
	if (rc)
		return rc;
	rc = stash_fill(op);
	if (rc)
		return rc;
	apply_table(op, pt->root_pa, pt->levels - 1, pt_root_base(pt));
	if (op->stash)
		panic("pt: counting pass allocated too many table pages");
	flush(op);
	return E_OK;
}

/* ---- validation and the public operations ------------------------------------------- */

/* A page-aligned, non-empty, non-wrapping range inside @pt's half; sets @last. */
static int check_range(const struct pt *pt, uintptr_t va, uint64_t size, uintptr_t *last)
{
	if (!size)
		return E_INVAL;
	if ((va | size) & PAGE_MASK)
		return E_ALIGN;
	*last = va + (uintptr_t)(size - 1);
	if (*last < va)
		return E_OVERFLOW;
	if (va < pt->va_start || *last > pt->va_last)
		return E_RANGE;
	return E_OK;
}

/*
 * Flags a leaf of @pt may carry: known bits, readable (no arch can encode
 * a leaf that is not), user and global saying which half it is in, and
 * never writable and executable at once.
 */
static inline __attribute__((always_inline)) int check_flags(const struct pt *pt,
                                                             unsigned flags)
{
	unsigned half = pt->kernel ? MMU_GLOBAL : MMU_USER;

	if ((flags & ~MMU_FLAGS_ALL) || !(flags & MMU_READ))
		return E_INVAL;
	if ((flags & MMU_MEMTYPE) & ((flags & MMU_MEMTYPE) - 1))
		return E_INVAL;   /* two memory types */
	if ((flags & (MMU_USER | MMU_GLOBAL)) != half)
		return E_RANGE;
	if ((flags & MMU_WRITE) && (flags & MMU_EXEC))
		return E_PERM;
	return E_OK;
}

static int (*ram_check)(paddr_t pa, uint64_t size);

/*
 * The level-0 table holding @va's 4 KiB slot when every table above it
 * exists, else 0: the shared first step of the single-page fast paths.
 */
static inline __attribute__((always_inline)) paddr_t leaf_table(const struct pt *pt,
                                                          uintptr_t va)
{
	paddr_t table = pt->root_pa;

	for (unsigned level = pt->levels - 1; level > 0; level--) {
		pte_t e = pt_table(table)[pt_index(va, level)];

		if (pt_kind(e, level) != PTE_TABLE)
			return 0;
		table = arch_pte_pa(e);
	}
	return table;
}

/*
 * Below @table at @level (which has no entry for @va), the @level tables
 * down to @va's leaf, holding its leaf: all taken first (E_NOMEM changes
 * nothing), filled while nothing reaches them, then linked by one entry
 * write (install_table()).
 */
static int map_in_new_tables(struct pt *pt, paddr_t table, unsigned level, uintptr_t va,
                             paddr_t pa, unsigned flags)
{
	paddr_t fresh[3];   /* fresh[i] is the new table at level - 1 - i */

	for (unsigned i = 0; i < level; i++) {
		fresh[i] = pt_table_get(pt);
		if (!fresh[i]) {
			while (i--)
				pt_table_put(pt, fresh[i]);
			return E_NOMEM;
		}
	}
	for (unsigned i = 0; i + 1 < level; i++) {
		pt_table(fresh[i])[pt_index(va, level - 1 - i)] = arch_pte_table(fresh[i + 1]);
		table_count_set(fresh[i], 1);
	}
	pt_table(fresh[level - 1])[pt_index(va, 0)] = arch_pte_leaf(pa, flags, 0);
	table_count_set(fresh[level - 1], 1);
	install_table(&pt_table(table)[pt_index(va, level)], fresh[0]);
	table_count_set(table, table_count_get(table) + 1);
	pt->table_pages += level;
	return E_OK;
}

/*
 * The common case of a page fault: one 4 KiB page into an empty slot, in
 * one descent, making the missing tables on the way.
 * Returns E_OK, E_NOMEM (nothing changed), or -1 to take the general
 * path (a leaf or a block is in the way: it reports E_EXIST).
 */
static int map_one_page_fast(struct pt *pt, uintptr_t va, paddr_t pa, unsigned flags)
{
	paddr_t table = pt->root_pa;
	unsigned level;

	for (level = pt->levels - 1; level > 0; level--) {
		pte_t e = pt_table(table)[pt_index(va, level)];
		enum pte_kind k = pt_kind(e, level);

		if (k == PTE_LEAF)
			return -1;
		if (k != PTE_TABLE)
			break;
		table = arch_pte_pa(e);
	}
	if (level) {
		int rc = map_in_new_tables(pt, table, level, va, pa, flags);

		if (rc)
			return rc;
	} else {
		pte_t *slot = &pt_table(table)[pt_index(va, 0)];
		struct page *p = pa_to_page(table);

		if (*slot)
			return -1;   /* taken (E_EXIST) or odd: the general path decides */
		arch_pte_write(slot, arch_pte_leaf(pa, flags, 0));
		if (p)
			++*page_owner(p);   /* else counted by scanning */
	}
	arch_pt_sync();
	if (ARCH_PT_FLUSH_MADE_LEAF)   /* the entry (and any table linked) was invalid */
		arch_tlb_flush_page(pt_cpus(pt), pt->asid, va);
	return E_OK;
}

/*
 * The common case of a copy-on-write fault: one 4 KiB leaf, found by a
 * plain walk, gets other permissions (the same memory type, so no
 * break-before-make).  Nothing to allocate or split.  Returns 0 when
 * done, -1 to take the general path (no such leaf, or a block).
 */
static int protect_one_page_fast(struct pt *pt, uintptr_t va, unsigned flags)
{
	paddr_t table = leaf_table(pt, va);

	if (!table)
		return -1;
	pte_t *slot = &pt_table(table)[pt_index(va, 0)];
	pte_t old = *slot;
	if (pt_kind(old, 0) != PTE_LEAF || ((arch_pte_flags(old) ^ flags) & ATTR_FLAGS))
		return -1;
	arch_pte_write(slot, arch_pte_leaf(arch_pte_pa(old), flags, 0));
	arch_pt_sync();
	arch_tlb_flush_page(pt_cpus(pt), pt->asid, va);
	return 0;
}

/*
 * One 4 KiB page unmapped where no table can go: nothing is mapped there
 * and the table the walk stops in holds other entries (a munmap of a page
 * never touched), or its leaf table stays: it keeps other entries (a
 * copy-on-write fault replacing its leaf), or it reaches outside
 * [@floor, @ceiling] (a one-page munmap next to other vareas).  No table
 * to free, nothing to split.  @unmapped sees the leaf once no TLB holds
 * it.  Returns 0 when done, -1 to take the general path.
 */
static int unmap_one_page_fast(struct pt *pt, uintptr_t va, uintptr_t floor, uintptr_t ceiling,
                               pt_leaf_fn unmapped, pt_leaves_fn leaves, void *ctx)
{
	paddr_t table = pt->root_pa;
	uintptr_t base = va & ~(uintptr_t)(PT_LEVEL_SIZE(1) - 1);
	unsigned level;
	struct page *p;
	pte_t *slot, old;

	for (level = pt->levels - 1;; level--) {
		slot = &pt_table(table)[pt_index(va, level)];
		old = *slot;
		if (pt_kind(old, level) == PTE_NONE)   /* nothing mapped at va */
			return table == pt->root_pa || table_count_get(table) ? 0 : -1;
		if (!level)
			break;
		if (pt_kind(old, level) == PTE_LEAF)
			return -1;                     /* a block: it splits */
		table = arch_pte_pa(old);
	}
	p = pa_to_page(table);
	if (!p || (*page_owner(p) < 2 && base >= floor && pt_table_last(base, 0) <= ceiling))
		return -1;
	arch_pte_write(slot, 0);
	--*page_owner(p);
	arch_pt_sync();
	arch_tlb_flush_page(pt_cpus(pt), pt->asid, va);
	if (unmapped)
		unmapped(ctx, va, arch_pte_pa(old), PAGE_SIZE, arch_pte_flags(old));
	if (leaves) {
		struct pt_gone g = { va, arch_pte_pa(old), PAGE_SIZE };

		leaves(ctx, &g, 1);
	}
	return 0;
}

int pt_replace(struct pt *pt, pte_t *slot, unsigned level, uintptr_t va, paddr_t pa,
               unsigned flags)
{
	pte_t old;
	unsigned old_flags;
	int rc;

	if ((va | pa) & PAGE_MASK)
		return E_ALIGN;
	if (va < pt->va_start || va > pt->va_last)
		return E_RANGE;
	if ((rc = check_flags(pt, flags)))
		return rc;
	if (level)
		return E_INVAL;
	old = *slot;
	if (pt_kind(old, 0) != PTE_LEAF)
		return E_NOENT;
	if (arch_pte_pa(old) == pa &&
	    !(((old_flags = arch_pte_flags(old)) ^ flags) & ATTR_FLAGS)) {
		arch_pte_write(slot, arch_pte_leaf(pa, flags, 0));
		arch_pt_sync();
		arch_tlb_flush_page(old_flags & ~flags ? pt_cpus(pt) : cpu_self_mask(), pt->asid,
		                    va);
		return E_OK;
	}
	if (!(flags & MMU_DEVICE) && ram_check && !ram_check(pa, PAGE_SIZE))
		return E_RANGE;
	arch_pte_write(slot, 0);
	arch_pt_sync();
	arch_tlb_flush_page(pt_cpus(pt), pt->asid, va);
	arch_pte_write(slot, arch_pte_leaf(pa, flags, 0));
	arch_pt_sync();
	if (ARCH_PT_FLUSH_MADE_LEAF)   /* as after pt_map() */
		arch_tlb_flush_page(cpu_self_mask(), pt->asid, va);
	return E_OK;
}

void pt_set_ram_check(int (*is_ram)(paddr_t pa, uint64_t size))
{
	ram_check = is_ram;
}

int pt_map(struct pt *pt, uintptr_t va, paddr_t pa, uint64_t size, unsigned flags)
{
	struct op op;
	int rc = check_range(pt, va, size, &op.last);

	if (rc || (rc = pt_pa_check(pa, size)))
		return rc;
	rc = check_flags(pt, flags);
	if (rc)
		return rc;
	if (!(flags & MMU_DEVICE) && ram_check && !ram_check(pa, size))
		return E_RANGE;
	if (size == PAGE_SIZE && (rc = map_one_page_fast(pt, va, pa, flags)) != -1)
		return rc;
	op.va = va;
	op.pa = pa;
	op.flags = flags;
	op.fn = NULL;
	op.leaves_fn = NULL;
	return run(&op, pt, OP_MAP);
}

int pt_unmap(struct pt *pt, uintptr_t va, uint64_t size, pt_leaf_fn unmapped, void *ctx)
{
	return pt_unmap_keep(pt, va, size, 0, UINTPTR_MAX, unmapped, ctx);
}

static int unmap(struct pt *pt, uintptr_t va, uint64_t size, uintptr_t floor, uintptr_t ceiling,
                 pt_leaf_fn unmapped, pt_leaves_fn leaves, void *ctx)
{
	struct op op;
	int rc = check_range(pt, va, size, &op.last);

	if (rc)
		return rc;
	if (size == PAGE_SIZE && !unmap_one_page_fast(pt, va, floor, ceiling, unmapped, leaves, ctx))
		return E_OK;
	op.floor = floor;
	op.ceiling = ceiling;
	op.va = va;
	op.pa = 0;
	op.flags = 0;
	op.fn = unmapped;
	op.leaves_fn = leaves;
	op.ctx = ctx;
	return run(&op, pt, OP_UNMAP);
}

int pt_unmap_keep(struct pt *pt, uintptr_t va, uint64_t size, uintptr_t floor,
                  uintptr_t ceiling, pt_leaf_fn unmapped, void *ctx)
{
	return unmap(pt, va, size, floor, ceiling, unmapped, NULL, ctx);
}

int pt_unmap_leaves(struct pt *pt, uintptr_t va, uint64_t size, uintptr_t floor,
                    uintptr_t ceiling, pt_leaves_fn removed, void *ctx)
{
	return unmap(pt, va, size, floor, ceiling, NULL, removed, ctx);
}

int pt_protect(struct pt *pt, uintptr_t va, uint64_t size, unsigned flags)
{
	struct op op;
	int rc = check_range(pt, va, size, &op.last);

	if (rc)
		return rc;
	rc = check_flags(pt, flags);
	if (rc)
		return rc;
	if (size == PAGE_SIZE && !protect_one_page_fast(pt, va, flags))
		return E_OK;
	op.va = va;
	op.pa = 0;
	op.flags = flags;
	op.fn = NULL;
	op.leaves_fn = NULL;
	return run(&op, pt, OP_PROTECT);
}
