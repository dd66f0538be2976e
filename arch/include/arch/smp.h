/*
 * Starting CPUs, waking them, and a clock: what kernel/boot/smp*.c asks
 * of the arch.
 *
 * Secondary CPUs start at the arch's secondary entry with the MMU off;
 * the entry turns the MMU on with the kernel table plus the boot identity
 * table (struct cpu's boot_* fields, filled by the boot CPU), jumps to the
 * kernel's link address, points tp / TPIDR_EL1 at the CPU's struct and
 * calls smp_secondary_main(), which the kernel provides.
 */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <stdint.h>
#include <arch/cpu.h>

struct fdt;

/* What the hardware calls a CPU's id, for messages. */
#if ARCH_riscv64
#define ARCH_CPU_ID_NAME "hart"
#else
#define ARCH_CPU_ID_NAME "mpidr"
#endif

/*
 * Whether the device-tree node @node of a CPU (a child of /cpus with
 * device_type "cpu") describes one this kernel can run on; stores its
 * hardware id (riscv64 hart id, aarch64 MPIDR affinity).  Returns E_OK,
 * E_NOTSUP with a reason in *@why (riscv64: the hart has no MMU), or
 * E_CORRUPT for a malformed node.
 */
int arch_cpu_usable(const struct fdt *fdt, int node, uint64_t *hwid, const char **why);

/*
 * Ask the firmware to start CPU @c, whose node is @node, at the arch's
 * secondary entry (riscv64: SBI HSM hart_start; aarch64: PSCI CPU_ON, or
 * the spin-table release address, by the node's enable-method).  @c is
 * filled in (cpu_prepare() and the boot_* fields).  Returns E_OK when the
 * firmware took the request; whether the CPU really runs shows when it
 * sets c->online.  An error otherwise (E_NOTSUP: no way to start it).
 */
int arch_cpu_start(struct cpu *c, const struct fdt *fdt, int node);

/*
 * On a secondary CPU, first thing in C: install the trap vectors, switch
 * the MMU to @kernel_root and @idle_user_root (the empty user table), so
 * the identity half is gone, and set up this CPU's side of the interrupt
 * controller.
 */
void arch_cpu_init_secondary(uint64_t kernel_root, uint64_t idle_user_root);

/*
 * On the boot CPU, once the device tree is known: find the interrupt
 * controller it names (by compatible string: aarch64 "arm,gic-v3";
 * riscv64 needs none for IPIs, which go through SBI) and set up its
 * shared side and this CPU's.  @map maps device registers (the kernel's
 * iomap()).  E_OK, or E_NOTSUP when there is none the kernel knows.
 */
int arch_irq_init(const struct fdt *fdt, void *(*map)(uint64_t pa, uint64_t size));

/*
 * Raise the inter-processor interrupt on CPU @c (riscv64: SBI IPI;
 * aarch64: an SGI through the interrupt controller the device tree
 * names).  Orders every store before it ahead of the interrupt.
 */
void arch_ipi_send(const struct cpu *c);

/*
 * Wait, interrupts masked, until an interrupt (an IPI, a tick) may have
 * come for this CPU (a spurious wake-up is allowed), then let pending
 * ones in for a moment, so the trap code takes and counts them.  The
 * caller re-checks what it waits for.
 */
void arch_cpu_idle(void);

/*
 * Start this CPU's timer interrupt, every @period_us (riscv64: SBI
 * set_timer against the time CSR; aarch64: the EL1 virtual timer, its
 * PPI from the device tree's "arm,armv8-timer" node, through the
 * interrupt controller).  Its interrupts count in this CPU's
 * struct cpu's ticks, IPIs in ipis: the arch's trap code takes both
 * (they never reach trap_dispatch()).  Interrupts are taken only where
 * they are enabled (arch_irq_enable()) and in arch_cpu_idle().  A period
 * of 0 stops it.
 */
void arch_timer_start(uint64_t period_us);

/* A pause for spin loops (tells the CPU, and QEMU, that this one waits). */
void arch_cpu_relax(void);

/* Microseconds from a fixed point in the past (the architected timer). */
uint64_t arch_time_us(void);

/* Make @size bytes at @p visible to a CPU whose MMU and caches are off. */
void arch_clean_to_poc(const void *p, uint64_t size);

#endif
