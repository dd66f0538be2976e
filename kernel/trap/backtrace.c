/* Frame-pointer unwinding (the arch decodes a frame record; see arch.h). */
#include <stdio.h>
#include <arch/arch.h>
#include <trap/backtrace.h>
#include <exec/kstack.h>

extern const uint64_t ksyms_count, ksyms_addr[];
extern const uint32_t ksyms_name[];
extern const char ksyms_str[];
extern char __text_start[], __text_end[];

#define MAX_DEPTH 32

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
	uint64_t lo = 0, hi = ksyms_count;

	if (addr < (uintptr_t)__text_start || addr >= (uintptr_t)__text_end || !hi)
		return NULL;
	/* Last symbol at or below addr. */
	while (hi - lo > 1) {
		uint64_t mid = (lo + hi) / 2;

		if (ksyms_addr[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksyms_addr[lo] > addr)
		return NULL;
	*offset = addr - ksyms_addr[lo];
	return ksyms_str + ksyms_name[lo];
}

/*
 * Frame records live on kernel stacks: the boot stack, the trap emergency
 * stack, or a live kstack (kstack_of(): fibers, call and system stacks).  The chain leaves a stack
 * where a fiber's first record links to the code that switched into it,
 * or where a trap frame's record points to the interrupted code.
 */
int backtrace_collect(uintptr_t pc, uintptr_t fp, uintptr_t *pcs, int max)
{
	uintptr_t lo, hi;
	int n = 0;

	if (pc && n < max)
		pcs[n++] = pc;
	while (n < max) {
		uintptr_t rec = fp + ARCH_FRAME_RECORD_OFFSET, next, ret;

		if (!kstack_of(rec, &lo, &hi) || hi - rec < 16)
			break;
		if (arch_unwind_step(fp, &next, &ret) || !ret ||
		    ret == (uintptr_t)arch_fiber_origin_ra)
			break;
		pcs[n++] = ret;
		/* Stacks grow down: on the same stack callers sit higher. */
		rec = next + ARCH_FRAME_RECORD_OFFSET;
		if (rec >= lo && rec < hi && next <= fp)
			break;
		fp = next;
	}
	return n;
}

void backtrace_print(uintptr_t pc, uintptr_t fp)
{
	uintptr_t pcs[MAX_DEPTH];
	int n = backtrace_collect(pc, fp, pcs, MAX_DEPTH);

	printf("backtrace:\n");
	for (int i = 0; i < n; i++) {
		uintptr_t off;
		const char *name = ksym_lookup(pcs[i], &off);

		if (name)
			printf("  #%-2d 0x%016lx %s+0x%lx\n", i, (unsigned long)pcs[i],
			       name, (unsigned long)off);
		else
			printf("  #%-2d 0x%016lx ?\n", i, (unsigned long)pcs[i]);
	}
}
