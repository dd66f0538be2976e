/*
 * riscv64 trap decoding: scause/stval into the arch-neutral trap_info
 * (Privileged Spec v1.12, section 4.1.9, table 4.2 "Supervisor cause
 * register (scause) values after trap").
 */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/csr.h>
#include <arch/trap_frame.h>
#include <arch/trap.h>
#include <arch/user.h>
#include "riscv_internal.h"

void riscv_trap_entry(void);
void riscv_trap(struct trap_frame *tf);

#define SCAUSE_INTERRUPT (1UL << 63)

struct cause {
	const char *desc;
	enum trap_kind kind;
	enum trap_access access;
};

static const struct cause exceptions[] = {
	[0] = { "instruction address misaligned", TRAP_ALIGNMENT, ACCESS_EXEC },
	[1] = { "instruction access fault", TRAP_ACCESS, ACCESS_EXEC },
	[2] = { "illegal instruction", TRAP_ILLEGAL, ACCESS_NONE },
	[3] = { "breakpoint", TRAP_BREAKPOINT, ACCESS_NONE },
	[4] = { "load address misaligned", TRAP_ALIGNMENT, ACCESS_READ },
	[5] = { "load access fault", TRAP_ACCESS, ACCESS_READ },
	[6] = { "store/AMO address misaligned", TRAP_ALIGNMENT, ACCESS_WRITE },
	[7] = { "store/AMO access fault", TRAP_ACCESS, ACCESS_WRITE },
	[8] = { "environment call from U-mode", TRAP_SYSCALL, ACCESS_NONE },
	[9] = { "environment call from S-mode", TRAP_SYSCALL, ACCESS_NONE },
	[12] = { "instruction page fault", TRAP_PAGE_FAULT, ACCESS_EXEC },
	[13] = { "load page fault", TRAP_PAGE_FAULT, ACCESS_READ },
	[15] = { "store/AMO page fault", TRAP_PAGE_FAULT, ACCESS_WRITE },
};

void arch_trap_init(void)
{
	csr_write(stvec, (unsigned long)riscv_trap_entry);
}

void riscv_trap(struct trap_frame *tf)
{
	unsigned long code = tf->scause & ~SCAUSE_INTERRUPT;
	struct trap_info ti = {
		.kind = TRAP_OTHER,
		.access = ACCESS_NONE,
		.desc = "reserved exception",
		.pc = tf->x[0],
		.addr = tf->stval,
		.cause = tf->scause,
	};

	this_cpu()->traps++;
	if ((tf->scause & SCAUSE_INTERRUPT) && riscv_interrupt(code)) {
		if (arch_frame_from_user(tf))
			trap_user_irq(tf);
		return;
	}
	if (tf->scause & SCAUSE_INTERRUPT) {
		ti.kind = TRAP_INTERRUPT;
		ti.desc = code == 1 ? "supervisor software interrupt" :
		          code == 5 ? "supervisor timer interrupt" :
		          code == 9 ? "supervisor external interrupt" : "interrupt";
	} else if (code < sizeof(exceptions) / sizeof(exceptions[0]) &&
	           exceptions[code].desc) {
		ti.kind = exceptions[code].kind;
		ti.access = exceptions[code].access;
		ti.desc = exceptions[code].desc;
	}
	if (arch_frame_from_user(tf))
		trap_user(tf, &ti);
	else
		trap_dispatch(tf, &ti);
}

uintptr_t arch_frame_pc(const struct trap_frame *tf)
{
	return tf->x[0];
}

uintptr_t arch_frame_fp(const struct trap_frame *tf)
{
	return tf->x[8];
}

/* Instructions are 2 bytes when their low two bits are not 0b11 (C ext). */
void arch_frame_skip_insn(struct trap_frame *tf)
{
	uint16_t low = *(const uint16_t *)tf->x[0];

	tf->x[0] += (low & 3) == 3 ? 4 : 2;
}

int arch_frame_from_user(const struct trap_frame *tf)
{
	return !(tf->sstatus & SSTATUS_SPP);
}

void arch_frame_set_pc(struct trap_frame *tf, uintptr_t pc)
{
	tf->x[0] = pc;
}

void arch_frame_return_to_caller(struct trap_frame *tf)
{
	tf->x[0] = tf->x[1];
}

void arch_frame_dump(const struct trap_frame *tf)
{
	static const char *const names[32] = {
		"pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
		"a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
		"s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
	};

	for (int i = 0; i < 32; i += 4)
		printf(" %3s %016lx  %3s %016lx  %3s %016lx  %3s %016lx\n",
		       names[i], (unsigned long)tf->x[i],
		       names[i + 1], (unsigned long)tf->x[i + 1],
		       names[i + 2], (unsigned long)tf->x[i + 2],
		       names[i + 3], (unsigned long)tf->x[i + 3]);
	printf(" sstatus %016lx scause %016lx stval %016lx\n",
	       (unsigned long)tf->sstatus, (unsigned long)tf->scause,
	       (unsigned long)tf->stval);
}

/* ---- user mode (<arch/user.h>) ---------------------------------------------- */

void arch_user_frame_init(struct trap_frame *tf, uintptr_t pc, uintptr_t sp)
{
	unsigned long st = csr_read(sstatus);

	memset(tf, 0, sizeof(*tf));
	tf->x[0] = pc;
	tf->x[2] = sp;
	/* U-mode (SPP 0), interrupts on after sret (SPIE), no user access
	 * from S-mode (SUM 0), FP state initial. */
	st &= ~(SSTATUS_SPP | SSTATUS_SIE | SSTATUS_SUM | SSTATUS_FS);
	tf->sstatus = st | SSTATUS_SPIE | (1UL << 13);
}
