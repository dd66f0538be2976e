/* Console and printf formatting through picolibc's stdio. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <drivers/console.h>
#include <lib/ktest.h>

static void test_snprintf_integers(void)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%d %i %u", -42, 7, 4000000000u);
	EXPECT_STREQ(buf, "-42 7 4000000000");
	snprintf(buf, sizeof(buf), "%ld %lu", (long)INT64_MIN, (unsigned long)UINT64_MAX);
	EXPECT_STREQ(buf, "-9223372036854775808 18446744073709551615");
	snprintf(buf, sizeof(buf), "%lld", (long long)-1);
	EXPECT_STREQ(buf, "-1");
}

static void test_snprintf_hex_and_pointers(void)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%x %X %#x %016lx", 0xbeefu, 0xbeefu, 0x10u,
	         (unsigned long)0x80200000ul);
	EXPECT_STREQ(buf, "beef BEEF 0x10 0000000080200000");
	snprintf(buf, sizeof(buf), "%p", (void *)0x1234);
	EXPECT_STREQ(buf, "0x1234");
}

static void test_snprintf_width_precision(void)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "[%5d][%-5d][%05d]", 42, 42, 42);
	EXPECT_STREQ(buf, "[   42][42   ][00042]");
	snprintf(buf, sizeof(buf), "[%8s][%-8s][%.3s][%c]", "ab", "ab", "abcdef", 'z');
	EXPECT_STREQ(buf, "[      ab][ab      ][abc][z]");
}

static void test_snprintf_truncates(void)
{
	char buf[8];
	int n = snprintf(buf, sizeof(buf), "%s", "0123456789");

	EXPECT_EQ(n, 10);
	EXPECT_STREQ(buf, "0123456");
}

static void test_printf_reaches_console(void)
{
	char buf[64];
	size_t n;

	console_capture_start(buf, sizeof(buf));
	printf("value=%d\n", 1234);
	n = console_capture_stop();
	EXPECT_EQ(n, strlen("value=1234\n"));
	EXPECT_STREQ(buf, "value=1234\n");
}

static void test_capture_counts_overflow(void)
{
	char buf[4];
	size_t n;

	console_capture_start(buf, sizeof(buf));
	printf("abcdef");
	n = console_capture_stop();
	EXPECT_EQ(n, 6);
	EXPECT_STREQ(buf, "abc");
}

KTEST_SUITE(console,
	KTEST_CASE(test_snprintf_integers),
	KTEST_CASE(test_snprintf_hex_and_pointers),
	KTEST_CASE(test_snprintf_width_precision),
	KTEST_CASE(test_snprintf_truncates),
	KTEST_CASE(test_printf_reaches_console),
	KTEST_CASE(test_capture_counts_overflow));
