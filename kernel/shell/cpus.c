/* `cpus`: every CPU the kernel started, its hardware id, and its counters. */
#include <stdio.h>
#include <arch/cpu.h>
#include <arch/smp.h>
#include <shell/shell.h>

static int cmd_cpus(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("cpu  %-19s %-7s %10s %10s %10s\n", ARCH_CPU_ID_NAME, "state",
	       "ticks", "ipis", "traps");
	for (unsigned i = 0; i < cpu_count; i++) {
		const struct cpu *c = &cpus[i];

		printf("%3u  0x%-16llx%c  %-7s %10llu %10llu %10llu\n", i,
		       (unsigned long long)c->hwid, c == this_cpu() ? '*' : ' ',
		       __atomic_load_n(&c->online, __ATOMIC_ACQUIRE) ? "online" : "lost",
		       (unsigned long long)c->ticks, (unsigned long long)c->ipis,
		       (unsigned long long)c->traps);
	}
	return 0;
}
SHELL_CMD(cpus, "list the CPUs: number, hardware id, state, ticks, IPIs, traps", cmd_cpus);
