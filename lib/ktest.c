/*
 * The self-test runner: runs registered suites and prints KTAP version 1
 * (https://docs.kernel.org/dev-tools/ktap.html), two spaces per nesting
 * level.  Plain C, printf and setjmp only, so host unit tests link the
 * same runner.
 *
 * A case ends early through longjmp back into the runner: from ASSERT_*,
 * from ktest_skip(), or from the trap handler when the case takes an
 * unexpected trap (ktest_trap_abort()).  EXPECT_PANIC uses a second,
 * one-shot jump buffer that panic() returns through into the case.
 *
 * The kernel runs each case on a fiber of its own (ktest_case_isolate(),
 * kernel/ktest/ktest_fiber.c), so a case that overflows its stack fails alone;
 * the abort point is set on that fiber, so the longjmp stays on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arch/cpu.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <lib/names.h>

extern const struct ktest_suite __start_ktest_suites[], __stop_ktest_suites[];

#define CASE_INDENT "  "

struct ktest_state {
	const struct ktest_case *tcase;   /* running case, NULL between cases */
	struct cpu *cpu;                  /* the CPU running it */
	int failed;
	const char *skip_reason;
	jmp_buf abort_to;
};

static struct ktest_state cur;

/* Hooks the kernel overrides (host builds keep these defaults). */
__attribute__((weak)) int ktest_console_prefix(const char *prefix);
__attribute__((weak)) int ktest_console_prefix(const char *prefix)
{
	(void)prefix;
	return 0;   /* the console does not prefix lines: print "# " here */
}

/* Called before every case, so the check after it has a baseline. */
__attribute__((weak)) void ktest_case_begin(const char *case_name);
__attribute__((weak)) void ktest_case_begin(const char *case_name)
{
	(void)case_name;
}

/*
 * Run @body (the case, with its abort point) isolated from the runner;
 * nonzero when it did not come back (the kernel runs it on a fiber, which
 * a stack overflow ends).  The host runs it right here.
 */
__attribute__((weak)) int ktest_case_isolate(const char *case_name, void (*body)(void));
__attribute__((weak)) int ktest_case_isolate(const char *case_name, void (*body)(void))
{
	(void)case_name;
	body();
	return 0;
}

/*
 * Called before a jump back to the case's abort point.  The jump cannot
 * leave another stack: the kernel ends the calling fiber instead when it
 * is not the case's own (one the case started).  The host has one stack.
 */
__attribute__((weak)) void ktest_abort_context(void);
__attribute__((weak)) void ktest_abort_context(void)
{
}

/* Called after every case; returns nonzero when an invariant broke. */
__attribute__((weak)) int ktest_check_invariants(const char *case_name);
__attribute__((weak)) int ktest_check_invariants(const char *case_name)
{
	(void)case_name;
	return 0;
}

static int console_prefixes;

/* The EXPECT_PANIC catcher: armed between ktest_panic_arm() and its check. */
static struct {
	int armed;
	struct cpu *cpu;                  /* the CPU that armed it */
	int hit;
	char msg[200];
	jmp_buf back;
} panic_catch;

static void vlog(const char *fmt, va_list ap)
{
	if (!console_prefixes)
		printf(CASE_INDENT "# ");
	if (cur.tcase)
		printf("%s: ", cur.tcase->name);
	vprintf(fmt, ap);
	printf("\n");
}

void ktest_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Atomic: other CPUs a case hands work to may fail it too. */
	__atomic_store_n(&cur.failed, 1, __ATOMIC_RELAXED);
	ktest_log("%s:%d: %s", file, line, msg);
}

int ktest_ok(void)
{
	return !__atomic_load_n(&cur.failed, __ATOMIC_RELAXED);
}

/*
 * Only the CPU running the case is in it: a trap or panic on another CPU
 * (one the case handed work to) cannot end the case from there.
 */
int ktest_in_case(void)
{
	return cur.tcase != NULL && cur.cpu == this_cpu();
}

void ktest_abort(void)
{
	ktest_abort_context();
	longjmp(cur.abort_to, 1);
}

void ktest_skip(const char *reason)
{
	cur.skip_reason = reason;
	ktest_abort_context();
	longjmp(cur.abort_to, 1);
}

void ktest_trap_abort(void)
{
	cur.failed = 1;
	ktest_abort_context();
	longjmp(cur.abort_to, 1);
}

jmp_buf *ktest_panic_arm(void)
{
	panic_catch.hit = 0;
	panic_catch.msg[0] = '\0';
	panic_catch.cpu = this_cpu();
	panic_catch.armed = 1;
	return &panic_catch.back;
}

void ktest_panic_hook(const char *msg)
{
	if (!panic_catch.armed || panic_catch.cpu != this_cpu())
		return;
	panic_catch.armed = 0;   /* one shot: a panic in the check is real */
	panic_catch.hit = 1;
	snprintf(panic_catch.msg, sizeof(panic_catch.msg), "%s", msg);
	longjmp(panic_catch.back, 1);
}

int ktest_panic_check(const char *needle, const char *file, int line, const char *stmt)
{
	int hit = panic_catch.hit;

	panic_catch.armed = 0;
	panic_catch.hit = 0;
	if (!hit) {
		ktest_fail(file, line, "expected %s to panic; it returned", stmt);
		return 0;
	}
	if (needle && !strstr(panic_catch.msg, needle)) {
		ktest_fail(file, line, "%s panicked with \"%s\", expected \"%s\" in it",
		           stmt, panic_catch.msg, needle);
		return 0;
	}
	return 1;
}

static const char *const op_str[] = { "==", "!=", "<", "<=", ">", ">=" };

static int holds_s(int64_t a, int64_t b, int op)
{
	switch (op) {
	case KTEST_EQ: return a == b;
	case KTEST_NE: return a != b;
	case KTEST_LT: return a < b;
	case KTEST_LE: return a <= b;
	case KTEST_GT: return a > b;
	default:       return a >= b;
	}
}

static int holds_u(uint64_t a, uint64_t b, int op)
{
	switch (op) {
	case KTEST_EQ: return a == b;
	case KTEST_NE: return a != b;
	case KTEST_LT: return a < b;
	case KTEST_LE: return a <= b;
	case KTEST_GT: return a > b;
	default:       return a >= b;
	}
}

int ktest_cmp(int64_t a, int64_t b, int op, const char *file, int line,
              const char *sa, const char *sb, int fatal)
{
	if (holds_s(a, b, op))
		return 1;
	ktest_fail(file, line, "expected %s %s %s, got %lld (0x%llx) vs %lld (0x%llx)",
	           sa, op_str[op], sb, (long long)a, (unsigned long long)a,
	           (long long)b, (unsigned long long)b);
	if (fatal)
		ktest_abort();
	return 0;
}

int ktest_cmp_u(uint64_t a, uint64_t b, int op, const char *file, int line,
                const char *sa, const char *sb, int fatal)
{
	if (holds_u(a, b, op))
		return 1;
	ktest_fail(file, line, "expected %s %s %s, got 0x%llx vs 0x%llx",
	           sa, op_str[op], sb, (unsigned long long)a, (unsigned long long)b);
	if (fatal)
		ktest_abort();
	return 0;
}

int ktest_streq(const char *a, const char *b, const char *file, int line,
                const char *sa, const char *sb, int fatal)
{
	if (a && b && !strcmp(a, b))
		return 1;
	ktest_fail(file, line, "expected %s == %s, got \"%s\" vs \"%s\"",
	           sa, sb, a ? a : "(null)", b ? b : "(null)");
	if (fatal)
		ktest_abort();
	return 0;
}

int ktest_spec_check(const char *spec)
{
	const char *p = spec, *name;
	size_t len;

	if (!spec || !strcmp(spec, "all"))
		return E_OK;
	while (name_list_next(&p, &name, &len)) {
		int found = 0;

		for (const struct ktest_suite *s = __start_ktest_suites;
		     s < __stop_ktest_suites; s++)
			if (strlen(s->name) == len && !strncmp(s->name, name, len))
				found = 1;
		if (!found) {
			printf("ktest: no suite named '%.*s' (see `ktest list`)\n", (int)len, name);
			return E_NOENT;
		}
	}
	return E_OK;
}

enum result { PASS, FAIL, SKIP };

/* The running case, on whatever context ktest_case_isolate() gave it. */
static void case_body(void)
{
	if (!setjmp(cur.abort_to))
		cur.tcase->fn();
}

/* @check: take the invariant baseline before and check it after. */
static enum result run_case(const struct ktest_case *c, int check)
{
	cur.tcase = c;
	cur.cpu = this_cpu();
	cur.failed = 0;
	cur.skip_reason = NULL;
	console_prefixes = ktest_console_prefix(CASE_INDENT "# ");
	if (check)
		ktest_case_begin(c->name);
	if (ktest_case_isolate(c->name, case_body))
		cur.failed = 1;
	panic_catch.armed = 0;   /* an ASSERT may have left EXPECT_PANIC early */
	if (check && ktest_check_invariants(c->name))
		cur.failed = 1;
	ktest_console_prefix(NULL);
	console_prefixes = 0;
	cur.tcase = NULL;
	if (cur.failed)
		return FAIL;
	return cur.skip_reason ? SKIP : PASS;
}

/* One suite as KTAP subtest number @idx; adds its counts to @total. */
static int run_suite(const struct ktest_suite *s, int idx, int total[3], int check)
{
	int count[3] = { 0, 0, 0 };

	printf(CASE_INDENT "KTAP version 1\n" CASE_INDENT "# Subtest: %s\n"
	       CASE_INDENT "1..%d\n", s->name, (int)s->ncases);
	for (size_t i = 0; i < s->ncases; i++) {
		enum result r = run_case(&s->cases[i], check);

		count[r]++;
		if (r == SKIP)
			printf(CASE_INDENT "ok %d %s # SKIP %s\n", (int)i + 1,
			       s->cases[i].name, cur.skip_reason);
		else
			printf(CASE_INDENT "%s %d %s\n", r == PASS ? "ok" : "not ok",
			       (int)i + 1, s->cases[i].name);
	}
	printf("# %s: pass:%d fail:%d skip:%d total:%d\n", s->name,
	       count[PASS], count[FAIL], count[SKIP], (int)s->ncases);
	printf("%s %d %s%s\n", count[FAIL] ? "not ok" : "ok", idx, s->name,
	       !count[FAIL] && !count[PASS] && count[SKIP] ? " # SKIP" : "");
	for (int k = 0; k < 3; k++)
		total[k] += count[k];
	return count[FAIL];
}

int ktest_run_suite(const struct ktest_suite *s)
{
	struct ktest_state saved = cur;
	int total[3] = { 0, 0, 0 };
	int failed;

	/* Nested in a case: its invariants are checked around it as a whole. */
	failed = run_suite(s, 1, total, !saved.tcase);
	cur = saved;
	if (cur.tcase)
		console_prefixes = ktest_console_prefix(CASE_INDENT "# ");
	return failed;
}

int ktest_run(const char *spec)
{
	const struct ktest_suite *s;
	int nsuites = 0, idx = 0;
	int total[3] = { 0, 0, 0 };

	if (ktest_spec_check(spec))
		return -1;
	for (s = __start_ktest_suites; s < __stop_ktest_suites; s++)
		nsuites += name_in_list(spec, s->name);

	printf("KTAP version 1\n1..%d\n", nsuites);
	for (s = __start_ktest_suites; s < __stop_ktest_suites; s++)
		if (name_in_list(spec, s->name))
			run_suite(s, ++idx, total, 1);
	printf("# Totals: pass:%d fail:%d skip:%d total:%d\n", total[PASS],
	       total[FAIL], total[SKIP], total[PASS] + total[FAIL] + total[SKIP]);
	return total[FAIL];
}

void ktest_list(void)
{
	for (const struct ktest_suite *s = __start_ktest_suites; s < __stop_ktest_suites; s++)
		printf("%s (%d cases)\n", s->name, (int)s->ncases);
}
