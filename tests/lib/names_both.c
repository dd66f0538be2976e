/* Lists of names ("a,b,c"), as ktest= and bench= take them (kernel and host). */
#include <string.h>
#include <drivers/console.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <lib/names.h>

/* The names of @list, each followed by '|', into @out. */
static const char *names_of(const char *list, char *out, size_t size)
{
	const char *p = list, *name;
	size_t len;

	out[0] = '\0';
	while (name_list_next(&p, &name, &len)) {
		strncat(out, name, len < size - strlen(out) - 1 ? len : size - strlen(out) - 1);
		strncat(out, "|", size - strlen(out) - 1);
	}
	return out;
}

static void test_list_steps_through_names(void)
{
	char out[64];

	EXPECT_STREQ(names_of("a,bc,d", out, sizeof(out)), "a|bc|d|");
	EXPECT_STREQ(names_of("one", out, sizeof(out)), "one|");
}

static void test_empty_names_skipped(void)
{
	char out[64];

	EXPECT_STREQ(names_of(",a,,b,", out, sizeof(out)), "a|b|");
	EXPECT_STREQ(names_of(",,,,", out, sizeof(out)), "");
	EXPECT_STREQ(names_of("", out, sizeof(out)), "");
}

static void test_name_in_list(void)
{
	EXPECT_TRUE(name_in_list("a,bc", "bc"));
	EXPECT_FALSE(name_in_list("a,bc", "b"));
	EXPECT_TRUE(name_in_list(",,bc,,", "bc"));
	EXPECT_FALSE(name_in_list(",,,", "a"));
	EXPECT_TRUE(name_in_list("all", "anything"));
	EXPECT_TRUE(name_in_list(NULL, "anything"));
}

static int check(const char *spec, char *out, size_t size)
{
	console_capture_start(out, size);
	int rc = ktest_spec_check(spec);
	console_capture_stop();
	return rc;
}

/* ktest=,,,, used to fail with "no suite named ''". */
static void test_ktest_spec_skips_empty_names(void)
{
	char out[128];

	EXPECT_OK(check(",,,,", out, sizeof(out)));
	EXPECT_STREQ(out, "");
	EXPECT_OK(check(",names,,cmdline,", out, sizeof(out)));
	EXPECT_STREQ(out, "");
	EXPECT_OK(check("", out, sizeof(out)));
}

static void test_ktest_spec_reports_unknown_suite(void)
{
	char out[128];

	EXPECT_EQ(check(",names,,no_such_suite", out, sizeof(out)), E_NOENT);
	EXPECT_STREQ(out, "ktest: no suite named 'no_such_suite' (see `ktest list`)\n");
	EXPECT_EQ(check("name", out, sizeof(out)), E_NOENT);   /* a prefix is not a name */
	EXPECT_OK(check("all", out, sizeof(out)));
}

KTEST_SUITE(names,
	KTEST_CASE(test_list_steps_through_names),
	KTEST_CASE(test_empty_names_skipped),
	KTEST_CASE(test_name_in_list),
	KTEST_CASE(test_ktest_spec_skips_empty_names),
	KTEST_CASE(test_ktest_spec_reports_unknown_suite));
