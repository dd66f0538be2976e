/* Command-line parsing (runs in the kernel and in the host tests). */
#include <stdio.h>
#include <string.h>
#include <drivers/console.h>
#include <lib/cmdline.h>
#include <lib/err.h>
#include <lib/ktest.h>

static struct cmdline c;
static char buf[1024];
static char out[1024];

/* Parse @line with a buffer of @size bytes, its messages into out[]. */
static int parse_sized(const char *line, size_t size)
{
	console_capture_start(out, sizeof(out));
	int rc = cmdline_parse(line, buf, size, &c);
	console_capture_stop();
	return rc;
}

static int parse(const char *line)
{
	return parse_sized(line, sizeof(buf));
}

static void test_ktest_and_poweroff(void)
{
	ASSERT_OK(parse("ktest=all poweroff"));
	EXPECT_STREQ(c.ktest, "all");
	EXPECT_EQ(c.poweroff, 1);
	EXPECT_NULL(c.bench);
	EXPECT_EQ(c.unknown, 0);
	EXPECT_STREQ(out, "");
}

static void test_suite_list_and_bench(void)
{
	ASSERT_OK(parse("  ktest=fdt,trap\tbench=all "));
	EXPECT_STREQ(c.ktest, "fdt,trap");
	EXPECT_STREQ(c.bench, "all");
	EXPECT_EQ(c.poweroff, 0);
}

static void test_user_runs(void)
{
	ASSERT_OK(parse("ktest=proc urun=sysfuzz:7:300,start:one poweroff"));
	EXPECT_STREQ(c.urun, "sysfuzz:7:300,start:one");
	EXPECT_EQ(c.unknown, 0);
	EXPECT_STREQ(out, "");
}

static void test_empty_line(void)
{
	ASSERT_OK(parse(""));
	EXPECT_NULL(c.ktest);
	EXPECT_EQ(c.poweroff, 0);
	EXPECT_EQ(c.unknown, 0);
	EXPECT_NULL(c.cut);
}

static void test_unknown_options_counted_not_fatal(void)
{
	ASSERT_OK(parse("quiet ktest=all foo=bar ktest= poweroff=1"));
	EXPECT_STREQ(c.ktest, "all");   /* the empty "ktest=" did not override it */
	EXPECT_EQ(c.poweroff, 0);       /* "poweroff=1" is not the flag */
	EXPECT_EQ(c.unknown, 4);
	EXPECT_STREQ(out, "cmdline: unknown option 'quiet' ignored\n"
	                  "cmdline: unknown option 'foo=bar' ignored\n"
	                  "cmdline: empty value in 'ktest=' ignored\n"
	                  "cmdline: unknown option 'poweroff=1' ignored\n");
}

static void test_mmu_option(void)
{
	ASSERT_OK(parse("mmu=sv39"));
	EXPECT_STREQ(c.mmu, "sv39");
	EXPECT_EQ(c.unknown, 0);
}

static void test_last_value_wins(void)
{
	ASSERT_OK(parse("ktest=a ktest=b"));
	EXPECT_STREQ(c.ktest, "b");
}

/* "ktest=,,," names no suite: ignored and reported as "ktest=" is,
 * not run as a list holding an empty name. */
static void test_list_of_empty_names_is_empty(void)
{
	ASSERT_OK(parse("ktest=,,,, bench=, poweroff"));
	EXPECT_NULL(c.ktest);
	EXPECT_NULL(c.bench);
	EXPECT_EQ(c.poweroff, 1);
	EXPECT_EQ(c.unknown, 2);
	EXPECT_STREQ(out, "cmdline: empty value in 'ktest=,,,,' ignored\n"
	                  "cmdline: empty value in 'bench=,' ignored\n");

	ASSERT_OK(parse("ktest=page ktest=,, ktest="));
	EXPECT_STREQ(c.ktest, "page");   /* neither empty list overrode it */
}

static void test_list_with_some_empty_names_kept(void)
{
	ASSERT_OK(parse("ktest=,fdt,,trap,"));
	EXPECT_STREQ(c.ktest, ",fdt,,trap,");   /* the runner skips the empty names */
	EXPECT_EQ(c.unknown, 0);
}

/* Well past the old 511-byte limit: every option takes effect, the last
 * word included. */
static void test_long_line_parsed_whole(void)
{
	static char line[900];
	size_t n = 0;

	n += (size_t)snprintf(line + n, sizeof(line) - n, "ktest=cmdline");
	while (n < 700)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " pad%zu", n);
	snprintf(line + n, sizeof(line) - n, " bench=all poweroff");
	ASSERT_GT(strlen(line), 700);
	ASSERT_OK(parse_sized(line, strlen(line) + 1));
	EXPECT_STREQ(c.ktest, "cmdline");
	EXPECT_STREQ(c.bench, "all");
	EXPECT_EQ(c.poweroff, 1);
	EXPECT_NULL(c.cut);
	EXPECT_GT(c.unknown, 50);
}

/* A buffer too small for the line: the words that fit take effect, the
 * first word that does not and everything after it are reported. */
static void test_too_long_keeps_what_fits(void)
{
	/* 16 bytes hold "ktest=fdt", "aaaa" and their NULs (15). */
	EXPECT_EQ(parse_sized("ktest=fdt  aaaa bench=all poweroff", 16), E_RANGE);
	EXPECT_STREQ(c.ktest, "fdt");
	EXPECT_NULL(c.bench);
	EXPECT_EQ(c.poweroff, 0);
	EXPECT_STREQ(c.cut, "bench=all poweroff");
	EXPECT_STREQ(out, "cmdline: unknown option 'aaaa' ignored\n"
	                  "cmdline: longer than 15 bytes; ignored from byte 16 on: "
	                  "'bench=all poweroff'\n");

	/* A word is kept whole or not at all. */
	EXPECT_EQ(parse_sized("poweroff ktest=abcdefgh", 16), E_RANGE);
	EXPECT_EQ(c.poweroff, 1);
	EXPECT_NULL(c.ktest);
	EXPECT_STREQ(c.cut, "ktest=abcdefgh");

	/* Exactly full. */
	EXPECT_OK(parse_sized("ktest=abcdefghi", 16));
	EXPECT_STREQ(c.ktest, "abcdefghi");
}

static void test_find_last_nonempty_value(void)
{
	char v[16];

	EXPECT_EQ(cmdline_find("mmu=sv39", "mmu", v, sizeof(v)), 4);
	EXPECT_STREQ(v, "sv39");
	EXPECT_EQ(cmdline_find("mmu=sv39 ktest=all\tmmu=sv57 poweroff", "mmu", v, sizeof(v)), 4);
	EXPECT_STREQ(v, "sv57");
	EXPECT_EQ(cmdline_find("mmu=sv48 mmu=", "mmu", v, sizeof(v)), 4);   /* "mmu=" is ignored */
	EXPECT_STREQ(v, "sv48");
	EXPECT_EQ(cmdline_find("ktest=all poweroff", "mmu", v, sizeof(v)), -1);
	EXPECT_EQ(cmdline_find("", "mmu", v, sizeof(v)), -1);
	EXPECT_EQ(cmdline_find("mmu= mmu", "mmu", v, sizeof(v)), -1);
}

/* Whole words only: "xmmu=sv39" and "mmux=sv39" are other options. */
static void test_find_whole_words(void)
{
	char v[16];

	EXPECT_EQ(cmdline_find("xmmu=sv39 mmux=sv39", "mmu", v, sizeof(v)), -1);
	EXPECT_EQ(cmdline_find("a=mmu=sv39", "mmu", v, sizeof(v)), -1);
	EXPECT_EQ(cmdline_find("\tmmu=sv39\t", "mmu", v, sizeof(v)), 4);
	EXPECT_STREQ(v, "sv39");
}

static void test_find_cuts_to_fit(void)
{
	char v[4];

	EXPECT_EQ(cmdline_find("mmu=sv39abc poweroff", "mmu", v, sizeof(v)), 7);
	EXPECT_STREQ(v, "sv3");
}

/* The early boot code (cmdline_find) and the parser agree on "mmu=". */
static void test_find_agrees_with_parse(void)
{
	static const char *const lines[] = {
		"mmu=sv39", "mmu=sv39 mmu=sv57", "mmu=sv57 mmu=", "\tmmu=a\tmmu=b\t",
		"xmmu=sv39", "mmu=", "ktest=all",
	};
	char v[16];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		int n = cmdline_find(lines[i], "mmu", v, sizeof(v));

		ASSERT_OK(parse(lines[i]));
		if (n < 0)
			EXPECT_NULL(c.mmu);
		else
			EXPECT_STREQ(v, c.mmu);
	}
}

KTEST_SUITE(cmdline,
	KTEST_CASE(test_ktest_and_poweroff),
	KTEST_CASE(test_suite_list_and_bench),
	KTEST_CASE(test_user_runs),
	KTEST_CASE(test_empty_line),
	KTEST_CASE(test_unknown_options_counted_not_fatal),
	KTEST_CASE(test_mmu_option),
	KTEST_CASE(test_last_value_wins),
	KTEST_CASE(test_list_of_empty_names_is_empty),
	KTEST_CASE(test_list_with_some_empty_names_kept),
	KTEST_CASE(test_long_line_parsed_whole),
	KTEST_CASE(test_too_long_keeps_what_fits),
	KTEST_CASE(test_find_last_nonempty_value),
	KTEST_CASE(test_find_whole_words),
	KTEST_CASE(test_find_cuts_to_fit),
	KTEST_CASE(test_find_agrees_with_parse));
