/*
 * aarch64 exception decoding: ESR_EL1 into the arch-neutral trap_info
 * (Arm ARM D19.2.37 "ESR_EL1", exception classes in table D19-6; data and
 * instruction abort ISS in D19.2.37.x: DFSC/IFSC, WnR).
 */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/trap_frame.h>
#include <arch/trap.h>
#include <arch/user.h>

#include <arch/sysreg.h>
#include "irqchip.h"

void aarch64_trap(struct trap_frame *tf, unsigned long kind);
extern char aarch64_vectors[];

void arch_trap_init(void)
{
	sysreg_write(vbar_el1, (uintptr_t)aarch64_vectors);
	isb();
}

#define ESR_EC(esr)   (((esr) >> 26) & 0x3f)
#define ESR_WNR       (1UL << 6)
#define ESR_FSC(esr)  ((esr) & 0x3f)

enum {
	EC_UNKNOWN = 0x00, EC_SVC64 = 0x15, EC_IABT_LOW = 0x20, EC_IABT_CUR = 0x21,
	EC_PC_ALIGN = 0x22, EC_DABT_LOW = 0x24, EC_DABT_CUR = 0x25,
	EC_SP_ALIGN = 0x26, EC_SERROR = 0x2f, EC_BRK64 = 0x3c,
};

/* Fault status codes common to DFSC and IFSC. */
static const char *fsc_str(unsigned fsc)
{
	switch (fsc & 0x3c) {
	case 0x00: return "address size fault";
	case 0x04: return "translation fault";
	case 0x08: return "access flag fault";
	case 0x0c: return "permission fault";
	}
	if (fsc == 0x21)
		return "alignment fault";
	if (fsc == 0x10)
		return "synchronous external abort";
	return "abort";
}

static void decode_abort(unsigned long esr, struct trap_info *ti, int exec)
{
	unsigned fsc = ESR_FSC(esr);

	ti->access = exec ? ACCESS_EXEC : (esr & ESR_WNR) ? ACCESS_WRITE : ACCESS_READ;
	ti->desc = fsc_str(fsc);
	switch (fsc & 0x3c) {
	case 0x04: case 0x08: case 0x0c:
		ti->kind = TRAP_PAGE_FAULT;
		break;
	default:
		ti->kind = fsc == 0x21 ? TRAP_ALIGNMENT : TRAP_ACCESS;
	}
}

void aarch64_trap(struct trap_frame *tf, unsigned long kind)
{
	unsigned long esr = tf->esr;
	struct trap_info ti = {
		.kind = TRAP_OTHER,
		.access = ACCESS_NONE,
		.desc = "unexpected exception class",
		.pc = tf->elr,
		.addr = 0,
		.cause = esr,
	};

	this_cpu()->traps++;
	if ((kind & 0xf) == 1 && aarch64_irq()) {
		if (kind == 0x21)
			trap_user_irq(tf);
		return;
	}
	if ((kind & 0xf) == 1 || (kind & 0xf) == 2) {
		ti.kind = TRAP_INTERRUPT;
		ti.desc = (kind & 0xf) == 1 ? "IRQ" : "FIQ";
	} else if ((kind & 0xf) == 3) {
		ti.desc = "SError";
	} else if (kind != 0x00 && kind != 0x20) {
		ti.desc = kind == 0x10 ? "exception on SP_EL0" : "exception from a lower EL";
	} else {
		switch (ESR_EC(esr)) {
		case EC_UNKNOWN:
			ti.kind = TRAP_ILLEGAL;
			ti.desc = "undefined instruction";
			break;
		case EC_BRK64:
			ti.kind = TRAP_BREAKPOINT;
			ti.desc = "breakpoint (BRK)";
			break;
		case EC_SVC64:
			ti.kind = TRAP_SYSCALL;
			ti.desc = "SVC";
			break;
		case EC_PC_ALIGN:
			ti.kind = TRAP_ALIGNMENT;
			ti.access = ACCESS_EXEC;
			ti.desc = "PC alignment fault";
			ti.addr = tf->far;
			break;
		case EC_SP_ALIGN:
			ti.kind = TRAP_ALIGNMENT;
			ti.desc = "SP alignment fault";
			break;
		case EC_IABT_CUR: case EC_IABT_LOW:
			decode_abort(esr, &ti, 1);
			ti.addr = tf->far;
			break;
		case EC_DABT_CUR: case EC_DABT_LOW:
			decode_abort(esr, &ti, 0);
			ti.addr = tf->far;
			break;
		}
	}
	if (kind & 0x20)   /* from EL0 */
		trap_user(tf, &ti);
	else
		trap_dispatch(tf, &ti);
}

uintptr_t arch_frame_pc(const struct trap_frame *tf)
{
	return tf->elr;
}

uintptr_t arch_frame_fp(const struct trap_frame *tf)
{
	return tf->x[29];
}

/* A64 instructions are all 4 bytes. */
void arch_frame_skip_insn(struct trap_frame *tf)
{
	tf->elr += 4;
}

/* SPSR_EL1.M[3:0] is 0 for EL0t. */
int arch_frame_from_user(const struct trap_frame *tf)
{
	return (tf->spsr & 0xf) == 0;
}

void arch_frame_set_pc(struct trap_frame *tf, uintptr_t pc)
{
	tf->elr = pc;
}

void arch_frame_return_to_caller(struct trap_frame *tf)
{
	tf->elr = tf->x[30];
}

void arch_frame_dump(const struct trap_frame *tf)
{
	for (int i = 0; i < 30; i += 3)
		printf(" x%-2d %016lx  x%-2d %016lx  x%-2d %016lx\n",
		       i, (unsigned long)tf->x[i], i + 1, (unsigned long)tf->x[i + 1],
		       i + 2, (unsigned long)tf->x[i + 2]);
	printf(" x30 %016lx  sp  %016lx  elr %016lx\n",
	       (unsigned long)tf->x[30], (unsigned long)tf->sp, (unsigned long)tf->elr);
	printf(" spsr %08lx esr %08lx (EC 0x%02lx) far %016lx\n",
	       (unsigned long)tf->spsr, (unsigned long)tf->esr,
	       (unsigned long)ESR_EC(tf->esr), (unsigned long)tf->far);
}

/* ---- user mode (<arch/user.h>) ---------------------------------------------- */

void arch_user_frame_init(struct trap_frame *tf, uintptr_t pc, uintptr_t sp)
{
	memset(tf, 0, sizeof(*tf));
	tf->elr = pc;
	tf->sp = sp;
	tf->spsr = 0;   /* EL0t, DAIF clear: interrupts on */
	tf->fpcr = 0;   /* as Linux starts a program: not the last program's modes */
}
