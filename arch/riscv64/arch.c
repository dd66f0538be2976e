/* riscv64: CPU control, power, unwinding. */
#include <arch/arch.h>
#include <arch/csr.h>
#include <arch/sbi.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include <arch/trap.h>
#include "riscv_internal.h"

void arch_fdt_init(const struct fdt *fdt)
{
	riscv_smp_fdt_init(fdt);
	riscv_cache_fdt_init(fdt);
}

void arch_halt(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
	for (;;)
		__asm__ volatile("wfi");
}

/*
 * SBI SRST shutdown; a firmware that cannot power the board off (OpenSBI
 * on the SiFive Unleashed knows only gpio-restart) returns, and then
 * semihosting may end an emulator; otherwise the hart halts.
 */
void arch_poweroff(void)
{
	sbi_system_reset(SBI_RESET_SHUTDOWN, SBI_RESET_REASON_NONE);
	arch_exit_status(0);
	arch_halt();
}

/*
 * Semihosting SYS_EXIT (RISC-V semihosting spec 1.0: the uncompressed
 * slli/ebreak/srai sequence, a0 = operation 0x18, a1 = its parameter
 * block {ADP_Stopped_ApplicationExit, status}) makes QEMU started with
 * -semihosting-config exit with that status (sifive_u, which has no test
 * finisher; the virt board's finisher in kernel/drivers/power.c comes
 * first).  Without semihosting the ebreak is a breakpoint, which the trap
 * catcher absorbs.
 */
void arch_exit_status(int status)
{
	uint64_t block[2] = { 0x20026, (uint64_t)status };

	trap_expect(TRAP_BREAKPOINT);
	__asm__ volatile(".option push\n\t.option norvc\n\t"
	                 "li a0, 0x18\n\tmv a1, %0\n\t.balign 16\n\t"   /* one page */
	                 "slli zero, zero, 0x1f\n\tebreak\n\tsrai zero, zero, 7\n\t"
	                 ".option pop"
	                 :: "r"(block) : "a0", "a1", "memory");
	trap_caught(NULL);
}

void arch_reboot(void)
{
	sbi_system_reset(SBI_RESET_COLD, SBI_RESET_REASON_NONE);
	arch_halt();
}

unsigned long arch_user_access_begin(void)
{
	unsigned long old = csr_read(sstatus) & SSTATUS_SUM;

	csr_set(sstatus, SSTATUS_SUM);
	return old;
}

void arch_user_access_end(unsigned long state)
{
	if (!state)
		csr_clear(sstatus, SSTATUS_SUM);
}

/*
 * instret is readable in S-mode when the firmware sets mcounteren.IR
 * (OpenSBI does); probe by reading it under the trap catcher.
 */
int arch_insn_counter_init(void)
{
	trap_expect(TRAP_ILLEGAL);
	(void)arch_insn_count();
	return trap_caught(NULL) ? E_NOTSUP : E_OK;
}

uint64_t arch_insn_count(void)
{
	uint64_t v;

	__asm__ volatile("rdinstret %0" : "=r"(v));
	return v;
}

/*
 * GCC's riscv frame record sits just below the frame pointer: the return
 * address at fp - 8 and the caller's fp at fp - 16.
 */
int arch_unwind_step(uintptr_t fp, uintptr_t *caller_fp, uintptr_t *ret_pc)
{
	if (!fp || (fp & 7))
		return -1;
	*ret_pc = ((const uintptr_t *)fp)[-1];
	*caller_fp = ((const uintptr_t *)fp)[-2];
	return 0;
}

void arch_test_breakpoint(void)
{
	__asm__ volatile("ebreak");
}

void arch_test_illegal(void)
{
	__asm__ volatile("unimp");
}

void arch_insn_counter_user(int allow)
{
	if (allow)
		csr_set(scounteren, 1UL << 2);    /* IR */
	else
		csr_clear(scounteren, 1UL << 2);
}
