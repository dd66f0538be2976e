/*
 * Per-CPU data: one struct cpu per CPU, in cpus[], numbered from 0 (the
 * boot CPU) in the order the CPUs were started.  CPU numbers are the
 * kernel's own; the hardware's ids (riscv64 hart ids, aarch64 MPIDR
 * affinities) are in ->hwid and need not be dense or start at 0.
 *
 * this_cpu() finds the running CPU's struct in two instructions or so:
 * riscv64 from tp (which points at the struct's TLS block, where
 * picolibc keeps errno), aarch64 from TPIDR_EL1 (which points at the
 * struct), the host's fake arch from a thread-local pointer.  The first
 * fields are read by trap entry in assembly, at the offsets below.
 *
 * A CPU writes only its own struct, except where a field says otherwise;
 * a field read by other CPUs says so, and how it is ordered.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#define CPU_MAX        8          /* CPUs the kernel can run on */
#define CPU_TLS_SIZE   64         /* picolibc TLS per CPU (the link checks it fits) */

/* Offsets for assembly (checked against the struct below). */
#define CPU_OFF_STACK_LIMIT    0
#define CPU_OFF_TRAP_STACK_TOP 8
#define CPU_OFF_SCRATCH        16
#define CPU_OFF_BOOT_SP        32
#define CPU_OFF_BOOT_KROOT     40
#define CPU_OFF_BOOT_IROOT     48
#define CPU_OFF_BOOT_VOFF      56
#define CPU_OFF_HWID           64
#define CPU_OFF_FP_LIVE        72
#define CPU_OFF_KERNEL_TP      80
#define CPU_OFF_SYS_STACK_TOP  88
#define CPU_OFF_SYS_STACK_LIMIT 96
#define CPU_OFF_TLS            128
#define CPU_STRUCT_SIZE        512   /* sizeof(struct cpu), for assembly that walks cpus[] */

#define CPU_SYS_STACK_SIZE (16 << 10)   /* each CPU's system stack (kernel/exec/kstack.c) */

#define CPU_TRAP_STACK_SHIFT 14
#define CPU_TRAP_STACK_SIZE (1 << CPU_TRAP_STACK_SHIFT)  /* each CPU's emergency trap stack */

#ifndef __ASSEMBLY__
#include <stdint.h>

struct fiber;
struct aspace;
struct smp_call;
struct trap_frame;
struct proc;

struct cpu {
	/* Trap entry (assembly): keep at the offsets above. */
	uintptr_t stack_limit;      /* the running stack's limit (aarch64; riscv64 keeps it in sscratch) */
	uintptr_t trap_stack_top;   /* this CPU's emergency trap stack */
	uintptr_t scratch[2];       /* trap entry's spill slots (aarch64) */
	/* For the secondary entry (assembly, MMU off): written by the boot CPU. */
	uintptr_t boot_sp;          /* physical top of its boot stack */
	uint64_t boot_kroot;        /* physical kernel root table */
	uint64_t boot_iroot;        /* physical boot identity table */
	uintptr_t boot_voff;        /* link address - load address */
	uint64_t hwid;              /* hart id (riscv64), MPIDR_EL1 affinity (aarch64) */
	/* The user frame whose FP/SIMD state is live in this CPU's FP
	 * registers (the running process thread's, between its return to
	 * user mode and the next fiber switch or arch_fp_flush()); NULL when
	 * the registers hold nobody's user state.  Trap entry saves no FP
	 * register: see "FP/SIMD state" in docs/architecture.md. */
	struct trap_frame *fp_live;
	/* aarch64: the kernel's TPIDR_EL0 (picolibc's TLS pointer, set at
	 * boot), put back by trap entry from EL0, which saves the user's. */
	uintptr_t kernel_tp;
	/* Calls on the system stack (arch_stack_call_system(), assembly). */
	uintptr_t sys_stack_top;    /* top of its CPU_SYS_STACK_SIZE bytes; 0: none yet */
	uintptr_t sys_stack_limit;  /* its stack limit for trap entry */

	_Alignas(64) char tls[CPU_TLS_SIZE];   /* at CPU_OFF_TLS */

	unsigned num;               /* this CPU's number: its index in cpus[] */
	int online;                 /* set by the CPU itself once it runs kernel C code (release) */
	struct smp_call *call;      /* work for this CPU (kernel/boot/smp.c); any CPU writes it */

	struct fiber *fiber;        /* the running fiber (kernel/exec/fiber.c) */
	struct aspace *aspace;      /* the user aspace in this CPU's MMU (mm/aspace.c) */
	struct proc *proc;          /* the last process to return to user mode here (kernel/proc) */

	/* Statistics, written by this CPU only. */
	uint64_t ticks;             /* timer interrupts */
	uint64_t ipis;              /* inter-processor interrupts received */
	uint64_t traps;             /* traps taken, system calls aside (their fast path counts nothing) */
} __attribute__((aligned(CPU_STRUCT_SIZE)));

extern struct cpu cpus[CPU_MAX];

/* The assembly's offsets. */
_Static_assert(__builtin_offsetof(struct cpu, stack_limit) == CPU_OFF_STACK_LIMIT, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, trap_stack_top) == CPU_OFF_TRAP_STACK_TOP, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, scratch) == CPU_OFF_SCRATCH, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, boot_sp) == CPU_OFF_BOOT_SP, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, hwid) == CPU_OFF_HWID, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, kernel_tp) == CPU_OFF_KERNEL_TP, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, fp_live) == CPU_OFF_FP_LIVE, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, tls) == CPU_OFF_TLS, "cpu layout");
_Static_assert(sizeof(struct cpu) == CPU_STRUCT_SIZE, "cpu layout");

/* A set of CPUs by number: bit n is cpus[n]. */
typedef uint64_t cpumask_t;
#define CPUS_ALL ((cpumask_t)-1)
#define CPU_BIT(n) ((cpumask_t)1 << (n))

_Static_assert(CPU_MAX <= 64, "a cpumask_t holds every CPU");

/* CPUs started so far (the boot CPU counts); they are cpus[0 .. cpu_count - 1]. */
extern unsigned cpu_count;

#include <arch/this_cpu.h>     /* static inline struct cpu *this_cpu(void) */

/* This CPU's number. */
static inline unsigned cpu_num(void)
{
	return this_cpu()->num;
}

/* The CPUs online now (each sets its bit as it comes up; release). */
extern cpumask_t cpu_online_mask;

/* This CPU alone, as a set. */
static inline cpumask_t cpu_self_mask(void)
{
	return CPU_BIT(cpu_num());
}

/* The online CPUs of @set other than this one. */
static inline cpumask_t cpu_others(cpumask_t set)
{
	return set & ~cpu_self_mask() & __atomic_load_n(&cpu_online_mask, __ATOMIC_ACQUIRE);
}

#endif
#endif
