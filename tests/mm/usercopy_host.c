/*
 * User copies on the host (mm/usercopy.c over arch/fake/fake_usercopy.c):
 * the exception-table lookup, the range check's edges, faulting pages in,
 * stopping at the first page that cannot be reached, copy-on-write, and
 * strncpy_from_user across page boundaries.
 */
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/usercopy.h>
#include "aspace_fixture.h"
#include "fake_usercopy.h"

static void test_ex_table_lookup(void)
{
	uintptr_t pc[3], fix[3];

	fake_usercopy_pcs(pc, fix);
	for (unsigned i = 0; i < 3; i++) {
		EXPECT_EQ_U(ex_table_fixup(pc[i]), fix[i]);
		EXPECT_EQ_U(ex_table_fixup(pc[i] + 1), 0);
		EXPECT_EQ_U(ex_table_fixup(fix[i]), 0);
	}
	EXPECT_EQ_U(ex_table_fixup(0), 0);
	EXPECT_EQ_U(ex_table_fixup(~(uintptr_t)0), 0);
}

static uint64_t word_at(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* The word at @addr of @as through its leaf; 0 and a failure when not mapped. */
static uint64_t mapped_word(struct aspace *as, uintptr_t addr)
{
	uint64_t *w = fx_word(as, addr);

	if (!w) {
		ktest_fail(__FILE__, __LINE__, "%#lx is not mapped", (unsigned long)addr);
		return 0;
	}
	return *w;
}

/* A lazily populated RW page at @a. */
static void map_rw(uintptr_t a, uint64_t size)
{
	ASSERT_OK(aspace_map_anon(fx_as, &a, size, 0, RW, MAP_FIXED));
}

static void test_range_edges(void)
{
	uint8_t buf[16] = "0123456789abcde", back[16];
	uintptr_t base, end;
	uint64_t faults;

	fx_setup(3);
	base = fx_as->base;
	end = fx_as->end;
	map_rw(base, PG);
	map_rw(end - PG, PG);
	EXPECT_EQ(copy_to_user(base, buf, 8), E_FAULT);    /* no current aspace */
	aspace_switch(fx_as);
	EXPECT_OK(copy_to_user(base, buf, 16));
	EXPECT_OK(copy_to_user(end - 16, buf, 16));
	memset(back, 0, sizeof(back));
	EXPECT_OK(copy_from_user(back, end - 16, 16));
	EXPECT_EQ(memcmp(back, buf, 16), 0);
	EXPECT_EQ_U(mapped_word(fx_as, base + 8), word_at(buf + 8));
	faults = fake_usercopy_faults();
	EXPECT_EQ(copy_to_user(base - 1, buf, 8), E_FAULT);
	EXPECT_EQ(copy_from_user(back, end - 15, 16), E_FAULT);
	EXPECT_EQ(copy_from_user(back, end, 1), E_FAULT);
	EXPECT_EQ(copy_to_user(~(uintptr_t)0 - 3, buf, 8), E_FAULT);
	EXPECT_EQ(copy_to_user(0, buf, 1), E_FAULT);
	EXPECT_OK(copy_to_user(~(uintptr_t)0, buf, 0));
	EXPECT_OK(copy_from_user(back, 0, 0));
	EXPECT_EQ_U(fake_usercopy_faults(), faults);       /* refused before any access */
	EXPECT_FALSE(fake_user_access_open());
	aspace_switch(NULL);
	fx_teardown();
}

static void test_stops_at_the_first_bad_page(void)
{
	static uint8_t buf[3 * PAGE_SIZE];
	uintptr_t a = 0x40000;
	uint64_t faults;

	fx_setup(3);
	map_rw(a, 2 * PG);                    /* a + 2 pages: nothing */
	aspace_switch(fx_as);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	faults = fake_usercopy_faults();
	EXPECT_EQ(copy_to_user(a + 100, buf, sizeof(buf) - 200), E_FAULT);
	EXPECT_EQ_U(fake_usercopy_last()->copied, 2 * PG - 100);
	EXPECT_EQ_U(fake_usercopy_faults() - faults, 3);    /* two faulted in, one refused */
	EXPECT_EQ(fake_usercopy_last()->fault, FAULT_NO_VAREA);
	EXPECT_EQ_U(fake_usercopy_last()->fault_addr, a + 2 * PG);
	EXPECT_EQ(fx_data_frames(), 2);
	ASSERT_NOT_NULL(fx_word(fx_as, a + PG));
	EXPECT_EQ(memcmp(fx_word(fx_as, a + PG), buf + PG - 100, PG), 0);
	/* Read-only: readable, not writable; the refused write changes nothing. */
	ASSERT_OK(aspace_protect(fx_as, a + PG, PG, RO));
	EXPECT_EQ(copy_to_user(a + PG - 8, buf, 16), E_FAULT);
	EXPECT_EQ_U(fake_usercopy_last()->copied, 8);
	EXPECT_EQ(fake_usercopy_last()->fault, FAULT_DENIED);
	EXPECT_EQ_U(mapped_word(fx_as, a + PG), word_at(buf + PG - 100));
	memset(buf, 0, 16);
	EXPECT_OK(copy_from_user(buf, a + PG - 8, 16));
	EXPECT_EQ_U(word_at(buf + 8), mapped_word(fx_as, a + PG));
	aspace_switch(NULL);
	fx_teardown();
}

static void test_copy_on_write(void)
{
	uintptr_t a = 0x40000;
	struct aspace *child;
	uint64_t v = 0x1111, w = 0x2222, got = 0;

	fx_setup(3);
	map_rw(a, PG);
	aspace_switch(fx_as);
	ASSERT_OK(copy_to_user(a, &v, 8));
	ASSERT_OK(aspace_fork(fx_as, &child));
	aspace_switch(child);
	EXPECT_OK(copy_from_user(&got, a, 8));
	EXPECT_EQ_U(got, 0x1111);
	EXPECT_OK(copy_to_user(a, &w, 8));
	EXPECT_EQ(fake_usercopy_last()->stopped, 0);
	EXPECT_EQ_U(mapped_word(child, a), 0x2222);
	EXPECT_EQ_U(fx_read_obj(fx_as, a), 0x1111);
	aspace_switch(fx_as);
	EXPECT_OK(copy_from_user(&got, a, 8));
	EXPECT_EQ_U(got, 0x1111);
	aspace_switch(NULL);
	aspace_destroy(child);
	fx_teardown();
}

static void test_strncpy_across_pages(void)
{
	uintptr_t a = 0x40000, s = a + PG - 4;
	char dst[16];

	fx_setup(3);
	map_rw(a, PG);
	aspace_switch(fx_as);
	ASSERT_OK(copy_to_user(s, "abc", 4));
	EXPECT_EQ(strncpy_from_user(dst, s, sizeof(dst)), 3);     /* never touches a + PG */
	EXPECT_STREQ(dst, "abc");
	ASSERT_OK(copy_to_user(s, "abcd", 4));
	EXPECT_EQ(strncpy_from_user(dst, s, 4), E_RANGE);
	EXPECT_STREQ(dst, "abc");
	EXPECT_EQ(strncpy_from_user(dst, s, 8), E_FAULT);         /* no NUL before a + PG */
	map_rw(a + PG, PG);
	ASSERT_OK(copy_to_user(a + PG, "efg", 4));
	EXPECT_EQ(strncpy_from_user(dst, s, sizeof(dst)), 7);
	EXPECT_STREQ(dst, "abcdefg");
	EXPECT_EQ(strncpy_from_user(dst, s, 0), E_RANGE);
	EXPECT_EQ(strncpy_from_user(dst, a - 1, 4), E_FAULT);
	aspace_switch(NULL);
	fx_teardown();
}

KTEST_SUITE(usercopy_host,
	KTEST_CASE(test_ex_table_lookup),
	KTEST_CASE(test_range_edges),
	KTEST_CASE(test_stops_at_the_first_bad_page),
	KTEST_CASE(test_copy_on_write),
	KTEST_CASE(test_strncpy_across_pages));
