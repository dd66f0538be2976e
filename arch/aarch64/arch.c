/* aarch64: CPU control, PSCI power, unwinding. */
#include <string.h>
#include <arch/arch.h>
#include <arch/sysreg.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include <arch/trap.h>

/* PSCI v0.2+ function IDs (Arm DEN0022, table 5.1). */
#define PSCI_SYSTEM_OFF   0x84000008
#define PSCI_SYSTEM_RESET 0x84000009

static int psci_use_smc;   /* conduit from /psci "method"; QEMU virt says hvc */
static int psci_present;   /* a /psci node: the Raspberry Pi's firmware has none */

void arch_fdt_init(const struct fdt *fdt)
{
	int node = fdt_path_offset(fdt, "/psci");
	const char *method = node >= 0 ? fdt_getprop_str(fdt, node, "method") : NULL;

	psci_present = method != NULL;
	psci_use_smc = method && !strcmp(method, "smc");
}

long aarch64_psci_call(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3);

/* A PSCI call through the conduit the device tree names (SMCCC: x0-x3). */
long aarch64_psci_call(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long a3)
{
	register unsigned long x0 __asm__("x0") = fn;
	register unsigned long x1 __asm__("x1") = a1;
	register unsigned long x2 __asm__("x2") = a2;
	register unsigned long x3 __asm__("x3") = a3;

	if (psci_use_smc)
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
	else
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
	return (long)x0;
}

/* Without PSCI nothing at EL2 or EL3 would answer the call: skip it. */
static void psci_call(unsigned long fn)
{
	if (psci_present)
		aarch64_psci_call(fn, 0, 0, 0);
}

void arch_halt(void)
{
	__asm__ volatile("msr daifset, #0xf");
	for (;;)
		__asm__ volatile("wfi");
}

/* PSCI SYSTEM_OFF; where there is none, semihosting may end an emulator. */
void arch_poweroff(void)
{
	psci_call(PSCI_SYSTEM_OFF);
	arch_exit_status(0);
	arch_halt();
}

/*
 * Semihosting SYS_EXIT (operation 0x18; Arm "Semihosting for AArch32 and
 * AArch64", 6.5.2) with ADP_Stopped_ApplicationExit and a status makes
 * QEMU exit with that status when started with -semihosting-config.  When
 * semihosting is off, HLT #0xf000 is an undefined instruction: that trap
 * is caught and the caller falls back to PSCI.
 */
void arch_exit_status(int status)
{
	uint64_t block[2] = { 0x20026, (uint64_t)status };

	trap_expect(TRAP_ILLEGAL);
	__asm__ volatile("mov x0, #0x18\n\tmov x1, %0\n\thlt #0xf000"
	                 :: "r"(block) : "x0", "x1", "memory");
	trap_caught(NULL);
}

void arch_reboot(void)
{
	psci_call(PSCI_SYSTEM_RESET);
	arch_halt();
}

/* PAN is not enabled, so EL1 reaches EL0 pages as it is. */
unsigned long arch_user_access_begin(void)
{
	return 0;
}

void arch_user_access_end(unsigned long state)
{
	(void)state;
}

/*
 * PMU (Arm ARM D11): event counter 0 counts INST_RETIRED (0x08) at EL1
 * and EL0 (PMEVTYPER0_EL0 filter bits clear), enabled through PMCR_EL0.E
 * and PMCNTENSET_EL0.  PMCR_EL0.N says how many event counters exist.
 */
int arch_insn_counter_init(void)
{
	uint64_t dfr = sysreg_read(id_aa64dfr0_el1);

	if (((dfr >> 8) & 0xf) == 0 || ((dfr >> 8) & 0xf) == 0xf)
		return E_NOTSUP;   /* no PMUv3 */
	if (!((sysreg_read(pmcr_el0) >> 11) & 0x1f))
		return E_NOTSUP;   /* no event counter */
	sysreg_write(pmselr_el0, 0);
	isb();
	sysreg_write(pmxevtyper_el0, 0x08);
	sysreg_write(pmcntenset_el0, 1);
	sysreg_write(pmcr_el0, sysreg_read(pmcr_el0) | 1);
	isb();
	return E_OK;
}

uint64_t arch_insn_count(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, pmevcntr0_el0" : "=r"(v) :: "memory");
	return v;
}

/* AAPCS64 frame record: {caller's x29, x30} at the frame pointer. */
int arch_unwind_step(uintptr_t fp, uintptr_t *caller_fp, uintptr_t *ret_pc)
{
	if (!fp || (fp & 15))
		return -1;
	*caller_fp = ((const uintptr_t *)fp)[0];
	*ret_pc = ((const uintptr_t *)fp)[1];
	return 0;
}

void arch_test_breakpoint(void)
{
	__asm__ volatile("brk #0x1");
}

void arch_test_illegal(void)
{
	__asm__ volatile("udf #0");
}

void arch_insn_counter_user(int allow)
{
	unsigned long k = sysreg_read(cntkctl_el1) & ~(1UL << 1);

	sysreg_write(pmuserenr_el0, allow ? 1UL << 3 : 0);   /* ER: event counters readable */
	sysreg_write(cntkctl_el1, k | (allow ? 1UL << 1 : 0)); /* EL0VCTEN: CNTVCT_EL0 too */
	isb();
}
