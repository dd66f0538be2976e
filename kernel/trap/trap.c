/*
 * Generic trap handling: the arch decodes, this decides.  For now every
 * kernel-mode trap is either caught by a test (trap_expect) or unexpected;
 * the page-fault dispatcher hooks in here later.
 */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <trap/backtrace.h>
#include <exec/fiber.h>
#include <exec/kstack.h>
#include <lib/ktest.h>
#include <drivers/power.h>
#include <mm/kmap.h>
#include <arch/trap.h>
#include <mm/aspace.h>
#include <mm/usercopy.h>
#include <lib/panic.h>
#include <proc/proc.h>

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

/* The one-shot catcher of trap_expect(): for the CPU that armed it only. */
static struct {
	int armed;
	int hit;
	enum trap_kind kind;
	struct cpu *cpu;
	struct trap_info info;
} catcher;

const char *trap_kind_str(enum trap_kind kind)
{
	return kind <= TRAP_OTHER ? kind_names[kind] : "?";
}

void trap_expect(enum trap_kind kind)
{
	catcher.kind = kind;
	catcher.cpu = this_cpu();
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

static enum fault_access fault_access_of(enum trap_access a)
{
	return a == ACCESS_WRITE ? FAULT_WRITE : a == ACCESS_EXEC ? FAULT_EXEC : FAULT_READ;
}

/*
 * The running fiber ran into the guard page below its stack.  Trap entry
 * saw sp below the fiber's stack limit and put us on the emergency stack.
 * Report it and end the fiber as failed (its joiner sees FIBER_FAILED);
 * the kernel goes on with the next runnable fiber.
 */
static __attribute__((noreturn)) void stack_overflow(const struct trap_frame *tf,
                                                     const struct trap_info *ti)
{
	struct kstack *s = kstack_guard_of(ti->addr);

	printf("stack overflow in fiber %s (guard page 0x%lx of a %s stack, pc 0x%lx)\n",
	       fiber_name(fiber_self()), (unsigned long)(ti->addr & ~(uintptr_t)PAGE_MASK),
	       s ? s->kind : "gone", (unsigned long)ti->pc);
	backtrace_print(ti->pc, arch_frame_fp(tf));
	/* A call on a given stack ends with the fiber: the stack is free again. */
	if (s && !strcmp(s->kind, "call"))
		__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
	fiber_exit(FIBER_FAILED);
}

struct neighbours {
	uintptr_t addr;
	const struct varea *below, *above;
};

static int find_neighbours(void *ctx, const struct varea *va)
{
	struct neighbours *n = ctx;

	if (va->start <= n->addr)
		n->below = va;
	else if (!n->above)
		n->above = va;
	return n->above != NULL;
}

static void print_varea(const char *where, const struct varea *va)
{
	if (!va) {
		printf("  %s: none\n", where);
		return;
	}
	printf("  %s: [0x%lx, 0x%lx) %c%c%c %s%s%s\n", where, (unsigned long)va->start,
	       (unsigned long)(va->start + va->size), va->perms & MMU_READ ? 'r' : '-',
	       va->perms & MMU_WRITE ? 'w' : '-', va->perms & MMU_EXEC ? 'x' : '-',
	       va->obj->ops->name, va->name ? " " : "", va->name ? va->name : "");
}

/* The fault record, why it stays unresolved, and the vareas around it. */
static void report_fault(const struct trap_frame *tf, const struct trap_info *ti,
                         enum fault_result fr, struct aspace *as)
{
	static const char *const access[] = { "read", "write", "execute" };
	struct neighbours n = { .addr = ti->addr };

	printf("page fault not resolved: %s\n", fault_result_str(fr));
	printf("  fault: address 0x%lx, %s, %s mode, pc 0x%lx, address space %s\n",
	       (unsigned long)ti->addr, access[fault_access_of(ti->access)],
	       arch_frame_from_user(tf) ? "user" : "kernel", (unsigned long)ti->pc,
	       as ? as->name : "none");
	if (!as)
		return;
	/* Never wait for the lock here: the fault may have come from under it. */
	if (spin_is_held(&as->lock)) {
		printf("  (vareas not shown: the address space lock is held)\n");
		return;
	}
	aspace_traverse(as, find_neighbours, &n);
	print_varea(n.below && ti->addr < n.below->start + n.below->size ? "in" : "below",
	            n.below);
	print_varea("above", n.above);
}

/* ---- traps from user mode ------------------------------------------------------ */

/* The signal Linux sends for a trap a process cannot survive. */
static int signal_of(const struct trap_info *ti)
{
	switch (ti->kind) {
	case TRAP_ILLEGAL: return SIGILL;
	case TRAP_BREAKPOINT: return SIGTRAP;
	case TRAP_ALIGNMENT: return SIGBUS;
	case TRAP_OTHER: return SIGILL;   /* an exception class Linux also treats as undefined */
	default: return SIGSEGV;
	}
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGILL: return "SIGILL";
	case SIGTRAP: return "SIGTRAP";
	case SIGBUS: return "SIGBUS";
	default: return "SIGSEGV";
	}
}

/*
 * The end of process @p (NULL: none, a kernel bug) for a trap from user
 * mode that nothing resolved: the signal Linux would send it and the
 * report a kernel fault gets (without the kernel backtrace).  Out of
 * line, so that trap_user()'s common path stays small.
 */
static __attribute__((noinline, cold, noreturn)) void user_trap_fatal(
	struct trap_frame *tf, const struct trap_info *ti, struct proc *p,
	enum fault_result fr, struct aspace *as)
{
	if (!p) {
		report(tf, ti);
		panic("trap from user mode on cpu %u with no process", cpu_num());
	}
	int sig = signal_of(ti);

	if (fr == FAULT_STACK_GUARD)
		printf("stack overflow in process %s (pid %d): guard page 0x%lx, pc 0x%lx\n",
		       p->name, p->pid, (unsigned long)(ti->addr & ~(uintptr_t)PAGE_MASK),
		       (unsigned long)ti->pc);
	printf("process %s (pid %d) killed by %s: %s (%s) at pc 0x%lx, address 0x%lx\n",
	       p->name, p->pid, signal_name(sig), ti->desc, trap_kind_str(ti->kind),
	       (unsigned long)ti->pc, (unsigned long)ti->addr);
	if (ti->kind == TRAP_PAGE_FAULT)
		report_fault(tf, ti, fr, as);
	arch_frame_dump(tf);
	proc_exit(p, W_SIGNALED(sig));
}

void trap_user(struct trap_frame *tf, const struct trap_info *ti)
{
	struct proc *p = proc_current();
	enum fault_result fr = FAULT_NO_VAREA;
	struct aspace *as = NULL;

	if (!p)
		user_trap_fatal(tf, ti, p, fr, as);
	if (ti->kind == TRAP_INTERRUPT) {
		proc_return(p);   /* one the arch did not claim (spurious): not the program's doing */
		return;
	}
	if (ti->kind == TRAP_PAGE_FAULT) {
		fr = aspace_fault_mmu(ti->addr, fault_access_of(ti->access), 1, ti->pc, &as);
		if (fr == FAULT_FIXED || fr == FAULT_FIXED_COW) {
			proc_return(p);
			return;
		}
	}
	user_trap_fatal(tf, ti, p, fr, as);
}

void trap_user_irq(struct trap_frame *tf)
{
	struct proc *p = proc_current();

	if (p)
		proc_yield(p);   /* a spinning program gives the CPU up at every tick */
}

void trap_dispatch(struct trap_frame *tf, const struct trap_info *ti)
{
	enum fault_result fr = FAULT_NO_VAREA;
	struct aspace *as = NULL;

	if (arch_frame_from_user(tf)) {
		trap_user(tf, ti);
		return;
	}

	if (ti->kind == TRAP_PAGE_FAULT) {
		fr = aspace_fault_mmu(ti->addr, fault_access_of(ti->access),
		                      arch_frame_from_user(tf), ti->pc, &as);
		if (fr == FAULT_FIXED || fr == FAULT_FIXED_COW) {
			fiber_stack_faulted(ti->addr);
			return;
		}
		if (fr == FAULT_STACK_GUARD && fiber_guard_hit(ti->addr))
			stack_overflow(tf, ti);
		/* A user copy that hit a bad address returns an error instead. */
		uintptr_t fixup = ex_table_fixup(ti->pc);
		if (fixup) {
			arch_frame_set_pc(tf, fixup);
			return;
		}
	}
	if (catcher.armed && !catcher.hit && ti->kind == catcher.kind &&
	    catcher.cpu == this_cpu()) {
		catcher.info = *ti;
		catcher.hit = 1;
		if (ti->access == ACCESS_EXEC)
			arch_frame_return_to_caller(tf);   /* the pc itself is bad */
		else
			arch_frame_skip_insn(tf);
		return;
	}
	if (ti->kind == TRAP_PAGE_FAULT)
		report_fault(tf, ti, fr, as);
	report(tf, ti);
	if (ktest_in_case())
		ktest_trap_abort();   /* the case fails alone; the runner goes on */
	printf("unexpected trap in kernel mode on cpu %u: stopping\n", cpu_num());
	power_off(POWER_FAILURE);
}
