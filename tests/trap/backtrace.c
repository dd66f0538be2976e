/* Backtraces: a known call chain appears in order, with names. */
#include <string.h>
#include <trap/backtrace.h>
#include <lib/ktest.h>

#define DEPTH 16

static uintptr_t pcs[DEPTH];
static int npcs;

/* noinline and work after each call keep every frame (no tail calls). */
__attribute__((noinline)) static int bt_leaf(int x)
{
	npcs = backtrace_collect(0, (uintptr_t)__builtin_frame_address(0), pcs, DEPTH);
	return x + 1;
}

__attribute__((noinline)) static int bt_middle(int x)
{
	return bt_leaf(x * 2) + 1;
}

__attribute__((noinline)) static int bt_outer(int x)
{
	return bt_middle(x + 3) * 2;
}

static const char *name_at(int i)
{
	uintptr_t off;
	const char *n = i < npcs ? ksym_lookup(pcs[i], &off) : NULL;

	return n ? n : "?";
}

static void test_known_chain_in_order(void)
{
	EXPECT_EQ(bt_outer(1), ((1 + 3) * 2 + 1 + 1) * 2);
	ASSERT_GE(npcs, 4);
	/* bt_leaf's own record holds its return address into bt_middle. */
	EXPECT_STREQ(name_at(0), "bt_middle");
	EXPECT_STREQ(name_at(1), "bt_outer");
	EXPECT_STREQ(name_at(2), "test_known_chain_in_order");
}

static void test_chain_reaches_boot_code(void)
{
	int found = 0;

	bt_outer(0);
	for (int i = 0; i < npcs; i++)
		found |= !strcmp(name_at(i), "kernel_main");
	EXPECT_TRUE(found);
}

static void test_symbol_lookup(void)
{
	uintptr_t off = 99;

	EXPECT_STREQ(ksym_lookup((uintptr_t)bt_middle, &off), "bt_middle");
	EXPECT_EQ(off, 0);
	EXPECT_STREQ(ksym_lookup((uintptr_t)bt_middle + 4, &off), "bt_middle");
	EXPECT_EQ(off, 4);
	EXPECT_NULL(ksym_lookup(0, &off));
	EXPECT_NULL(ksym_lookup((uintptr_t)&npcs, &off));   /* data, not text */
}

KTEST_SUITE(backtrace,
	KTEST_CASE(test_known_chain_in_order),
	KTEST_CASE(test_chain_reaches_boot_code),
	KTEST_CASE(test_symbol_lookup));
