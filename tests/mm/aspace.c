/*
 * Address spaces through the real MMU and the real fault path: faults
 * taken by kernel code on kernel vareas, and by the user-copy helpers on
 * a user address space.
 */
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <arch/trap.h>
#include <mm/aspace.h>
#include <mm/heap.h>
#include <mm/layout.h>
#include <mm/page.h>
#include <mm/usercopy.h>

#define RW (MMU_READ | MMU_WRITE)

static struct aspace *as;

/* A user address space made current, with @pages of lazy anonymous RW memory. */
static uintptr_t user_anon(uint64_t pages)
{
	uintptr_t a = 0;

	ASSERT_OK(aspace_create("test", &as));
	aspace_switch(as);
	ASSERT_OK(aspace_map_anon(as, &a, pages * PAGE_SIZE, 0, RW, 0));
	return a;
}

static void user_done(void)
{
	aspace_switch(NULL);
	EXPECT_EQ(aspace_check(as), 0);
	aspace_destroy(as);
	as = NULL;
}

static void test_lazy_anon_reads_zeros_and_writes_take_one_frame(void)
{
	uintptr_t a = user_anon(4);
	uint64_t v = 1, before;
	struct aspace_query q;

	ASSERT_OK(aspace_query(as, a, &q));
	EXPECT_FALSE(q.mapped);                         /* nothing until touched */
	ASSERT_OK(copy_from_user(&v, a + PAGE_SIZE, sizeof(v)));
	EXPECT_EQ_U(v, 0);                              /* first read: zeros */
	ASSERT_OK(copy_to_user(a + 2 * PAGE_SIZE, &v, sizeof(v)));   /* tables now exist */
	before = heap_free_frames_settled();
	v = 0xfeedface;
	ASSERT_OK(copy_to_user(a, &v, sizeof(v)));      /* first write */
	EXPECT_EQ_U(heap_free_frames_settled(), before - 1);         /* exactly one frame */
	v = 0;
	ASSERT_OK(copy_from_user(&v, a, sizeof(v)));
	EXPECT_EQ_U(v, 0xfeedface);
	EXPECT_GE(as->stats.populated, 2);
	before = heap_free_frames_settled();
	ASSERT_OK(aspace_unmap(as, a, PAGE_SIZE));
	EXPECT_GE(heap_free_frames_settled(), before + 1);           /* the frame came back */
	user_done();
}

static void test_user_copies_refuse_bad_addresses(void)
{
	uintptr_t a = user_anon(2);
	uint64_t v = 7;
	char s[16];

	EXPECT_EQ(copy_to_user(a + 2 * PAGE_SIZE, &v, sizeof(v)), E_FAULT);  /* unmapped */
	EXPECT_EQ(copy_from_user(&v, (uintptr_t)&v, sizeof(v)), E_FAULT);    /* kernel address */
	EXPECT_EQ(copy_from_user(&v, ~(uintptr_t)0 - 3, 8), E_FAULT);        /* wraps */
	EXPECT_EQ(copy_from_user(&v, 0, sizeof(v)), E_FAULT);                /* page 0 */
	/* Straddling the end of the varea: the part inside is copied first. */
	EXPECT_EQ(copy_to_user(a + 2 * PAGE_SIZE - 4, &v, sizeof(v)), E_FAULT);

	ASSERT_OK(copy_to_user(a, "hello", 6));
	EXPECT_EQ(strncpy_from_user(s, a, sizeof(s)), 5);
	EXPECT_STREQ(s, "hello");
	EXPECT_EQ(strncpy_from_user(s, a, 3), E_RANGE);                     /* no NUL in 3 */
	EXPECT_EQ(strncpy_from_user(s, a + 2 * PAGE_SIZE, sizeof(s)), E_FAULT);

	ASSERT_OK(aspace_protect(as, a, PAGE_SIZE, MMU_READ));
	uint64_t denied = as->stats.faults[FAULT_DENIED];
	EXPECT_EQ(copy_to_user(a, &v, sizeof(v)), E_FAULT);                  /* read-only */
	EXPECT_GT(as->stats.faults[FAULT_DENIED], denied);
	ASSERT_OK(copy_from_user(s, a, 6));                                  /* reading is fine */
	EXPECT_STREQ(s, "hello");
	user_done();
}

static void test_kernel_anon_faults_in_on_touch(void)
{
	uintptr_t a = 0;
	uint64_t populated = kernel_aspace.stats.populated;

	ASSERT_OK(aspace_map_anon(&kernel_aspace, &a, 8 * PAGE_SIZE, 0, RW, 0));
	volatile uint64_t *p = (void *)a;
	EXPECT_EQ_U(p[512 * 3], 0);
	p[0] = 42;
	p[512 * 7] = 43;
	EXPECT_EQ_U(p[0], 42);
	EXPECT_EQ_U(p[512 * 7], 43);
	EXPECT_GE(kernel_aspace.stats.populated - populated, 3);
	ASSERT_OK(aspace_unmap(&kernel_aspace, a, 8 * PAGE_SIZE));
}

static void test_write_to_read_only_varea_is_unrecoverable(void)
{
	uintptr_t a = 0;
	struct trap_info ti;
	uint64_t denied = kernel_aspace.stats.faults[FAULT_DENIED];

	ASSERT_OK(aspace_map_anon(&kernel_aspace, &a, PAGE_SIZE, 0, MMU_READ, 0));
	EXPECT_EQ_U(*(volatile uint64_t *)a, 0);
	trap_expect(TRAP_PAGE_FAULT);
	*(volatile uint64_t *)a = 1;
	ASSERT_TRUE(trap_caught(&ti));
	EXPECT_EQ(ti.access, ACCESS_WRITE);
	EXPECT_EQ(kernel_aspace.stats.faults[FAULT_DENIED], denied + 1);
	ASSERT_OK(aspace_unmap(&kernel_aspace, a, PAGE_SIZE));
}

static void test_device_varea_has_device_attributes(void)
{
	uintptr_t a = 0;
	struct aspace_query q;

	ASSERT_OK(aspace_map_phys(&kernel_aspace, &a, EARLY_UART_BASE & ~PAGE_MASK, PAGE_SIZE, 0,
	                          RW, VAREA_DEVICE | VAREA_POPULATE));
	ASSERT_OK(aspace_query(&kernel_aspace, a, &q));
	EXPECT_TRUE(q.mapped);
	EXPECT_EQ_U(q.pa, EARLY_UART_BASE & ~PAGE_MASK);
	EXPECT_TRUE(q.mmu_flags & MMU_DEVICE);
	EXPECT_STREQ(q.obj_name, "phys");
	ASSERT_OK(aspace_unmap(&kernel_aspace, a, PAGE_SIZE));
}

static void test_bad_input_changes_nothing(void)
{
	uintptr_t a = 0x10000000;
	uint64_t n = kernel_aspace.nvareas;

	ASSERT_OK(aspace_create("bad", &as));
	EXPECT_EQ(aspace_map_anon(as, &a, 0, 0, RW, MAP_FIXED), E_INVAL);
	EXPECT_EQ(aspace_map_anon(as, &a, 100, 0, RW, MAP_FIXED), E_ALIGN);
	a = 0x10000001;
	EXPECT_EQ(aspace_map_anon(as, &a, PAGE_SIZE, 0, RW, MAP_FIXED), E_ALIGN);
	a = 0x10000000;
	EXPECT_EQ(aspace_map_anon(as, &a, PAGE_SIZE, 3 * PAGE_SIZE, RW, 0), E_ALIGN);
	EXPECT_EQ(aspace_map_anon(as, &a, PAGE_SIZE, 0, RW | MMU_EXEC, MAP_FIXED), E_PERM);
	EXPECT_EQ(aspace_map_anon(as, &a, PAGE_SIZE, 0, RW | 0x80, MAP_FIXED), E_INVAL);
	a = ~(uintptr_t)0 & ~PAGE_MASK;
	EXPECT_EQ(aspace_map_anon(as, &a, 2 * PAGE_SIZE, 0, RW, MAP_FIXED), E_OVERFLOW);
	a = KERNEL_VAREA_BASE;
	EXPECT_EQ(aspace_map_anon(as, &a, PAGE_SIZE, 0, RW, MAP_FIXED), E_RANGE);
	EXPECT_EQ(aspace_unmap(as, 0x10000000, 0), E_INVAL);
	EXPECT_EQ(aspace_protect(as, 0x10000000, PAGE_SIZE, MMU_READ), E_NOENT);
	EXPECT_EQ(as->nvareas, 0);
	EXPECT_EQ(as->pt->table_pages, 1);
	EXPECT_EQ(kernel_aspace.nvareas, n);
	EXPECT_EQ(aspace_check(as), 0);
	aspace_destroy(as);
	as = NULL;
}

static void test_kernel_aspace_checks_clean(void)
{
	EXPECT_EQ(aspace_check(&kernel_aspace), 0);
}

KTEST_SUITE(aspace,
	KTEST_CASE(test_lazy_anon_reads_zeros_and_writes_take_one_frame),
	KTEST_CASE(test_user_copies_refuse_bad_addresses),
	KTEST_CASE(test_kernel_anon_faults_in_on_touch),
	KTEST_CASE(test_write_to_read_only_varea_is_unrecoverable),
	KTEST_CASE(test_device_varea_has_device_attributes),
	KTEST_CASE(test_bad_input_changes_nothing),
	KTEST_CASE(test_kernel_aspace_checks_clean));
