/*
 * The CPUs: their struct cpu (<arch/cpu.h>), their emergency trap stacks
 * and the stacks they boot on.  cpus[0] is the boot CPU; the others are
 * filled in as they are started (kernel/boot/smp_start.c).
 */
#include <string.h>
#include <arch/cpu.h>
#include <boot/smp.h>

struct cpu cpus[CPU_MAX];
unsigned cpu_count = 1;

char cpu_trap_stacks[CPU_MAX][CPU_TRAP_STACK_SIZE] __attribute__((aligned(16)));
char cpu_boot_stacks[CPU_MAX][CPU_BOOT_STACK_SIZE] __attribute__((aligned(16)));

/* The image's TLS template (picolibc's .tdata, then .tbss); linker/kernel.ld.S. */
extern char __tls_base[], __tbss_start[], __tls_end[];

void cpu_prepare(struct cpu *c, unsigned num, uint64_t hwid)
{
	size_t tdata = (size_t)(__tbss_start - __tls_base);

	c->num = num;
	c->hwid = hwid;
	c->stack_limit = 0;
	c->trap_stack_top = (uintptr_t)cpu_trap_stacks[num] + CPU_TRAP_STACK_SIZE;
	memcpy(c->tls, __tls_base, tdata);
	memset(c->tls + tdata, 0, sizeof(c->tls) - tdata);
}

int cpu_stack_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	static const struct { char *base; size_t size; } kinds[] = {
		{ &cpu_trap_stacks[0][0], CPU_TRAP_STACK_SIZE },
		{ &cpu_boot_stacks[0][0], CPU_BOOT_STACK_SIZE },
	};

	for (unsigned k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uintptr_t base = (uintptr_t)kinds[k].base;

		if (addr >= base && addr < base + CPU_MAX * kinds[k].size) {
			*lo = base + (addr - base) / kinds[k].size * kinds[k].size;
			*hi = *lo + kinds[k].size;
			return 1;
		}
	}
	return 0;
}
