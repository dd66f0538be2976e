/* Command-line parsing (runs in the kernel and in the host tests). */
#include <string.h>
#include <lib/cmdline.h>
#include <lib/err.h>
#include <lib/ktest.h>

static struct cmdline c;

static void test_ktest_and_poweroff(void)
{
	ASSERT_OK(cmdline_parse("ktest=all poweroff", &c));
	EXPECT_STREQ(c.ktest, "all");
	EXPECT_EQ(c.poweroff, 1);
	EXPECT_NULL(c.bench);
	EXPECT_EQ(c.unknown, 0);
}

static void test_suite_list_and_bench(void)
{
	ASSERT_OK(cmdline_parse("  ktest=fdt,trap\tbench=all ", &c));
	EXPECT_STREQ(c.ktest, "fdt,trap");
	EXPECT_STREQ(c.bench, "all");
	EXPECT_EQ(c.poweroff, 0);
}

static void test_empty_line(void)
{
	ASSERT_OK(cmdline_parse("", &c));
	EXPECT_NULL(c.ktest);
	EXPECT_EQ(c.poweroff, 0);
	EXPECT_EQ(c.unknown, 0);
}

static void test_unknown_options_counted_not_fatal(void)
{
	ASSERT_OK(cmdline_parse("quiet ktest=all foo=bar ktest= poweroff=1", &c));
	EXPECT_STREQ(c.ktest, "all");   /* the empty "ktest=" did not override it */
	EXPECT_EQ(c.poweroff, 0);       /* "poweroff=1" is not the flag */
	EXPECT_EQ(c.unknown, 4);
}

static void test_mmu_option(void)
{
	ASSERT_OK(cmdline_parse("mmu=sv39", &c));
	EXPECT_STREQ(c.mmu, "sv39");
	EXPECT_EQ(c.unknown, 0);
}

static void test_last_value_wins(void)
{
	ASSERT_OK(cmdline_parse("ktest=a ktest=b", &c));
	EXPECT_STREQ(c.ktest, "b");
}

static void test_too_long_rejected(void)
{
	static char line[CMDLINE_MAX + 8];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	EXPECT_EQ(cmdline_parse(line, &c), E_RANGE);
	EXPECT_NULL(c.ktest);
}

KTEST_SUITE(cmdline,
	KTEST_CASE(test_ktest_and_poweroff),
	KTEST_CASE(test_suite_list_and_bench),
	KTEST_CASE(test_empty_line),
	KTEST_CASE(test_unknown_options_counted_not_fatal),
	KTEST_CASE(test_mmu_option),
	KTEST_CASE(test_last_value_wins),
	KTEST_CASE(test_too_long_rejected));
