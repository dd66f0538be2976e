/*
 * ktest: in-kernel self-tests reported in KTAP version 1
 * (https://docs.kernel.org/dev-tools/ktap.html).
 *
 * A test file defines cases and registers one suite from its own file:
 *
 *	static void test_sum(void) { EXPECT_EQ(1 + 1, 2); }
 *	KTEST_SUITE(math, KTEST_CASE(test_sum), ...);
 *
 * The suite descriptor lands in the "ktest_suites" linker section (a C-identifier name, so a
 * hosted linker provides __start_ktest_suites/__stop_ktest_suites too and the
 * same test files run in host unit tests), so no
 * central list exists.  EXPECT_* records a failure (file:line and both
 * values) and goes on; ASSERT_* records it and ends the case at once.  A
 * case that takes an unexpected trap fails alone with the trap report.
 */
#ifndef LIB_KTEST_H
#define LIB_KTEST_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

struct ktest_case {
	const char *name;
	void (*fn)(void);
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	size_t ncases;
};

#define KTEST_CASE(fn) { #fn, fn }

#define KTEST_SUITE(sname, ...)                                              \
	static const struct ktest_case ktest_cases_##sname[] = { __VA_ARGS__ }; \
	static const struct ktest_suite ktest_suite_##sname                   \
		__attribute__((used, section("ktest_suites"), aligned(8))) = {   \
		#sname, ktest_cases_##sname,                                      \
		sizeof(ktest_cases_##sname) / sizeof(ktest_cases_##sname[0]) }

/*
 * Run the suites named in @spec ("all", or "a,b,c"; NULL means all) and
 * print KTAP.  Empty names in the list are skipped (",," runs no suite).
 * Returns the number of failed cases, or -1 when @spec names an unknown
 * suite (reported by ktest_spec_check(); nothing runs then).
 */
int ktest_run(const char *spec);

/*
 * Check that every name in @spec (as ktest_run() takes it) is a registered
 * suite.  Returns E_OK, or E_NOENT after printing the first unknown name.
 */
int ktest_spec_check(const char *spec);

/*
 * Run the cases of @s, a suite that need not be registered, and print its
 * KTAP subtest block (as subtest 1).  Returns the number of failed cases.
 * May run inside a case (a test of the runner itself): the running case's
 * state is kept and restored, and the inner cases get no invariant checks
 * of their own (the outer case's cover them).
 */
int ktest_run_suite(const struct ktest_suite *s);

/* Print the names of all registered suites, one per line. */
void ktest_list(void);

/* Diagnostic line ("# ...") for the running case, at its indentation. */
void ktest_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Mark the running case failed (with a diagnostic), and go on. */
void ktest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* End the running case now (after ktest_fail(), or ktest_skip()). */
void ktest_abort(void) __attribute__((noreturn));

/* Mark the running case skipped with @reason and end it. */
void ktest_skip(const char *reason) __attribute__((noreturn));

/* Nonzero while the running case has no failure recorded. */
int ktest_ok(void);

/* Nonzero while a case runs (the trap handler asks). */
int ktest_in_case(void);

/* Fail the running case and end it: its trap was unexpected. */
void ktest_trap_abort(void) __attribute__((noreturn));

/*
 * EXPECT_PANIC(stmt, needle): run @stmt expecting an invariant check in it
 * to panic() with a message containing @needle (NULL: any message).  The
 * case fails when @stmt returns normally or the message differs; either
 * way the case goes on after the macro.  The panic comes back here through
 * longjmp, so a local that @stmt changes must be volatile to be read
 * afterwards.  Code that panics drops its locks first (lib/include/lib/panic.h).
 */
#define EXPECT_PANIC(stmt, needle)                                          \
	do {                                                                \
		if (!setjmp(*ktest_panic_arm())) {                          \
			stmt;                                               \
		}                                                           \
		ktest_panic_check(needle, __FILE__, __LINE__, #stmt);       \
	} while (0)

/* Arm the panic catcher for EXPECT_PANIC; returns where panic() jumps. */
jmp_buf *ktest_panic_arm(void);

/*
 * Disarm the catcher and record a failure unless a panic whose message
 * holds @needle came since ktest_panic_arm().  Returns 1 when it did.
 */
int ktest_panic_check(const char *needle, const char *file, int line, const char *stmt);

/*
 * Called by panic() with its message: when a test armed the catcher,
 * record @msg and jump back to the test (no return); otherwise return.
 */
void ktest_panic_hook(const char *msg);

/* Compare two integer values as 64-bit; shared by the macros below. */
int ktest_cmp(int64_t a, int64_t b, int op, const char *file, int line,
              const char *sa, const char *sb, int fatal);
int ktest_cmp_u(uint64_t a, uint64_t b, int op, const char *file, int line,
                const char *sa, const char *sb, int fatal);
int ktest_streq(const char *a, const char *b, const char *file, int line,
                const char *sa, const char *sb, int fatal);

enum { KTEST_EQ, KTEST_NE, KTEST_LT, KTEST_LE, KTEST_GT, KTEST_GE };

#define KTEST_CMP_(a, op, b, fatal) \
	ktest_cmp((int64_t)(a), (int64_t)(b), op, __FILE__, __LINE__, #a, #b, fatal)
#define KTEST_CMPU_(a, op, b, fatal) \
	ktest_cmp_u((uint64_t)(uintptr_t)(a), (uint64_t)(uintptr_t)(b), op, \
	            __FILE__, __LINE__, #a, #b, fatal)

#define EXPECT_EQ(a, b) KTEST_CMP_(a, KTEST_EQ, b, 0)
#define EXPECT_NE(a, b) KTEST_CMP_(a, KTEST_NE, b, 0)
#define EXPECT_LT(a, b) KTEST_CMP_(a, KTEST_LT, b, 0)
#define EXPECT_LE(a, b) KTEST_CMP_(a, KTEST_LE, b, 0)
#define EXPECT_GT(a, b) KTEST_CMP_(a, KTEST_GT, b, 0)
#define EXPECT_GE(a, b) KTEST_CMP_(a, KTEST_GE, b, 0)
#define EXPECT_EQ_U(a, b) KTEST_CMPU_(a, KTEST_EQ, b, 0)
#define EXPECT_TRUE(c) KTEST_CMP_(!!(c), KTEST_EQ, 1, 0)
#define EXPECT_FALSE(c) KTEST_CMP_(!!(c), KTEST_EQ, 0, 0)
#define EXPECT_NULL(p) KTEST_CMPU_(p, KTEST_EQ, 0, 0)
#define EXPECT_NOT_NULL(p) KTEST_CMPU_(p, KTEST_NE, 0, 0)
#define EXPECT_OK(rc) KTEST_CMP_(rc, KTEST_EQ, 0, 0)
#define EXPECT_STREQ(a, b) ktest_streq(a, b, __FILE__, __LINE__, #a, #b, 0)

#define ASSERT_EQ(a, b) KTEST_CMP_(a, KTEST_EQ, b, 1)
#define ASSERT_NE(a, b) KTEST_CMP_(a, KTEST_NE, b, 1)
#define ASSERT_LT(a, b) KTEST_CMP_(a, KTEST_LT, b, 1)
#define ASSERT_LE(a, b) KTEST_CMP_(a, KTEST_LE, b, 1)
#define ASSERT_GT(a, b) KTEST_CMP_(a, KTEST_GT, b, 1)
#define ASSERT_GE(a, b) KTEST_CMP_(a, KTEST_GE, b, 1)
#define ASSERT_EQ_U(a, b) KTEST_CMPU_(a, KTEST_EQ, b, 1)
#define ASSERT_TRUE(c) KTEST_CMP_(!!(c), KTEST_EQ, 1, 1)
#define ASSERT_FALSE(c) KTEST_CMP_(!!(c), KTEST_EQ, 0, 1)
#define ASSERT_NULL(p) KTEST_CMPU_(p, KTEST_EQ, 0, 1)
#define ASSERT_NOT_NULL(p) KTEST_CMPU_(p, KTEST_NE, 0, 1)
#define ASSERT_OK(rc) KTEST_CMP_(rc, KTEST_EQ, 0, 1)
#define ASSERT_STREQ(a, b) ktest_streq(a, b, __FILE__, __LINE__, #a, #b, 1)

#endif
