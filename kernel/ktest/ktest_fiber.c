/*
 * The self-test runner's kernel hooks for fibers (lib/ktest.c): each
 * case runs on a fiber of its own, so a case that overflows its stack
 * fails alone while the runner, on the fiber that called it, goes on.
 */
#include <stdio.h>
#include <exec/fiber.h>
#include <lib/ktest.h>

int ktest_case_isolate(const char *case_name, void (*body)(void));
void ktest_abort_context(void);

/*
 * Case stacks: as large as the boot stack the cases ran on before, and
 * faulted in at creation, so that a case counting free frames around an
 * operation does not see its own stack grow.
 */
#define CASE_STACK_SIZE (32u << 10)

/* The fiber running the case (the innermost, when a case runs a suite). */
static struct fiber *case_fiber;

static intptr_t case_main(void *body)
{
	((void (*)(void))body)();
	return 0;
}

int ktest_case_isolate(const char *case_name, void (*body)(void))
{
	struct fiber *outer = case_fiber;
	struct fiber *f = fiber_create_flags(case_name, case_main, (void *)body,
	                                     CASE_STACK_SIZE, FIBER_POPULATE);
	intptr_t result;

	if (!f) {
		ktest_log("no memory for a case fiber: the case runs on the runner's stack");
		case_fiber = fiber_self();
		body();
		case_fiber = outer;
		return 0;
	}
	case_fiber = f;
	result = fiber_join(f);
	case_fiber = outer;
	return result == FIBER_FAILED;
}

/* An abort from a fiber the case started ends that fiber; the case goes on, failed. */
void ktest_abort_context(void)
{
	if (case_fiber && fiber_self() != case_fiber)
		fiber_exit(FIBER_FAILED);
}
