/*
 * Generic trap handling: the arch decodes, this decides.  For now every
 * kernel-mode trap is either caught by a test (trap_expect) or unexpected;
 * the page-fault dispatcher hooks in here later.
 */
#include <stdio.h>
#include <arch/arch.h>
#include <kernel/backtrace.h>
#include <kernel/ktest.h>
#include <kernel/power.h>
#include <kernel/trap.h>

static const char *const kind_names[] = {
	[TRAP_BREAKPOINT] = "breakpoint", [TRAP_ILLEGAL] = "illegal instruction",
	[TRAP_PAGE_FAULT] = "page fault", [TRAP_ALIGNMENT] = "alignment fault",
	[TRAP_ACCESS] = "access fault", [TRAP_SYSCALL] = "system call",
	[TRAP_INTERRUPT] = "interrupt", [TRAP_OTHER] = "other",
};

static const char *const access_names[] = {
	[ACCESS_NONE] = "", [ACCESS_READ] = "read", [ACCESS_WRITE] = "write",
	[ACCESS_EXEC] = "execute",
};

static struct {
	int armed;
	int hit;
	enum trap_kind kind;
	struct trap_info info;
} catcher;

const char *trap_kind_str(enum trap_kind kind)
{
	return kind <= TRAP_OTHER ? kind_names[kind] : "?";
}

void trap_expect(enum trap_kind kind)
{
	catcher.kind = kind;
	catcher.hit = 0;
	catcher.armed = 1;
}

int trap_caught(struct trap_info *out)
{
	int hit = catcher.hit;

	if (hit && out)
		*out = catcher.info;
	catcher.armed = 0;
	catcher.hit = 0;
	return hit;
}

static void report(const struct trap_frame *tf, const struct trap_info *ti)
{
	uintptr_t off;
	const char *fn = ksym_lookup(ti->pc, &off);

	printf("TRAP: %s (%s%s%s) at pc 0x%lx", ti->desc, trap_kind_str(ti->kind),
	       ti->access ? ", " : "", access_names[ti->access], (unsigned long)ti->pc);
	if (fn)
		printf(" (%s+0x%lx)", fn, (unsigned long)off);
	if (ti->kind == TRAP_PAGE_FAULT || ti->kind == TRAP_ALIGNMENT ||
	    ti->kind == TRAP_ACCESS)
		printf(", address 0x%lx", (unsigned long)ti->addr);
	printf(", cause 0x%lx\n", (unsigned long)ti->cause);
	arch_frame_dump(tf);
	backtrace_print(ti->pc, arch_frame_fp(tf));
}

void trap_dispatch(struct trap_frame *tf, const struct trap_info *ti)
{
	if (catcher.armed && !catcher.hit && ti->kind == catcher.kind) {
		catcher.info = *ti;
		catcher.hit = 1;
		if (ti->access == ACCESS_EXEC)
			arch_frame_return_to_caller(tf);   /* the pc itself is bad */
		else
			arch_frame_skip_insn(tf);
		return;
	}
	report(tf, ti);
	if (ktest_in_case())
		ktest_trap_abort();   /* the case fails alone; the runner goes on */
	printf("unexpected trap in kernel mode: stopping\n");
	power_off(POWER_FAILURE);
}
