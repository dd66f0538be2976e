/*
 * A fake MMU for the host tests of the page-table walker (fake_mmu.h).
 *
 * Entry format, made up but shaped like the real ones:
 *
 *   bit 0       valid
 *   bit 1       leaf (otherwise a pointer to the next table)
 *   bits 2-9    MMU_* flags (eight bits, so audit tests can plant unknown ones)
 *   bits 12-55  physical address
 *
 * As on AArch64, a leaf above PT_MAX_BLOCK_LEVEL does not exist and a table
 * pointer at level 0 neither: both read as PTE_NONE.  Address ranges of
 * the two halves follow riscv64 (each half of the 2^39 or 2^48 space), and
 * a user root gets a copy of the kernel root's upper half, as satp needs.
 *
 * The hooks check the walker's side of the contract on the way (see
 * fake_mmu.h), indexing their state by position in the fake RAM, where
 * every table page lives.
 */
#include <stdlib.h>
#include <string.h>
#include <lib/ktest.h>
#include <mm/page.h>
#include <mm/pt.h>
#include "fake_mmu.h"
#include "fake_ram.h"

#define F_VALID 1ull
#define F_LEAF 2ull
#define F_FLAGS_SHIFT 2
#define F_PA_MASK 0x00fffffffffff000ull

#define FRAMES (FAKE_RAM_SIZE / PAGE_SIZE)
#define SLOTS (FAKE_RAM_SIZE / sizeof(pte_t))

static unsigned levels = 3;
static unsigned violations;
static uint64_t writes;
static int unsynced;   /* entries written since the last arch_pt_sync() */
static int tracking;   /* table pages come from fake_pt_alloc_install()'s allocator */

/* Slots whose leaf was cleared since the last flush (break without flush yet). */
static uint8_t *broken;
static uint32_t *broken_list;
static size_t nbroken, broken_cap;

/* Table pages: live ones, and those unlinked but waiting for a flush. */
static uint8_t live[FRAMES];
static uint8_t unlinked[FRAMES];
static uint64_t unlinked_at[FRAMES];
static uint64_t whole_flushes;   /* flush_asid and flush_all calls */

static void violation(const char *what, uint64_t value)
{
	violations++;
	ktest_fail(__FILE__, __LINE__, "fake mmu: %s (%#llx)", what, (unsigned long long)value);
}

/* Index of the frame holding fake RAM physical address @pa, or -1. */
static long frame_of(paddr_t pa)
{
	if (pa < FAKE_RAM_BASE || pa >= FAKE_RAM_BASE + FAKE_RAM_SIZE)
		return -1;
	return (long)((pa - FAKE_RAM_BASE) >> PAGE_SHIFT);
}

void fake_mmu_reset(unsigned n)
{
	levels = n;
	violations = 0;
	writes = 0;
	unsynced = 0;
	tracking = 0;
	if (!broken)
		broken = calloc(SLOTS, 1);
	ASSERT_NOT_NULL(broken);
	memset(broken, 0, SLOTS);
	nbroken = 0;
	memset(live, 0, sizeof(live));
	memset(unlinked, 0, sizeof(unlinked));
	fake_tlb_mark();
}

unsigned fake_mmu_violations(void)
{
	return violations;
}

uint64_t fake_mmu_writes(void)
{
	return writes;
}

/* ---- entries --------------------------------------------------------------- */

unsigned arch_pt_levels(void)
{
	return levels;
}

unsigned arch_asid_bits(void)
{
	return 16;
}

pte_t fake_pte_leaf_raw(paddr_t pa, unsigned flags)
{
	return (pa & F_PA_MASK) | (pte_t)(flags & 0xff) << F_FLAGS_SHIFT | F_LEAF | F_VALID;
}

pte_t fake_pte_table_raw(paddr_t pa)
{
	return (pa & F_PA_MASK) | F_VALID;
}

pte_t arch_pte_table(paddr_t pa)
{
	long f = frame_of(pa);

	if ((pa & PAGE_MASK) || (tracking && (f < 0 || !live[f])))
		violation("table pointer to a page that is not a live table", pa);
	return (pa & F_PA_MASK) | F_VALID;
}

pte_t arch_pte_leaf(paddr_t pa, unsigned flags, unsigned level)
{
	if (level > PT_MAX_BLOCK_LEVEL)
		violation("leaf above the largest block level", level);
	else if (pa & (PT_LEVEL_SIZE(level) - 1))
		violation("leaf address not aligned to its level", pa);
	if (pa & ~F_PA_MASK)
		violation("leaf address beyond the physical address bits", pa);
	if ((flags & ~MMU_FLAGS_ALL) || !(flags & MMU_READ) ||
	    ((flags & MMU_WRITE) && (flags & MMU_EXEC)))
		violation("leaf with flags no arch encodes", flags);
	return fake_pte_leaf_raw(pa, flags);
}

enum pte_kind arch_pte_kind(pte_t pte, unsigned level)
{
	if (!(pte & F_VALID))
		return PTE_NONE;
	if (pte & F_LEAF)
		return level <= PT_MAX_BLOCK_LEVEL ? PTE_LEAF : PTE_NONE;
	return level ? PTE_TABLE : PTE_NONE;
}

paddr_t arch_pte_pa(pte_t pte)
{
	return pte & F_PA_MASK;
}

unsigned arch_pte_flags(pte_t pte)
{
	return (unsigned)(pte >> F_FLAGS_SHIFT) & 0xff;
}

/* Changing only permissions of a live leaf needs no break-before-make. */
static int permission_change(pte_t old, pte_t val)
{
	unsigned perms = MMU_READ | MMU_WRITE | MMU_EXEC | MMU_USER;

	return (old & F_LEAF) && (val & F_LEAF) && arch_pte_pa(old) == arch_pte_pa(val) &&
	       ((arch_pte_flags(old) ^ arch_pte_flags(val)) & ~perms) == 0;
}

void arch_pte_write(pte_t *slot, pte_t val)
{
	paddr_t spa = va_to_pa(slot);
	long f = frame_of(spa);
	size_t s = (size_t)((spa - FAKE_RAM_BASE) / sizeof(pte_t));
	pte_t old = *slot;

	writes++;
	unsynced = 1;
	if (f < 0 || (tracking && !live[f])) {
		violation("entry written outside a live table page", spa);
		*slot = val;
		return;
	}
	if ((old & F_VALID) && (val & F_VALID) && old != val && !permission_change(old, val))
		violation("live entry changed without break-before-make", spa);
	if (!(old & F_VALID) && (val & F_VALID) && broken[s])
		violation("entry re-made before the TLB flush after its break", spa);
	if ((old & F_VALID) && (old & F_LEAF) && !(val & F_VALID) && !broken[s]) {
		if (nbroken == broken_cap) {
			broken_cap = broken_cap ? 2 * broken_cap : 1024;
			broken_list = realloc(broken_list, broken_cap * sizeof(*broken_list));
			ASSERT_NOT_NULL(broken_list);
		}
		broken[s] = 1;
		broken_list[nbroken++] = (uint32_t)s;
	}
	if ((old & F_VALID) && !(old & F_LEAF) && !(val & F_VALID)) {
		long c = frame_of(arch_pte_pa(old));

		if (c >= 0) {
			unlinked[c] = 1;
			unlinked_at[c] = whole_flushes;
		}
	}
	*slot = val;
}

void arch_pt_sync(void)
{
	unsynced = 0;
}

/* ---- TLB ---------------------------------------------------------------------- */

enum { FL_PAGE, FL_RANGE, FL_ASID, FL_ALL };

struct flush {
	int kind;
	unsigned asid;
	uintptr_t va, last;   /* inclusive */
};

static struct flush *log_;
static size_t nlog, log_cap;

static void record(int kind, unsigned asid, uintptr_t va, uint64_t size)
{
	if (nlog == log_cap) {
		log_cap = log_cap ? 2 * log_cap : 256;
		log_ = realloc(log_, log_cap * sizeof(*log_));
		ASSERT_NOT_NULL(log_);
	}
	if (unsynced)
		violation("TLB flushed before the table writes were synced", va);
	log_[nlog++] = (struct flush){ kind, asid, va, va + (uintptr_t)(size - 1) };
	for (size_t i = 0; i < nbroken; i++)
		broken[broken_list[i]] = 0;
	nbroken = 0;
	if (kind == FL_ASID || kind == FL_ALL)
		whole_flushes++;
}

/* The fake has one TLB: which CPUs a flush names does not change it. */
void arch_tlb_flush_page(cpumask_t cpus, unsigned asid, uintptr_t va)
{
	(void)cpus;
	record(FL_PAGE, asid, va & ~(uintptr_t)PAGE_MASK, PAGE_SIZE);
}

void arch_tlb_flush_range(cpumask_t cpus, unsigned asid, uintptr_t va, uint64_t size)
{
	(void)cpus;
	if (!size || ((va | size) & PAGE_MASK))
		violation("TLB range flush of a bad range", va);
	record(FL_RANGE, asid, va, size);
}

void arch_tlb_flush_asid(cpumask_t cpus, unsigned asid)
{
	(void)cpus;
	record(FL_ASID, asid, 0, 0);
}

void arch_tlb_flush_all(cpumask_t cpus)
{
	(void)cpus;
	record(FL_ALL, 0, 0, 0);
}

void fake_tlb_mark(void)
{
	nlog = 0;
}

unsigned fake_tlb_flushes(void)
{
	return (unsigned)nlog;
}

int fake_tlb_covered(unsigned asid, uintptr_t va, uint64_t size)
{
	uintptr_t cur = va, last = va + (uintptr_t)(size - 1);

	for (;;) {
		int advanced = 0;

		for (size_t i = 0; i < nlog; i++) {
			const struct flush *fl = &log_[i];

			if (fl->kind == FL_ALL || (fl->kind == FL_ASID && fl->asid == asid))
				return 1;
			if (fl->asid != asid || fl->va > cur || fl->last < cur)
				continue;
			if (fl->last >= last)
				return 1;
			cur = fl->last + 1;
			advanced = 1;
		}
		if (!advanced)
			return 0;
	}
}

/* ---- the rest of the hooks ------------------------------------------------------ */

void arch_mmu_activate_user(paddr_t root, unsigned asid)
{
	(void)root;
	(void)asid;
}

void arch_pt_user_root_init(pte_t *root, const pte_t *kernel_root)
{
	for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
		root[i] = kernel_root[i];
}

int arch_pt_kernel_root_shared(void)
{
	return 1;
}

void arch_pt_va_range(unsigned n, int kernel, uintptr_t *first, uintptr_t *last)
{
	uintptr_t half = (uintptr_t)1 << (pt_va_bits(n) - 1);

	*first = kernel ? ~(half - 1) : 0;
	*last = kernel ? ~(uintptr_t)0 : half - 1;
}

/* ---- table-page allocator ---------------------------------------------------------- */

static uint64_t attempts, fail_at, nlive;
static int failed;

static paddr_t fake_alloc(void *ctx)
{
	struct page *p;
	long f;

	(void)ctx;
	if (++attempts == fail_at) {
		failed = 1;
		return 0;
	}
	p = page_alloc(0, PAGE_ZERO);
	if (!p)
		return 0;
	f = frame_of(page_to_pa(p));
	if (f < 0)
		violation("frame allocator gave a page outside the fake RAM", page_to_pa(p));
	else {
		live[f] = 1;
		unlinked[f] = 0;
	}
	nlive++;
	return page_to_pa(p);
}

static void fake_free(void *ctx, paddr_t pa)
{
	long f = frame_of(pa);

	(void)ctx;
	if (f < 0 || !live[f]) {
		violation("freeing a page that is not a live table page", pa);
		return;
	}
	if (unlinked[f] && unlinked_at[f] == whole_flushes)
		violation("table page freed before a whole-TLB flush after its unlinking", pa);
	live[f] = 0;
	unlinked[f] = 0;
	nlive--;
	page_free(pa_to_page(pa), 0);
}

void fake_pt_alloc_install(void)
{
	struct pt_allocator a = { fake_alloc, fake_free, NULL };

	tracking = 1;
	attempts = 0;
	fail_at = 0;
	failed = 0;
	nlive = 0;
	pt_set_allocator(&a);
}

void fake_pt_alloc_fail_at(unsigned n)
{
	fail_at = n ? attempts + n : 0;
	failed = 0;
}

int fake_pt_alloc_failed(void)
{
	return failed;
}

uint64_t fake_pt_alloc_attempts(void)
{
	return attempts;
}

uint64_t fake_pt_alloc_live(void)
{
	return nlive;
}
