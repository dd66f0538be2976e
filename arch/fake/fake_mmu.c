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
 *
 * Several CPUs (threads, fake_cpu_enter()) may use it at once, as the
 * host stress suites do: the checks' shared state is guarded by one
 * mutex of the fake's own (a leaf lock: nothing is called while it is
 * held), and what belongs to one CPU's side of the contract (entries
 * written but not yet synced, leaves broken but not yet flushed) is kept
 * per CPU, as the walker holds an aspace's lock from the break to the
 * flush.  Entries are written and read with atomic accesses, as the
 * arches write them with single stores that the hardware walker reads
 * concurrently.
 *
 * There is one TLB, or rather none: fake_mmu_translate() walks the
 * tables on every access.  What a TLB flush must guarantee, that no CPU
 * named uses a translation from before it once it returns, is modelled
 * by each CPU's access window (fake_mmu_access_begin()/_end(): a walk
 * and the copy through what it found), which a flush waits for on every
 * CPU it names, like the acknowledgement of a shootdown.  So an access
 * racing an unmap either completes before the frame can be freed or
 * sees the entry gone, and ThreadSanitizer sees that order; a CPU left
 * out of a flush's set would show up as a race on the frame.  Whether the
 * hardware's TLBs would actually be invalidated (the right ASID, the
 * right addresses on every CPU) cannot be seen here: that is for the
 * kernel's mm_smp suite on QEMU.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <arch/cpu.h>
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

/* Set by fake_mmu_reset() while no other CPU runs; read-only after. */
static unsigned levels = 3;
static int tracking;   /* table pages come from fake_pt_alloc_install()'s allocator */

/* Guards the shared state of the checks below (marked "fake_lock"). */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned violations;   /* atomic */
static uint64_t writes;       /* atomic */

/* Slots whose leaf was cleared since the breaking CPU's last flush (fake_lock). */
static uint8_t *broken;

/* Table pages: live ones, and those unlinked but waiting for a flush (fake_lock). */
static uint8_t live[FRAMES];
static uint8_t unlinked[FRAMES];
static uint64_t unlinked_at[FRAMES];
static uint64_t whole_flushes;   /* flush_asid and flush_all calls */

/*
 * Each CPU's side of the contract, touched by that CPU only, and its
 * access window, which flushes on other CPUs wait for.
 */
static struct fake_cpu_mmu {
	int unsynced;            /* entries written since its last arch_pt_sync() */
	uint32_t *broken_list;   /* the slots it broke since its last flush */
	size_t nbroken, broken_cap;
	pthread_mutex_t access;  /* held through a walk and the copy it serves */
} percpu[CPU_MAX];

static struct fake_cpu_mmu *me(void)
{
	return &percpu[cpu_num()];
}

static void violation(const char *what, uint64_t value)
{
	__atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED);
	ktest_fail(__FILE__, __LINE__, "fake mmu: %s (%#llx)", what, (unsigned long long)value);
}

__attribute__((constructor)) static void percpu_init(void)
{
	for (unsigned c = 0; c < CPU_MAX; c++)
		pthread_mutex_init(&percpu[c].access, NULL);
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
	tracking = 0;
	__atomic_store_n(&violations, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&writes, 0, __ATOMIC_RELAXED);
	pthread_mutex_lock(&fake_lock);
	if (!broken)
		broken = calloc(SLOTS, 1);
	if (broken)
		memset(broken, 0, SLOTS);
	for (unsigned c = 0; c < CPU_MAX; c++) {
		percpu[c].unsynced = 0;
		percpu[c].nbroken = 0;
	}
	memset(live, 0, sizeof(live));
	memset(unlinked, 0, sizeof(unlinked));
	pthread_mutex_unlock(&fake_lock);
	ASSERT_NOT_NULL(broken);
	fake_tlb_mark();
}

unsigned fake_mmu_violations(void)
{
	return __atomic_load_n(&violations, __ATOMIC_RELAXED);
}

uint64_t fake_mmu_writes(void)
{
	return __atomic_load_n(&writes, __ATOMIC_RELAXED);
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
	int bad;

	pthread_mutex_lock(&fake_lock);
	bad = (pa & PAGE_MASK) || (tracking && (f < 0 || !live[f]));
	pthread_mutex_unlock(&fake_lock);
	if (bad)
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

pte_t arch_pte_attrs(pte_t pte)
{
	return pte & ~F_PA_MASK;
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

/*
 * The checks of one entry write (fake_lock held): returns what is wrong,
 * or NULL.  Records a broken leaf for this CPU's next flush and an
 * unlinked table for its whole-TLB flush.
 */
static const char *check_write(struct fake_cpu_mmu *c, long f, size_t s, pte_t old, pte_t val)
{
	if (f < 0 || (tracking && !live[f]))
		return "entry written outside a live table page";
	if ((old & F_VALID) && (val & F_VALID) && old != val && !permission_change(old, val))
		return "live entry changed without break-before-make";
	if (!(old & F_VALID) && (val & F_VALID) && broken[s])
		return "entry re-made before the TLB flush after its break";
	if ((old & F_VALID) && (old & F_LEAF) && !(val & F_VALID) && !broken[s]) {
		if (c->nbroken == c->broken_cap) {
			size_t cap = c->broken_cap ? 2 * c->broken_cap : 1024;
			uint32_t *l = realloc(c->broken_list, cap * sizeof(*l));

			if (!l)
				return "out of host memory for the break record";
			c->broken_list = l;
			c->broken_cap = cap;
		}
		broken[s] = 1;
		c->broken_list[c->nbroken++] = (uint32_t)s;
	}
	if ((old & F_VALID) && !(old & F_LEAF) && !(val & F_VALID)) {
		long t = frame_of(arch_pte_pa(old));

		if (t >= 0) {
			unlinked[t] = 1;
			unlinked_at[t] = whole_flushes;
		}
	}
	return NULL;
}

/*
 * One single-copy-atomic store, with release order: a walk on another
 * CPU that sees a new table pointer or leaf sees what was written into
 * the table or the page before it.
 */
void arch_pte_write(pte_t *slot, pte_t val)
{
	paddr_t spa = va_to_pa(slot);
	long f = frame_of(spa);
	size_t s = (size_t)((spa - FAKE_RAM_BASE) / sizeof(pte_t));
	struct fake_cpu_mmu *c = me();
	const char *bad;
	pte_t old;

	__atomic_fetch_add(&writes, 1, __ATOMIC_RELAXED);
	c->unsynced = 1;
	pthread_mutex_lock(&fake_lock);
	old = f < 0 ? 0 : __atomic_load_n(slot, __ATOMIC_RELAXED);
	bad = check_write(c, f, s, old, val);
	pthread_mutex_unlock(&fake_lock);
	if (bad)
		violation(bad, spa);
	__atomic_store_n(slot, val, __ATOMIC_RELEASE);
}

void arch_pt_sync(void)
{
	me()->unsynced = 0;
}

/*
 * What the MMU would translate @va to in @pt now: a walk from the root,
 * each entry read once, atomically, as a hardware walker reads it
 * (acquire: a leaf it finds leads to the page as it was written before
 * the leaf).  E_OK and *@pa (of @va itself), *@flags; E_NOENT when not
 * mapped; E_RANGE outside the table's half.  Call it inside an access
 * window, so the tables it reads cannot be freed under it.
 */
int fake_mmu_translate(const struct pt *pt, uintptr_t va, paddr_t *pa, unsigned *flags)
{
	paddr_t table = pt->root_pa;

	if (va < pt->va_start || va > pt->va_last)
		return E_RANGE;
	for (unsigned level = pt->levels; level-- > 0;) {
		const pte_t *t = pa_to_va(table);
		unsigned i = (unsigned)(va >> (PAGE_SHIFT + PT_INDEX_BITS * level)) & (PT_ENTRIES - 1);
		pte_t e = __atomic_load_n(&t[i], __ATOMIC_ACQUIRE);
		enum pte_kind k = arch_pte_kind(e, level);

		if (k == PTE_LEAF) {
			*pa = arch_pte_pa(e) + (va & (uintptr_t)(PT_LEVEL_SIZE(level) - 1));
			*flags = arch_pte_flags(e);
			return E_OK;
		}
		if (k != PTE_TABLE || !level)   /* no table pointer at level 0 */
			return E_NOENT;
		table = arch_pte_pa(e);
	}
	return E_NOENT;
}

void fake_mmu_access_begin(void)
{
	pthread_mutex_lock(&me()->access);
}

void fake_mmu_access_end(void)
{
	pthread_mutex_unlock(&me()->access);
}

/* ---- TLB ---------------------------------------------------------------------- */

enum { FL_PAGE, FL_RANGE, FL_ASID, FL_ALL };

struct flush {
	int kind;
	unsigned asid;
	uintptr_t va, last;   /* inclusive */
};

/* The record of flushes since the mark (fake_lock). */
static struct flush *log_;
static size_t nlog, log_cap;

/*
 * One flush on @cpus: the record, then the shootdown.  Each online CPU
 * named is waited for until it is outside its access window; its next
 * access walks the tables as they are now.
 */
static void record(cpumask_t cpus, int kind, unsigned asid, uintptr_t va, uint64_t size)
{
	struct fake_cpu_mmu *c = me();
	int oom = 0;

	if (c->unsynced)
		violation("TLB flushed before the table writes were synced", va);
	pthread_mutex_lock(&fake_lock);
	if (nlog == log_cap) {
		size_t cap = log_cap ? 2 * log_cap : 256;
		struct flush *l = realloc(log_, cap * sizeof(*l));

		if (l) {
			log_ = l;
			log_cap = cap;
		}
	}
	if (nlog < log_cap)
		log_[nlog++] = (struct flush){ kind, asid, va, va + (uintptr_t)(size - 1) };
	else
		oom = 1;
	for (size_t i = 0; i < c->nbroken; i++)
		broken[c->broken_list[i]] = 0;
	c->nbroken = 0;
	if (kind == FL_ASID || kind == FL_ALL)
		whole_flushes++;
	pthread_mutex_unlock(&fake_lock);
	if (oom)
		violation("out of host memory for the flush record", va);
	cpus &= __atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE);
	for (unsigned n = 0; n < CPU_MAX; n++)
		if (cpus & CPU_BIT(n)) {
			pthread_mutex_lock(&percpu[n].access);
			pthread_mutex_unlock(&percpu[n].access);
		}
}

void arch_tlb_flush_page(cpumask_t cpus, unsigned asid, uintptr_t va)
{
	record(cpus, FL_PAGE, asid, va & ~(uintptr_t)PAGE_MASK, PAGE_SIZE);
}

void arch_tlb_flush_range(cpumask_t cpus, unsigned asid, uintptr_t va, uint64_t size)
{
	if (!size || ((va | size) & PAGE_MASK))
		violation("TLB range flush of a bad range", va);
	record(cpus, FL_RANGE, asid, va, size);
}

void arch_tlb_flush_asid(cpumask_t cpus, unsigned asid)
{
	record(cpus, FL_ASID, asid, 0, 0);
}

void arch_tlb_flush_all(cpumask_t cpus)
{
	record(cpus, FL_ALL, 0, 0, 0);
}

void fake_tlb_mark(void)
{
	pthread_mutex_lock(&fake_lock);
	nlog = 0;
	pthread_mutex_unlock(&fake_lock);
}

unsigned fake_tlb_flushes(void)
{
	pthread_mutex_lock(&fake_lock);
	unsigned n = (unsigned)nlog;
	pthread_mutex_unlock(&fake_lock);
	return n;
}

/* For the single-CPU tests: reads the record while no other CPU flushes. */
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

unsigned arch_pt_user_root_init(pte_t *root, const pte_t *kernel_root)
{
	unsigned n = 0;

	for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++) {
		root[i] = kernel_root[i];
		n += root[i] != 0;
	}
	return n;
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

/* All under fake_lock; the frame allocator is called outside it. */
static uint64_t attempts, fail_at, nlive;
static int failed;

static paddr_t fake_alloc(void *ctx)
{
	struct page *p;
	long f;
	int fail;

	(void)ctx;
	pthread_mutex_lock(&fake_lock);
	fail = ++attempts == fail_at;
	if (fail)
		failed = 1;
	pthread_mutex_unlock(&fake_lock);
	if (fail)
		return 0;
	p = page_alloc(0, PAGE_ZERO);
	if (!p)
		return 0;
	f = frame_of(page_to_pa(p));
	pthread_mutex_lock(&fake_lock);
	if (f >= 0) {
		live[f] = 1;
		unlinked[f] = 0;
	}
	nlive++;
	pthread_mutex_unlock(&fake_lock);
	if (f < 0)
		violation("frame allocator gave a page outside the fake RAM", page_to_pa(p));
	return page_to_pa(p);
}

static void fake_free(void *ctx, paddr_t pa)
{
	long f = frame_of(pa);
	int table, early = 0;

	(void)ctx;
	pthread_mutex_lock(&fake_lock);
	table = f >= 0 && live[f];
	if (table) {
		early = unlinked[f] && unlinked_at[f] == whole_flushes;
		live[f] = 0;
		unlinked[f] = 0;
		nlive--;
	}
	pthread_mutex_unlock(&fake_lock);
	if (!table) {
		violation("freeing a page that is not a live table page", pa);
		return;
	}
	if (early)
		violation("table page freed before a whole-TLB flush after its unlinking", pa);
	page_free(pa_to_page(pa), 0);
}

void fake_pt_alloc_install(void)
{
	struct pt_allocator a = { fake_alloc, fake_free, NULL };

	tracking = 1;
	pthread_mutex_lock(&fake_lock);
	attempts = 0;
	fail_at = 0;
	failed = 0;
	nlive = 0;
	pthread_mutex_unlock(&fake_lock);
	pt_set_allocator(&a);
}

void fake_pt_alloc_suspend(void)
{
	tracking = 0;
	pt_set_allocator(NULL);
}

void fake_pt_alloc_resume(void)
{
	struct pt_allocator a = { fake_alloc, fake_free, NULL };

	tracking = 1;
	pt_set_allocator(&a);
}

void fake_pt_alloc_fail_at(unsigned n)
{
	pthread_mutex_lock(&fake_lock);
	fail_at = n ? attempts + n : 0;
	failed = 0;
	pthread_mutex_unlock(&fake_lock);
}

int fake_pt_alloc_failed(void)
{
	pthread_mutex_lock(&fake_lock);
	int f = failed;
	pthread_mutex_unlock(&fake_lock);
	return f;
}

uint64_t fake_pt_alloc_attempts(void)
{
	pthread_mutex_lock(&fake_lock);
	uint64_t n = attempts;
	pthread_mutex_unlock(&fake_lock);
	return n;
}

uint64_t fake_pt_alloc_live(void)
{
	pthread_mutex_lock(&fake_lock);
	uint64_t n = nlive;
	pthread_mutex_unlock(&fake_lock);
	return n;
}
