/*
 * The CPUs: their struct cpu (<arch/cpu.h>), their emergency trap stacks
 * and the stacks they boot on; starting them from the device tree; and
 * calls on another CPU.  cpus[0] is the boot CPU; the others are filled in
 * as they are started.
 *
 * A secondary CPU lives in its idle loop (smp_secondary_main()) on its
 * boot stack, interrupts masked: it runs the call handed to it, then
 * waits in arch_cpu_idle() until the next IPI.  Calls go through one
 * slot per CPU (struct cpu's call): a caller claims it with a
 * compare-and-swap, raises the IPI, and waits on the call's done flag.
 */
#include <stdio.h>
#include <string.h>
#include <arch/cpu.h>
#include <arch/smp.h>
#include <boot/smp.h>
#include <exec/fiber.h>
#include <exec/kstack.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include <mm/boot_mmu.h>
#include <mm/kmap.h>
#include <mm/page.h>

#define START_TIMEOUT_US 1000000

struct cpu cpus[CPU_MAX];
unsigned cpu_count = 1;
cpumask_t cpu_online_mask = 1;   /* the boot CPU */

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

void smp_secondary_main(struct cpu *c);

/* First C code of a secondary CPU (from its arch's secondary entry). */
void smp_secondary_main(struct cpu *c)
{
	arch_cpu_init_secondary(c->boot_kroot, kmap_empty_user_root);
	fiber_cpu_init(c);
	if (kstack_cpu_init(c->num))
		printf("smp: cpu %u: no memory for its system stack\n", c->num);
	arch_timer_start(SMP_TICK_US);
	__atomic_fetch_or(&cpu_online_mask, CPU_BIT(c->num), __ATOMIC_RELEASE);
	__atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
	arch_ipi_send(&cpus[0]);   /* the boot CPU waits for this in arch_cpu_idle() */
	for (;;) {
		struct smp_call *call = __atomic_load_n(&c->call, __ATOMIC_ACQUIRE);

		if (!call) {
			/* Fibers woken for this CPU run here; then it waits. */
			if (!fiber_run_queued())
				arch_cpu_idle();
			continue;
		}
		unsigned from = call->from;

		call->fn(call->arg);
		__atomic_store_n(&c->call, NULL, __ATOMIC_RELAXED);
		__atomic_store_n(&call->done, 1, __ATOMIC_RELEASE);
		arch_ipi_send(&cpus[from]);   /* it may be asleep in smp_call_wait() */
	}
}

/* Fill in the next free struct cpu for @hwid and start it; 1 when it came online. */
static int start_one(const struct fdt *fdt, int node, uint64_t hwid)
{
	struct cpu *c = &cpus[cpu_count];
	unsigned num = cpu_count;

	cpu_prepare(c, num, hwid);
	c->boot_sp = kernel_image_pa(cpu_boot_stacks[num] + CPU_BOOT_STACK_SIZE);
	c->boot_kroot = kernel_pt.root_pa;
	c->boot_iroot = kmap_secondary_ident_root();
	c->boot_voff = boot_va_offset;
	arch_clean_to_poc(c, sizeof(*c));

	int rc = arch_cpu_start(c, fdt, node);
	if (rc) {
		printf("smp: %s 0x%llx: cannot start it (%s)\n", ARCH_CPU_ID_NAME,
		       (unsigned long long)hwid, err_str(rc));
		return 0;
	}
	/* From here the CPU may run: its slot is taken, whether it shows up or
	 * not.  Wait asleep (its IPI or the tick wakes this CPU), not spinning:
	 * under QEMU -icount the CPUs take turns, and a spinning one starves
	 * the one starting. */
	cpu_count++;
	uint64_t t0 = arch_time_us();
	while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE)) {
		if (arch_time_us() - t0 > START_TIMEOUT_US) {
			printf("smp: %s 0x%llx (cpu %u): did not come up within %u ms\n", ARCH_CPU_ID_NAME,
			       (unsigned long long)hwid, num, START_TIMEOUT_US / 1000);
			return 0;
		}
		arch_cpu_idle();
	}
	return 1;
}

unsigned smp_start(const struct fdt *fdt, unsigned max)
{
	int cpus_node = fdt_path_offset(fdt, "/cpus");
	unsigned online = 1;

	/* Other CPUs will have frame and heap caches: mm drains them by calls. */
	mm_set_every_cpu_call(smp_run_everywhere);
	if (cpus_node < 0)
		return online;
	for (int n = fdt_first_child(fdt, cpus_node); n >= 0; n = fdt_next_sibling(fdt, n)) {
		const char *type = fdt_getprop_str(fdt, n, "device_type");
		const char *status = fdt_getprop_str(fdt, n, "status");
		const char *why = NULL;
		uint64_t hwid;

		if (!type || strcmp(type, "cpu"))
			continue;
		if (status && strcmp(status, "okay") && strcmp(status, "ok"))
			continue;
		int rc = arch_cpu_usable(fdt, n, &hwid, &why);
		if ((rc == E_OK || rc == E_NOTSUP) && hwid == cpus[0].hwid)
			continue;   /* the boot CPU: running, whatever its node says */
		if (rc) {
			printf("smp: %s: left alone (%s)\n", fdt_node_name(fdt, n),
			       why ? why : err_str(rc));
			continue;
		}
		if (cpu_count >= max || cpu_count >= CPU_MAX) {
			printf("smp: %s 0x%llx: left stopped (at most %u CPUs)\n", ARCH_CPU_ID_NAME,
			       (unsigned long long)hwid, cpu_count);
			continue;
		}
		online += start_one(fdt, n, hwid);
	}
	printf("smp: %u CPU%s online (boot %s 0x%llx)\n", online, online == 1 ? "" : "s",
	       ARCH_CPU_ID_NAME, (unsigned long long)cpus[0].hwid);
	return online;
}

unsigned smp_online(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cpu_count; i++)
		n += __atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE) != 0;
	return n;
}

int smp_call_start(unsigned cpu, struct smp_call *call, void (*fn)(void *arg), void *arg)
{
	struct cpu *c = &cpus[cpu];
	struct smp_call *none = NULL;

	if (cpu >= cpu_count || !__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
		return E_NOENT;
	call->fn = fn;
	call->arg = arg;
	call->from = cpu_num();
	call->done = 0;
	if (c == this_cpu()) {
		fn(arg);
		call->done = 1;
		return E_OK;
	}
	while (!__atomic_compare_exchange_n(&c->call, &none, call, 0, __ATOMIC_RELEASE,
	                                    __ATOMIC_RELAXED)) {
		none = NULL;
		arch_cpu_relax();
	}
	arch_ipi_send(c);
	return E_OK;
}

/*
 * Asleep until the done flag: the CPU that ran the call raises an IPI
 * after setting it, and a pending IPI ends the wait at once, so checking
 * with interrupts masked cannot miss it.  (Spinning would do on hardware;
 * under QEMU -icount the CPUs take turns, and a spinning one keeps the
 * others from running.)
 */
void smp_call_wait(struct smp_call *call)
{
	unsigned long irq = arch_irq_save();

	while (!__atomic_load_n(&call->done, __ATOMIC_ACQUIRE))
		arch_cpu_idle();
	arch_irq_restore(irq);
}
