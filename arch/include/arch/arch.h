/*
 * The arch interface: everything kernel/ and mm/ may ask of the CPU
 * architecture.  Nothing outside arch/ touches a CSR, a system register or
 * a page-table bit; what crosses this boundary is arch-neutral.
 *
 * Each arch provides arch/<arch>/include/arch/trap_frame.h with the layout
 * of its saved register frame; generic code treats it as opaque and goes
 * through the accessors below.
 */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include <stdint.h>
#include <stddef.h>

struct trap_frame;

/* Install the trap vectors of this CPU.  Called once, early. */
void arch_trap_init(void);

/* Stop this CPU for good, interrupts masked (no power-off). */
void arch_halt(void) __attribute__((noreturn));

/* Power the machine off through the firmware (SBI SRST / PSCI). */
void arch_poweroff(void) __attribute__((noreturn));

/*
 * Where the platform has a way to end with an exit status (an emulator's
 * semihosting), end with @status now; otherwise return.
 */
void arch_exit_status(int status);

/* Reset the machine through the firmware. */
void arch_reboot(void) __attribute__((noreturn));

/*
 * Tell the arch which device tree the firmware passed, so it can read
 * what it needs from it (the PSCI conduit on aarch64).  Called once after
 * the blob is validated.
 */
struct fdt;
void arch_fdt_init(const struct fdt *fdt);

/*
 * Mask interrupts on this CPU and return the previous state; restore it:
 *	unsigned long arch_irq_save(void);
 *	void arch_irq_restore(unsigned long state);
 *	void arch_irq_enable(void);
 * Inline, from each arch's <arch/irq.h>: every spinlock of the allocators
 * takes them, and a call each way would cost more than the rest of an
 * order-0 page allocation.
 */
#include <arch/irq.h>

/* The program counter and frame pointer saved in a trap frame. */
uintptr_t arch_frame_pc(const struct trap_frame *tf);
uintptr_t arch_frame_fp(const struct trap_frame *tf);

/* Nonzero when the trap came from user mode. */
int arch_frame_from_user(const struct trap_frame *tf);

/* Resume at @pc. */
void arch_frame_set_pc(struct trap_frame *tf, uintptr_t pc);

/* Resume after the trapping instruction instead of re-executing it. */
void arch_frame_skip_insn(struct trap_frame *tf);

/*
 * Resume at the return address (ra / x30): for a fault on fetching the
 * first instruction of a called function, where skipping is impossible.
 */
void arch_frame_return_to_caller(struct trap_frame *tf);

/* Print the saved registers of a trap frame (for trap reports). */
void arch_frame_dump(const struct trap_frame *tf);

/*
 * Where a frame record {caller's frame pointer, return address} lies,
 * relative to the frame pointer: riscv64 keeps it in the two words just
 * below (psABI "Frame Pointer Convention"), aarch64 at it (AAPCS64 6.4.6).
 */
#if ARCH_riscv64
#define ARCH_FRAME_RECORD_OFFSET (-16)
#else
#define ARCH_FRAME_RECORD_OFFSET 0
#endif

/*
 * One step of a frame-pointer unwind: from the frame record at @fp, store
 * the caller's frame pointer and the return address.  Returns 0, or -1
 * when @fp cannot be a frame record (misaligned or null).  The caller
 * checks that @fp lies on a known stack before calling.
 */
int arch_unwind_step(uintptr_t fp, uintptr_t *caller_fp, uintptr_t *ret_pc);

/*
 * Let kernel-mode loads and stores reach user pages (riscv64: sstatus.SUM;
 * aarch64: nothing while PAN is off) until arch_user_access_end() with
 * what begin returned.
 */
unsigned long arch_user_access_begin(void);
void arch_user_access_end(unsigned long state);

/*
 * Retired-instruction counter of this CPU (riscv64: the instret CSR;
 * aarch64: PMU event counter 0 counting INST_RETIRED, event 0x08).  Exact
 * under QEMU -icount.  arch_insn_counter_init() starts it; returns 0, or
 * E_NOTSUP when the counter cannot be read from the kernel.
 */
int arch_insn_counter_init(void);
uint64_t arch_insn_count(void);

/*
 * Let user mode read that counter on this CPU (riscv64: scounteren.IR,
 * so `rdinstret` works in U-mode; aarch64: PMUSERENR_EL0.ER, so EL0 may
 * read PMEVCNTR0_EL0, and CNTKCTL_EL1.EL0VCTEN, so it may read the
 * virtual counter CNTVCT_EL0 as well: the one clock Linux lets user mode
 * read, which make bench-linux counts with on both kernels), or stop
 * letting it.  For user-mode benchmarks only: a counter readable from
 * user mode is a timing source.
 */
void arch_insn_counter_user(int allow);

/*
 * Clear / copy one 4 KiB page (page-aligned) with the fastest routine the
 * CPU offers: aarch64 DC ZVA and LDP/STP pairs, riscv64 unrolled 8-byte
 * stores and loads.  Every page the kernel clears or copies goes here.
 */
void arch_clear_page(void *page);
void arch_copy_page(void *dst, const void *src);

/*
 * Data-cache maintenance by virtual address, to the point of coherency,
 * over every cache line that [@va, @va + @len) touches: clean (write
 * dirty lines back), invalidate (drop lines; their dirty data is lost),
 * or both.  aarch64: DC CVAC / IVAC / CIVAC, then DSB SY.  riscv64: the
 * Zicbom instructions cbo.clean / cbo.inval / cbo.flush when the device
 * tree says the harts have them (riscv,isa or riscv,isa-extensions, with
 * riscv,cbom-block-size), then a fence; without Zicbom there is no
 * portable instruction and the call returns E_NOTSUP having done nothing
 * (such platforms are either coherent for DMA or need their own cache
 * controller's operations).  Returns E_OK or E_NOTSUP.
 */
#define ARCH_CACHE_CLEAN 1
#define ARCH_CACHE_INVAL 2
#define ARCH_CACHE_FLUSH (ARCH_CACHE_CLEAN | ARCH_CACHE_INVAL)
int arch_cache_maint(unsigned op, void *va, size_t len);

/* The data-cache line (block) size maintenance works in; 0 when it cannot. */
unsigned arch_cache_line(void);

/* ---- fibers (kernel/exec/fiber.c) ------------------------------------------- */

/*
 * Lay out a fresh fiber stack whose top (highest address, 16-byte
 * aligned) is @top, so that the first arch_fiber_switch() to the returned
 * stack pointer calls @start(), which never returns.  The two words below
 * @top are the fiber's first frame record, its link (zeroed here: the end
 * of the chain); @start's frame record points at it.  Writes the stack.
 */
uintptr_t arch_fiber_stack_init(uintptr_t top, void (*start)(void));

/*
 * Switch fibers.  Stores the frame record {caller's frame pointer, return
 * address} at @link (two words: the link of the fiber switched to, so its
 * backtraces continue into our caller) and the caller's sp at @link - 1
 * (for debuggers' CFI, which may need it to find the caller's frame); pushes the callee-saved registers
 * of the ABI (riscv64: ra, s0-s11, fs0-fs11; aarch64: x19-x30, d8-d15) on
 * the current stack and stores the stack pointer in *@from_sp; continues
 * the fiber whose saved stack pointer is @to_sp, making @to_limit this
 * CPU's stack limit.  Returns when a switch comes back to *@from_sp.
 *
 * The stack limit protects trap entry: a trap taken with the stack pointer
 * below it saves its frame on this CPU's emergency stack (the one
 * struct cpu's trap_stack_top names, <arch/cpu.h>) instead of the current
 * stack, so an overflow into a guard page does not fault again while
 * saving the frame.  0 means no limit.  Traps nest on the emergency stack,
 * which must lie above every limit (it is in the kernel image, above the
 * kernel vareas).  The limit itself is this_cpu()->stack_limit.
 */
void arch_fiber_switch(uintptr_t *from_sp, uintptr_t to_sp, uintptr_t to_limit,
                       uintptr_t *link);

/*
 * The return address an empty link holds: the end of a fiber's chain.
 * Its CFI says "no caller", so debuggers stop there; backtraces too.
 */
extern const char arch_fiber_origin_ra[];

/* Change this CPU's stack limit (the running fiber's stack grew). */
void arch_set_stack_limit(uintptr_t limit);

/*
 * Call @fn(@arg) on another stack whose top (16-byte aligned) is @top,
 * with @limit as this CPU's stack limit meanwhile, and return its result.
 * Pushes a frame record {caller's frame pointer, return address} at the
 * top of the other stack, so frame-pointer walks go from @fn into the
 * caller, and has DWARF CFI that takes debuggers the same way; then the
 * caller's stack pointer and stack limit, restored after the call.  32
 * bytes of the other stack in all.
 */
intptr_t arch_stack_call(intptr_t (*fn)(void *), void *arg, uintptr_t top, uintptr_t limit);

/*
 * arch_stack_call() on this CPU's system stack (struct cpu's
 * sys_stack_top and sys_stack_limit, <arch/cpu.h>); when sp is on it
 * already, @fn(@arg) is called right there.  With no system stack yet
 * (top 0) it calls kstack_no_system_stack(), which does not return.
 */
intptr_t arch_stack_call_system(intptr_t (*fn)(void *), void *arg);
void kstack_no_system_stack(void) __attribute__((noreturn));

/* This function's own frame pointer (for backtraces from here). */
#define arch_current_fp() ((uintptr_t)__builtin_frame_address(0))

/* Execute a breakpoint / an undefined instruction (for trap tests). */
void arch_test_breakpoint(void);
void arch_test_illegal(void);

#endif
