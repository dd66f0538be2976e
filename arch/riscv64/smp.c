/*
 * riscv64 CPUs: which harts the kernel can use, starting them through the
 * SBI HSM extension, IPIs through the SBI IPI extension, the time CSR.
 * (RISC-V SBI spec v1.0: chapters 6 (IPI), 9 (HSM), 8 (RFENCE).)
 */
#include <string.h>
#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/mmu.h>
#include <arch/sbi.h>
#include <arch/smp.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include "riscv_internal.h"

#define SIE_SSIE  (1UL << 1)    /* supervisor software interrupt: the IPI */
#define SIE_STIE  (1UL << 5)    /* supervisor timer interrupt */
#define SIP_SSIP  (1UL << 1)
#define SBI_TIME_SET_TIMER 0

extern char riscv_secondary_entry[];
extern uintptr_t boot_va_offset;

static uint64_t timebase_hz = 10000000;   /* /cpus timebase-frequency; QEMU virt's */

void riscv_smp_fdt_init(const struct fdt *fdt)
{
	uint32_t hz;
	int cpus = fdt_path_offset(fdt, "/cpus");

	if (cpus >= 0 && fdt_getprop_u32(fdt, cpus, "timebase-frequency", &hz) == E_OK && hz)
		timebase_hz = hz;
}

/* The cpu node's "reg", in /cpus's #address-cells (1 or 2). */
static int cpu_reg(const struct fdt *fdt, int node, uint64_t *id)
{
	struct fdt_range r;
	int rc = fdt_reg(fdt, node, 0, &r);

	if (rc)
		return rc == E_NOENT ? E_CORRUPT : rc;
	*id = r.base;
	return E_OK;
}

/*
 * A hart without an MMU has no "mmu-type" or says "riscv,none" (the
 * device-tree binding for RISC-V CPUs, riscv/cpus.yaml); sifive_u's E51
 * monitor core is one.
 */
int arch_cpu_usable(const struct fdt *fdt, int node, uint64_t *hwid, const char **why)
{
	const char *mmu = fdt_getprop_str(fdt, node, "mmu-type");
	int rc = cpu_reg(fdt, node, hwid);

	if (rc)
		return rc;
	if (!mmu || strncmp(mmu, "riscv,sv", 8)) {
		*why = "no MMU (mmu-type)";
		return E_NOTSUP;
	}
	return E_OK;
}

int arch_cpu_start(struct cpu *c, const struct fdt *fdt, int node)
{
	(void)fdt;
	(void)node;
	if (!sbi_probe_extension(SBI_EXT_HSM))
		return E_NOTSUP;
	/* The hart starts with the MMU off: physical addresses. */
	struct sbiret r = sbi_call(SBI_EXT_HSM, SBI_HSM_HART_START, (long)c->hwid,
	                           (long)((uintptr_t)riscv_secondary_entry - boot_va_offset),
	                           (long)((uintptr_t)c - boot_va_offset));
	return r.error ? E_IO : E_OK;
}

void arch_cpu_init_secondary(uint64_t kernel_root, uint64_t idle_user_root)
{
	arch_trap_init();
	csr_write(sscratch, 0);
	arch_mmu_switch_kernel_cpu(kernel_root, idle_user_root);
	csr_set(sie, SIE_SSIE);
}

int arch_irq_init(const struct fdt *fdt, void *(*map)(uint64_t pa, uint64_t size))
{
	(void)fdt;
	(void)map;
	if (!sbi_probe_extension(SBI_EXT_IPI))
		return E_NOTSUP;
	csr_set(sie, SIE_SSIE);
	return E_OK;
}

void arch_ipi_send(const struct cpu *c)
{
	__asm__ volatile("fence rw, rw" ::: "memory");
	/* hart_mask_base = the hart id, mask bit 0: one hart, any id. */
	sbi_call(SBI_EXT_IPI, SBI_IPI_SEND, 1, (long)c->hwid, 0);
}

/*
 * WFI wakes when an interrupt enabled in sie is pending, whatever
 * sstatus.SIE says (Privileged Spec 3.3.3), so an IPI or a tick wakes this
 * hart with interrupts masked; opening SIE for a moment lets the trap
 * code take it (riscv_interrupt()).
 */
void arch_cpu_idle(void)
{
	__asm__ volatile("wfi" ::: "memory");
	csr_set(sstatus, SSTATUS_SIE);
	csr_clear(sstatus, SSTATUS_SIE);
}

static uint64_t tick_period;   /* in time-CSR units; 0: no tick */

static uint64_t time_now(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

static void set_timer(uint64_t when)
{
	sbi_call(SBI_EXT_TIME, SBI_TIME_SET_TIMER, (long)when, 0, 0);
}

void arch_timer_start(uint64_t period_us)
{
	tick_period = period_us * (timebase_hz / 1000000);
	if (!sbi_probe_extension(SBI_EXT_TIME))
		return;
	if (!tick_period) {
		csr_clear(sie, SIE_STIE);
		set_timer(UINT64_MAX);
		return;
	}
	set_timer(time_now() + tick_period);
	csr_set(sie, SIE_STIE);
}

/*
 * An interrupt the trap entry took: the tick (re-armed one period on,
 * which also clears STIP) or an IPI (SSIP cleared).  Returns 0 for any
 * other, which the caller reports.
 */
int riscv_interrupt(unsigned long code)
{
	struct cpu *c = this_cpu();

	switch (code) {
	case 5:
		c->ticks++;
		set_timer(time_now() + tick_period);
		return 1;
	case 1:
		c->ipis++;
		csr_clear(sip, SIP_SSIP);
		return 1;
	default:
		return 0;
	}
}

void arch_cpu_relax(void)
{
	__asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010" ::: "memory");   /* Zihintpause: pause */
}

uint64_t arch_time_us(void)
{
	return time_now() / (timebase_hz / 1000000 ? timebase_hz / 1000000 : 1);
}

void arch_clean_to_poc(const void *p, uint64_t size)
{
	/* Harts' caches are coherent whatever their satp says (RVWMO). */
	(void)p;
	(void)size;
	__asm__ volatile("fence rw, rw" ::: "memory");
}
