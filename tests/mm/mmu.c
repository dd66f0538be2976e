/*
 * The page-table layer through the real MMU: what the hardware does with
 * what the walker wrote.  Test mappings live in the last GiB of the
 * kernel varea window, user mappings at a fixed low address.
 */
#include <string.h>
#include <arch/arch.h>
#include <arch/mmu.h>
#include <lib/err.h>
#include <mm/kmap.h>
#include <lib/ktest.h>
#include <arch/trap.h>
#include <mm/asid.h>
#include <mm/layout.h>
#include <mm/page.h>
#include <mm/pt.h>

#define TEST_VA   (KERNEL_VAREA_END - (1ull << 30))
#define USER_VA   0x10000000ul
#define RW        (MMU_READ | MMU_WRITE | MMU_GLOBAL)

static struct page *frame(void)
{
	struct page *p = page_alloc(0, PAGE_ZERO);

	ASSERT_NOT_NULL(p);
	return p;
}

static void test_one_frame_at_two_addresses(void)
{
	struct page *p = frame();
	volatile uint64_t *a = (void *)TEST_VA, *b = (void *)(TEST_VA + 0x200000);

	ASSERT_OK(pt_map(&kernel_pt, TEST_VA, page_to_pa(p), PAGE_SIZE, RW));
	ASSERT_OK(pt_map(&kernel_pt, TEST_VA + 0x200000, page_to_pa(p), PAGE_SIZE, RW));
	*a = 0x1234abcd5678ef00ull;
	EXPECT_EQ_U(*b, 0x1234abcd5678ef00ull);
	b[1] = 42;
	EXPECT_EQ_U(a[1], 42);
	EXPECT_EQ_U(*(uint64_t *)page_to_va(p), 0x1234abcd5678ef00ull);
	EXPECT_OK(pt_unmap(&kernel_pt, TEST_VA, 0x201000, NULL, NULL));
	page_put(p);
}

static void test_write_to_read_only_faults(void)
{
	struct page *p = frame();
	volatile uint64_t *a = (void *)TEST_VA;
	struct trap_info ti;

	ASSERT_OK(pt_map(&kernel_pt, TEST_VA, page_to_pa(p), PAGE_SIZE, MMU_READ | MMU_GLOBAL));
	EXPECT_EQ_U(*a, 0);   /* reading is fine */
	trap_expect(TRAP_PAGE_FAULT);
	*a = 1;
	ASSERT_TRUE(trap_caught(&ti));
	EXPECT_EQ(ti.access, ACCESS_WRITE);
	EXPECT_EQ_U(ti.addr, TEST_VA);
	EXPECT_EQ_U(*(uint64_t *)page_to_va(p), 0);   /* nothing was written */
	EXPECT_OK(pt_unmap(&kernel_pt, TEST_VA, PAGE_SIZE, NULL, NULL));
	page_put(p);
}

static void test_executing_non_executable_faults(void)
{
	struct page *p = frame();
	struct trap_info ti;

	/* Even valid code in a non-executable page must not run. */
	memcpy(page_to_va(p), (const void *)arch_test_breakpoint, 64);
	ASSERT_OK(pt_map(&kernel_pt, TEST_VA, page_to_pa(p), PAGE_SIZE, MMU_READ | MMU_GLOBAL));
	trap_expect(TRAP_PAGE_FAULT);
	((void (*)(void))TEST_VA)();
	ASSERT_TRUE(trap_caught(&ti));
	EXPECT_EQ(ti.access, ACCESS_EXEC);
	EXPECT_EQ_U(ti.pc, TEST_VA);
	EXPECT_OK(pt_unmap(&kernel_pt, TEST_VA, PAGE_SIZE, NULL, NULL));
	page_put(p);
}

static void test_unmapped_page_faults(void)
{
	struct trap_info ti;

	trap_expect(TRAP_PAGE_FAULT);
	(void)*(volatile uint64_t *)(TEST_VA + 0x3000);
	ASSERT_TRUE(trap_caught(&ti));
	EXPECT_EQ(ti.access, ACCESS_READ);
	EXPECT_EQ_U(ti.addr, TEST_VA + 0x3000);
}

static void test_write_execute_refused(void)
{
	struct page *p = frame();
	uint64_t before = kernel_pt.table_pages;

	EXPECT_EQ(pt_map(&kernel_pt, TEST_VA, page_to_pa(p), PAGE_SIZE,
	                 MMU_READ | MMU_WRITE | MMU_EXEC | MMU_GLOBAL), E_PERM);
	EXPECT_EQ(pt_query(&kernel_pt, TEST_VA, NULL, NULL, NULL), E_NOENT);
	EXPECT_EQ_U(kernel_pt.table_pages, before);
	page_put(p);
}

static void test_block_split_on_partial_unmap(void)
{
	struct page *blk = page_alloc(9, 0);   /* 2 MiB, 2 MiB aligned */
	uint64_t size, words = 0x200000 / 8;
	volatile uint64_t *m = (void *)TEST_VA;
	paddr_t pa;
	struct trap_info ti;

	ASSERT_NOT_NULL(blk);
	ASSERT_OK(pt_map(&kernel_pt, TEST_VA, page_to_pa(blk), 0x200000, RW));
	ASSERT_OK(pt_query(&kernel_pt, TEST_VA + 0x1234, &pa, NULL, &size));
	EXPECT_EQ_U(size, 0x200000);                  /* one 2 MiB block */
	EXPECT_EQ_U(pa, page_to_pa(blk) + 0x1234);
	for (uint64_t i = 0; i < words; i += 512)
		m[i] = i;

	ASSERT_OK(pt_unmap(&kernel_pt, TEST_VA + 0x100000, PAGE_SIZE, NULL, NULL));
	ASSERT_OK(pt_query(&kernel_pt, TEST_VA + 0x101000, &pa, NULL, &size));
	EXPECT_EQ_U(size, PAGE_SIZE);                 /* split into pages */
	EXPECT_EQ_U(pa, page_to_pa(blk) + 0x101000);
	for (uint64_t i = 0; i < words; i += 512)
		if (i * 8 != 0x100000)
			EXPECT_EQ_U(m[i], i);
	trap_expect(TRAP_PAGE_FAULT);
	(void)m[0x100000 / 8];
	ASSERT_TRUE(trap_caught(&ti));
	EXPECT_EQ_U(ti.addr, TEST_VA + 0x100000);
	EXPECT_OK(pt_unmap(&kernel_pt, TEST_VA, 0x200000, NULL, NULL));
	page_free(blk, 9);
}

static void test_protect_takes_effect(void)
{
	struct page *p = frame();
	volatile uint64_t *a = (void *)TEST_VA;

	ASSERT_OK(pt_map(&kernel_pt, TEST_VA, page_to_pa(p), PAGE_SIZE, RW));
	*a = 7;
	ASSERT_OK(pt_protect(&kernel_pt, TEST_VA, PAGE_SIZE, MMU_READ | MMU_GLOBAL));
	trap_expect(TRAP_PAGE_FAULT);
	*a = 8;   /* a stale writable TLB entry would let this through */
	EXPECT_TRUE(trap_caught(NULL));
	EXPECT_EQ_U(*a, 7);
	ASSERT_OK(pt_protect(&kernel_pt, TEST_VA, PAGE_SIZE, RW));
	*a = 9;
	EXPECT_EQ_U(*a, 9);
	EXPECT_OK(pt_unmap(&kernel_pt, TEST_VA, PAGE_SIZE, NULL, NULL));
	page_put(p);
}

#define NSPACES 10

static void test_asid_rollover_keeps_translations(void)
{
	static struct pt u[NSPACES];
	static struct page *f[NSPACES];
	static struct asid_ctx ctx[NSPACES];
	uint64_t rollovers = asid_rollovers();
	int flush;

	for (int i = 0; i < NSPACES; i++) {
		f[i] = frame();
		*(uint64_t *)page_to_va(f[i]) = 0x5a00 + i;
		ASSERT_OK(pt_create(&u[i], kernel_pt.levels, 0, 0, &kernel_pt));
		ASSERT_OK(pt_map(&u[i], USER_VA, page_to_pa(f[i]), PAGE_SIZE,
		                 MMU_READ | MMU_WRITE | MMU_USER));
		ctx[i] = (struct asid_ctx){ 0 };
	}
	asid_set_limit(4);   /* at least three usable ASIDs for ten address spaces */
	unsigned long ua = arch_user_access_begin();
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < NSPACES; i++) {
			unsigned asid = asid_get(&ctx[i], &flush);

			u[i].asid = asid;
			arch_mmu_activate_user(u[i].root_pa, asid);
			if (flush)
				arch_tlb_flush_asid(cpu_self_mask(), asid);
			EXPECT_EQ_U(*(volatile uint64_t *)USER_VA, 0x5a00 + i);
		}
	arch_user_access_end(ua);
	arch_mmu_activate_user(kmap_empty_user_root, 0);
	asid_switch_none();
	EXPECT_GE(asid_rollovers() - rollovers, 3);
	for (int i = 0; i < NSPACES; i++) {
		asid_put(&ctx[i], cpu_self_mask());
		EXPECT_OK(pt_unmap(&u[i], USER_VA, PAGE_SIZE, NULL, NULL));
		EXPECT_EQ_U(u[i].table_pages, 1);
		pt_destroy(&u[i]);
		page_put(f[i]);
	}
	asid_set_limit(0);
}

static void test_destroy_returns_table_pages(void)
{
	struct pmm_stats before, after;
	struct pt u;
	struct page *p = frame();

	pmm_drain_cache();
	pmm_stats(&before);
	ASSERT_OK(pt_create(&u, kernel_pt.levels, 0, 0, &kernel_pt));
	/* Three far-apart pages need their own tables at every level. */
	ASSERT_OK(pt_map(&u, USER_VA, page_to_pa(p), PAGE_SIZE, MMU_READ | MMU_USER));
	ASSERT_OK(pt_map(&u, USER_VA + (1ull << 30), page_to_pa(p), PAGE_SIZE, MMU_READ | MMU_USER));
	ASSERT_OK(pt_map(&u, USER_VA + (3ull << 36), page_to_pa(p), PAGE_SIZE, MMU_READ | MMU_USER));
	EXPECT_GE(u.table_pages, 5);
	EXPECT_EQ(pt_audit(&u), 0);
	pt_destroy(&u);
	pmm_drain_cache();
	pmm_stats(&after);
	EXPECT_EQ_U(after.free, before.free);
	page_put(p);
}

static void test_bad_input_rejected(void)
{
	struct page *p = frame();
	paddr_t pa = page_to_pa(p);
	struct pt u;

	EXPECT_EQ(pt_map(&kernel_pt, TEST_VA + 1, pa, PAGE_SIZE, RW), E_ALIGN);
	EXPECT_EQ(pt_map(&kernel_pt, TEST_VA, pa + 8, PAGE_SIZE, RW), E_ALIGN);
	EXPECT_EQ(pt_map(&kernel_pt, TEST_VA, pa, 100, RW), E_ALIGN);
	EXPECT_EQ(pt_map(&kernel_pt, TEST_VA, pa, 0, RW), E_INVAL);
	EXPECT_EQ(pt_map(&kernel_pt, ~0ul & ~PAGE_MASK, pa, 2 * PAGE_SIZE, RW), E_OVERFLOW);
	EXPECT_EQ(pt_map(&kernel_pt, TEST_VA, pa, PAGE_SIZE, RW | 0x1000), E_INVAL);
	EXPECT_EQ(pt_map(&kernel_pt, TEST_VA, pa, PAGE_SIZE, RW | MMU_USER), E_RANGE);
	/* Device registers (the console UART) are not RAM: normal attributes
	 * are refused, device attributes accepted. */
	EXPECT_EQ(pt_map(&kernel_pt, TEST_VA, EARLY_UART_BASE & ~PAGE_MASK, PAGE_SIZE, RW), E_RANGE);
	ASSERT_OK(pt_map(&kernel_pt, TEST_VA, EARLY_UART_BASE & ~PAGE_MASK, PAGE_SIZE,
	                 RW | MMU_DEVICE));
	EXPECT_OK(pt_unmap(&kernel_pt, TEST_VA, PAGE_SIZE, NULL, NULL));
	ASSERT_OK(pt_create(&u, kernel_pt.levels, 0, 0, &kernel_pt));
	EXPECT_EQ(pt_map(&u, TEST_VA, pa, PAGE_SIZE, MMU_READ | MMU_USER), E_RANGE);
	EXPECT_EQ(u.table_pages, 1);
	pt_destroy(&u);
	EXPECT_EQ(pt_query(&kernel_pt, TEST_VA, NULL, NULL, NULL), E_NOENT);
	page_put(p);
}

static void test_kernel_table_audits_clean(void)
{
	EXPECT_EQ(pt_audit(&kernel_pt), 0);
}

KTEST_SUITE(mmu,
	KTEST_CASE(test_one_frame_at_two_addresses),
	KTEST_CASE(test_write_to_read_only_faults),
	KTEST_CASE(test_executing_non_executable_faults),
	KTEST_CASE(test_unmapped_page_faults),
	KTEST_CASE(test_write_execute_refused),
	KTEST_CASE(test_block_split_on_partial_unmap),
	KTEST_CASE(test_protect_takes_effect),
	KTEST_CASE(test_asid_rollover_keeps_translations),
	KTEST_CASE(test_destroy_returns_table_pages),
	KTEST_CASE(test_bad_input_rejected),
	KTEST_CASE(test_kernel_table_audits_clean));
