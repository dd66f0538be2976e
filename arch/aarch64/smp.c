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

static const struct irqchip *const chips[] = { &gicv3_irqchip };
static const struct irqchip *chip;
static void *(*map_regs)(uint64_t pa, uint64_t size);

/* The EL1 virtual timer's PPI: "arm,armv8-timer" interrupts, third entry
 * (Linux's arch_timer binding: secure, non-secure, virtual, hypervisor). */
static unsigned vtimer_intid = 27;
static uint64_t tick_period;   /* in counter ticks; 0: no tick */

static void timer_fdt_init(const struct fdt *fdt)
{
	int node = fdt_find_compatible(fdt, -1, "arm,armv8-timer");
	const void *val;
	uint32_t len;

	if (node >= 0 && fdt_getprop(fdt, node, "interrupts", &val, &len) == E_OK && len >= 36) {
		const uint8_t *p = (const uint8_t *)val + 2 * 12 + 4;   /* entry 2, its number */

		vtimer_intid = 16 + ((uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]);
	}
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
	const void *val;
	uint32_t len;
	uint64_t addr = 0;

	if (fdt_getprop(fdt, node, "cpu-release-addr", &val, &len) || (len != 4 && len != 8))
		return E_CORRUPT;
	for (uint32_t i = 0; i < len; i++)
		addr = addr << 8 | ((const uint8_t *)val)[i];
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

int arch_irq_init(const struct fdt *fdt, void *(*map)(uint64_t pa, uint64_t size))
{
	map_regs = map;
	timer_fdt_init(fdt);
	for (unsigned i = 0; i < sizeof(chips) / sizeof(chips[0]); i++) {
		int node = fdt_find_compatible(fdt, -1, chips[i]->compatible);

		if (node < 0)
			continue;
		int rc = chips[i]->init(fdt, node, map);
		if (rc)
			return rc;
		chip = chips[i];
		return E_OK;
	}
	return E_NOTSUP;
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
