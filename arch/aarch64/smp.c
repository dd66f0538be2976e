/*
 * aarch64 CPUs: which ones the kernel can use, starting them through
 * PSCI CPU_ON (Arm DEN0022, 5.1.4) or a spin-table release address (the
 * Linux arm64 boot protocol, booting.rst; Raspberry Pi firmware), IPIs
 * through the interrupt controller the device tree names, the generic
 * timer's counter.
 */
#include <string.h>
#include <arch/arch.h>
#include <arch/mmu.h>
#include <arch/smp.h>
#include <arch/sysreg.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include "irqchip.h"

#define PSCI_CPU_ON_64      0xc4000003
#define PSCI_ALREADY_ON     (-4)
#define PSCI_ON_PENDING     (-5)

extern char aarch64_secondary_entry[], aarch64_spin_entry[];
extern unsigned aarch64_pt_levels, aarch64_asid_bits;
extern uintptr_t boot_va_offset;
long aarch64_psci_call(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3);

static const struct irqchip *const chips[] = {
	&gicv3_irqchip, &gicv2_irqchip, &bcm2836_irqchip,
};
static const struct irqchip *chip;
static void *(*map_regs)(uint64_t pa, uint64_t size);

/* The EL1 virtual timer's interrupt; until the device tree says, the
 * GIC's PPI 11 (Linux's arch_timer binding). */
static unsigned vtimer_intid = 27;
static uint64_t tick_period;   /* in counter ticks; 0: no tick */

/* The architected timer's node ("arm,armv7-timer" on the BCM2837). */
static int timer_node(const struct fdt *fdt)
{
	int node = fdt_find_compatible(fdt, -1, "arm,armv8-timer");

	return node >= 0 ? node : fdt_find_compatible(fdt, -1, "arm,armv7-timer");
}

/* The driver for controller @node, or NULL. */
static const struct irqchip *chip_of(const struct fdt *fdt, int node)
{
	for (unsigned i = 0; i < sizeof(chips) / sizeof(chips[0]); i++)
		for (const char *const *c = chips[i]->compatible; *c; c++)
			if (fdt_is_compatible(fdt, node, *c))
				return chips[i];
	return NULL;
}

/*
 * The controller is the one the timer's interrupts go to (the Raspberry
 * Pi 4 also has the BCM2836 block, unused beside its GIC-400); without a
 * timer node, the first one a driver knows.  The timer's interrupt is
 * its third specifier (the binding's order: secure physical, non-secure
 * physical, virtual, hypervisor), in the controller's numbering.
 */
int arch_irq_init(const struct fdt *fdt, void *(*map)(uint64_t pa, uint64_t size))
{
	uint32_t cells[4];
	int ctrl = E_NOENT;
	int n = fdt_interrupt(fdt, timer_node(fdt), 2, cells, 4, &ctrl);

	map_regs = map;
	if (n < 0)
		for (unsigned i = 0; i < sizeof(chips) / sizeof(chips[0]) && ctrl < 0; i++)
			ctrl = fdt_find_compatible(fdt, -1, chips[i]->compatible[0]);
	const struct irqchip *c = ctrl >= 0 ? chip_of(fdt, ctrl) : NULL;
	if (!c)
		return E_NOTSUP;
	if (n > 0 && c->xlate(cells, (unsigned)n, &vtimer_intid))
		return E_NOTSUP;
	int rc = c->init(fdt, ctrl, map);
	if (rc)
		return rc;
	chip = c;
	return E_OK;
}

static uintptr_t pa_of(const void *image_va)
{
	return (uintptr_t)image_va - boot_va_offset;
}

int arch_cpu_usable(const struct fdt *fdt, int node, uint64_t *hwid, const char **why)
{
	const char *method = fdt_getprop_str(fdt, node, "enable-method");
	struct fdt_range r;

	if (fdt_reg(fdt, node, 0, &r))
		return E_CORRUPT;
	*hwid = r.base & 0xff00ffffffull;
	if (!method || (strcmp(method, "psci") && strcmp(method, "spin-table"))) {
		*why = "no enable-method the kernel knows";
		return E_NOTSUP;
	}
	return E_OK;
}

/*
 * spin-table: the CPU spins in firmware until the 64-bit word at
 * cpu-release-addr holds an entry address, then jumps there with the MMU
 * off.  The write goes through an uncached (device) mapping, so it is in
 * memory when the waiting CPU reads it; SEV ends its WFE.
 */
static int spin_table_start(const struct fdt *fdt, int node)
{
	uint64_t addr = 0;

	if (fdt_u64_prop(fdt, node, "cpu-release-addr", &addr))
		return E_CORRUPT;
	volatile uint64_t *release = map_regs ? map_regs(addr, sizeof(uint64_t)) : NULL;
	if (!release)
		return E_NOMEM;
	*release = pa_of(aarch64_spin_entry);
	dsb(sy);
	__asm__ volatile("sev" ::: "memory");
	return E_OK;
}

int arch_cpu_start(struct cpu *c, const struct fdt *fdt, int node)
{
	const char *method = fdt_getprop_str(fdt, node, "enable-method");

	/* arch_mmu_enable() reads these with the MMU and caches off. */
	arch_clean_to_poc(&aarch64_pt_levels, sizeof(aarch64_pt_levels));
	arch_clean_to_poc(&aarch64_asid_bits, sizeof(aarch64_asid_bits));
	if (method && !strcmp(method, "spin-table"))
		return spin_table_start(fdt, node);
	long rc = aarch64_psci_call(PSCI_CPU_ON_64, c->hwid, pa_of(aarch64_secondary_entry),
	                            pa_of(c));
	if (rc == PSCI_ALREADY_ON || rc == PSCI_ON_PENDING)
		return E_BUSY;
	return rc ? E_IO : E_OK;
}

void arch_cpu_init_secondary(uint64_t kernel_root, uint64_t idle_user_root)
{
	arch_trap_init();
	arch_mmu_switch_kernel_cpu(kernel_root, idle_user_root);
	if (chip)
		chip->cpu_init(this_cpu());
}

void arch_ipi_send(const struct cpu *c)
{
	chip->send_ipi(c);
}

/*
 * WFI wakes on a pending IRQ even while PSTATE.I masks it (Arm ARM
 * D1.16.2), so an IPI or a tick wakes this CPU with interrupts masked;
 * unmasking for a moment lets the vectors take it (aarch64_irq()).
 */
void arch_cpu_idle(void)
{
	__asm__ volatile("dsb sy\n\twfi\n\tmsr daifclr, #2\n\tisb\n\tmsr daifset, #2"
	                 ::: "memory");
}

/* CNTV_TVAL_EL0 counts down from the period; CNTV_CTL_EL0.ENABLE, unmasked. */
static void timer_arm(void)
{
	sysreg_write(cntv_tval_el0, tick_period);
	sysreg_write(cntv_ctl_el0, 1);
	isb();
}

void arch_timer_start(uint64_t period_us)
{
	uint64_t hz = sysreg_read(cntfrq_el0);

	tick_period = period_us * (hz / 1000000);
	if (!tick_period) {
		sysreg_write(cntv_ctl_el0, 0);
		isb();
		return;
	}
	if (!chip)
		return;
	chip->enable_ppi(vtimer_intid);
	timer_arm();
}

static int timer_or_unknown(unsigned intid)
{
	if (intid != vtimer_intid)
		return 0;
	this_cpu()->ticks++;
	timer_arm();   /* a new TVAL also clears the condition */
	return 1;
}

int aarch64_irq(void)
{
	return chip && chip->handle(timer_or_unknown) > 0;
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

uint64_t arch_time_us(void)
{
	uint64_t hz = sysreg_read(cntfrq_el0), t;

	isb();
	t = sysreg_read(cntvct_el0);
	return hz >= 1000000 ? t / (hz / 1000000) : t * (1000000 / (hz ? hz : 1));
}

/* DC CVAC by line (the smallest line size CTR_EL0.DminLine gives). */
void arch_clean_to_poc(const void *p, uint64_t size)
{
	uint64_t line = 4ull << (sysreg_read(ctr_el0) >> 16 & 0xf);
	uintptr_t a = (uintptr_t)p & ~(line - 1), end = (uintptr_t)p + size;

	dsb(ishst);
	for (; a < end; a += line)
		__asm__ volatile("dc cvac, %0" :: "r"(a) : "memory");
	dsb(sy);
}
