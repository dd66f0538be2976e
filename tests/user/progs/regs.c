/*
 * Registers belong to the program.  Every FP/SIMD one (aarch64
 * q0-q31 whole, FPCR and FPSR; riscv64 f0-f31 and fcsr) keeps the value
 * the program put there across system calls, sched_yield, page faults
 * (a zero-fill write and a read of untouched pages) and preemption by a
 * spinning sibling that holds other values in the same registers.  The
 * kernel saves none of them on a trap (they stay live until its fiber
 * switches), so this is what proves the switch saves and restores them.
 * The registers are loaded, the operation runs and they are stored back
 * in one asm statement, so the compiler never touches them in between.
 *
 * The integer registers too: a system call changes a0 / x0 only, on
 * both sides of a clone (the kernel's system-call path restores only
 * what its C code may change and relies on the calling convention for
 * the rest, saving the callee-saved registers into the frame for clone).
 *
 * "regs yield N": only sched_yield N times with a pattern loaded; exit
 * status 0 when it survived, 1 when not (the kernel's proc.fp test runs
 * it beside a kernel fiber that calls through an FFI trampoline with
 * double arguments).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utest.h>

enum op { OP_SYSCALL, OP_FAULT, OP_SPIN, OP_YIELD };

/* 32 registers of 16 bytes (riscv64 uses the low 8), then the control
 * registers: FPCR and FPSR, or fcsr. */
struct fpregs {
	uint64_t r[32][2];
	uint64_t ctl[2];
};

#if defined(__aarch64__)
#define LOAD_ALL \
	"ldp q0, q1, [%[in], #0]\n" \
	"ldp q2, q3, [%[in], #32]\n" \
	"ldp q4, q5, [%[in], #64]\n" \
	"ldp q6, q7, [%[in], #96]\n" \
	"ldp q8, q9, [%[in], #128]\n" \
	"ldp q10, q11, [%[in], #160]\n" \
	"ldp q12, q13, [%[in], #192]\n" \
	"ldp q14, q15, [%[in], #224]\n" \
	"ldp q16, q17, [%[in], #256]\n" \
	"ldp q18, q19, [%[in], #288]\n" \
	"ldp q20, q21, [%[in], #320]\n" \
	"ldp q22, q23, [%[in], #352]\n" \
	"ldp q24, q25, [%[in], #384]\n" \
	"ldp q26, q27, [%[in], #416]\n" \
	"ldp q28, q29, [%[in], #448]\n" \
	"ldp q30, q31, [%[in], #480]\n" \
	"add x9, %[in], #512\n" \
	"ldp x9, x10, [x9]\n" \
	"msr fpcr, x9\n" \
	"msr fpsr, x10\n"
#define STORE_ALL \
	"stp q0, q1, [%[out], #0]\n" \
	"stp q2, q3, [%[out], #32]\n" \
	"stp q4, q5, [%[out], #64]\n" \
	"stp q6, q7, [%[out], #96]\n" \
	"stp q8, q9, [%[out], #128]\n" \
	"stp q10, q11, [%[out], #160]\n" \
	"stp q12, q13, [%[out], #192]\n" \
	"stp q14, q15, [%[out], #224]\n" \
	"stp q16, q17, [%[out], #256]\n" \
	"stp q18, q19, [%[out], #288]\n" \
	"stp q20, q21, [%[out], #320]\n" \
	"stp q22, q23, [%[out], #352]\n" \
	"stp q24, q25, [%[out], #384]\n" \
	"stp q26, q27, [%[out], #416]\n" \
	"stp q28, q29, [%[out], #448]\n" \
	"stp q30, q31, [%[out], #480]\n" \
	"mrs x9, fpcr\n" \
	"mrs x10, fpsr\n" \
	"add x0, %[out], #512\n" \
	"stp x9, x10, [x0]\n" \
/* op in %[op]; a = nr / store address / own counter / count, b = read
 * address / other counter, k = spin target. */
#define BODY \
	"cmp %[op], #1\n" \
	"b.eq 2f\n" \
	"cmp %[op], #2\n" \
	"b.eq 3f\n" \
	"cmp %[op], #3\n" \
	"b.eq 5f\n" \
	"mov x8, %[a]\n" \
	"svc #0\n" \
	"b 9f\n" \
	"2: mov w9, #1\n" \
	"strb w9, [%[a]]\n" \
	"ldrb w9, [%[b]]\n" \
	"b 9f\n" \
	"3: ldr x9, [%[a]]\n" \
	"add x9, x9, #1\n" \
	"str x9, [%[a]]\n" \
	"ldr x10, [%[b]]\n" \
	"cmp x9, %[k]\n" \
	"b.lo 3b\n" \
	"cmp x10, %[k]\n" \
	"b.lo 3b\n" \
	"b 9f\n" \
	"5: mov x9, %[a]\n" \
	"6: cbz x9, 9f\n" \
	"mov x8, #124\n" \
	"svc #0\n" \
	"sub x9, x9, #1\n" \
	"b 6b\n" \
	"9:\n"
#define CLOBBERS "x0", "x8", "x9", "x10", "memory", "cc", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31"
#elif defined(__riscv)
#define LOAD_ALL \
	"fld f0, 0(%[in])\n" \
	"fld f1, 16(%[in])\n" \
	"fld f2, 32(%[in])\n" \
	"fld f3, 48(%[in])\n" \
	"fld f4, 64(%[in])\n" \
	"fld f5, 80(%[in])\n" \
	"fld f6, 96(%[in])\n" \
	"fld f7, 112(%[in])\n" \
	"fld f8, 128(%[in])\n" \
	"fld f9, 144(%[in])\n" \
	"fld f10, 160(%[in])\n" \
	"fld f11, 176(%[in])\n" \
	"fld f12, 192(%[in])\n" \
	"fld f13, 208(%[in])\n" \
	"fld f14, 224(%[in])\n" \
	"fld f15, 240(%[in])\n" \
	"fld f16, 256(%[in])\n" \
	"fld f17, 272(%[in])\n" \
	"fld f18, 288(%[in])\n" \
	"fld f19, 304(%[in])\n" \
	"fld f20, 320(%[in])\n" \
	"fld f21, 336(%[in])\n" \
	"fld f22, 352(%[in])\n" \
	"fld f23, 368(%[in])\n" \
	"fld f24, 384(%[in])\n" \
	"fld f25, 400(%[in])\n" \
	"fld f26, 416(%[in])\n" \
	"fld f27, 432(%[in])\n" \
	"fld f28, 448(%[in])\n" \
	"fld f29, 464(%[in])\n" \
	"fld f30, 480(%[in])\n" \
	"fld f31, 496(%[in])\n" \
	"ld t0, 512(%[in])\n" \
	"fscsr t0\n"
#define STORE_ALL \
	"fsd f0, 0(%[out])\n" \
	"fsd f1, 16(%[out])\n" \
	"fsd f2, 32(%[out])\n" \
	"fsd f3, 48(%[out])\n" \
	"fsd f4, 64(%[out])\n" \
	"fsd f5, 80(%[out])\n" \
	"fsd f6, 96(%[out])\n" \
	"fsd f7, 112(%[out])\n" \
	"fsd f8, 128(%[out])\n" \
	"fsd f9, 144(%[out])\n" \
	"fsd f10, 160(%[out])\n" \
	"fsd f11, 176(%[out])\n" \
	"fsd f12, 192(%[out])\n" \
	"fsd f13, 208(%[out])\n" \
	"fsd f14, 224(%[out])\n" \
	"fsd f15, 240(%[out])\n" \
	"fsd f16, 256(%[out])\n" \
	"fsd f17, 272(%[out])\n" \
	"fsd f18, 288(%[out])\n" \
	"fsd f19, 304(%[out])\n" \
	"fsd f20, 320(%[out])\n" \
	"fsd f21, 336(%[out])\n" \
	"fsd f22, 352(%[out])\n" \
	"fsd f23, 368(%[out])\n" \
	"fsd f24, 384(%[out])\n" \
	"fsd f25, 400(%[out])\n" \
	"fsd f26, 416(%[out])\n" \
	"fsd f27, 432(%[out])\n" \
	"fsd f28, 448(%[out])\n" \
	"fsd f29, 464(%[out])\n" \
	"fsd f30, 480(%[out])\n" \
	"fsd f31, 496(%[out])\n" \
	"frcsr t0\n" \
	"sd t0, 512(%[out])\n"
#define BODY \
	"li t0, 1\n" \
	"beq %[op], t0, 2f\n" \
	"li t0, 2\n" \
	"beq %[op], t0, 3f\n" \
	"li t0, 3\n" \
	"beq %[op], t0, 5f\n" \
	"mv a7, %[a]\n" \
	"ecall\n" \
	"j 9f\n" \
	"2: li t0, 1\n" \
	"sb t0, 0(%[a])\n" \
	"lb t0, 0(%[b])\n" \
	"j 9f\n" \
	"3: ld t0, 0(%[a])\n" \
	"addi t0, t0, 1\n" \
	"sd t0, 0(%[a])\n" \
	"ld t1, 0(%[b])\n" \
	"bltu t0, %[k], 3b\n" \
	"bltu t1, %[k], 3b\n" \
	"j 9f\n" \
	"5: mv t1, %[a]\n" \
	"6: beqz t1, 9f\n" \
	"li a7, 124\n" \
	"ecall\n" \
	"addi t1, t1, -1\n" \
	"j 6b\n" \
	"9:\n"
#define CLOBBERS "a0", "a7", "t0", "t1", "memory", "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "f11", "f12", "f13", "f14", "f15", "f16", "f17", "f18", "f19", "f20", "f21", "f22", "f23", "f24", "f25", "f26", "f27", "f28", "f29", "f30", "f31"
#else
#error "regs: unknown arch"
#endif

/* Load @in, run @op, store into @out. */
static void run(const struct fpregs *in, struct fpregs *out, enum op op, unsigned long a,
                unsigned long b, unsigned long k)
{
	__asm__ volatile(LOAD_ALL BODY STORE_ALL
	                 :
	                 : [in] "r"(in), [out] "r"(out), [op] "r"((unsigned long)op), [a] "r"(a),
	                   [b] "r"(b), [k] "r"(k)
	                 : CLOBBERS);
}

/* ---- integer registers ---------------------------------------------------- */

/* in[i] goes into register i (the first argument register last: it
 * carries the buffer until then), out[i] is register i after the call. */
struct intregs {
	uint64_t in[32];
	uint64_t out[32];
};

#if defined(__aarch64__)
#define ARG0 "x0"
#define R_ARG0 0
#define R_NR 8
#define INT_ASM \
	"stp x29, x30, [sp, #-32]!\n" \
	"str x0, [sp, #16]\n" \
	"ldp x1, x2, [x0, #8]\n" \
	"ldp x3, x4, [x0, #24]\n" \
	"ldp x5, x6, [x0, #40]\n" \
	"ldp x9, x10, [x0, #72]\n" \
	"ldp x11, x12, [x0, #88]\n" \
	"ldp x13, x14, [x0, #104]\n" \
	"ldp x15, x16, [x0, #120]\n" \
	"ldp x17, x18, [x0, #136]\n" \
	"ldp x19, x20, [x0, #152]\n" \
	"ldp x21, x22, [x0, #168]\n" \
	"ldp x23, x24, [x0, #184]\n" \
	"ldp x25, x26, [x0, #200]\n" \
	"ldp x27, x28, [x0, #216]\n" \
	"ldp x29, x30, [x0, #232]\n" \
	"ldr x7, [x0, #56]\n" \
	"ldr x8, [x0, #64]\n" \
	"ldr x0, [x0]\n" \
	"svc #0\n" \
	"str x1, [sp, #24]\n" \
	"ldr x1, [sp, #16]\n" \
	"str x0, [x1, #256]\n" \
	"str x2, [x1, #272]\n" \
	"str x8, [x1, #320]\n" \
	"stp x3, x4, [x1, #280]\n" \
	"stp x5, x6, [x1, #296]\n" \
	"stp x9, x10, [x1, #328]\n" \
	"stp x11, x12, [x1, #344]\n" \
	"stp x13, x14, [x1, #360]\n" \
	"stp x15, x16, [x1, #376]\n" \
	"stp x17, x18, [x1, #392]\n" \
	"stp x19, x20, [x1, #408]\n" \
	"stp x21, x22, [x1, #424]\n" \
	"stp x23, x24, [x1, #440]\n" \
	"stp x25, x26, [x1, #456]\n" \
	"stp x27, x28, [x1, #472]\n" \
	"stp x29, x30, [x1, #488]\n" \
	"str x7, [x1, #312]\n" \
	"ldr x2, [sp, #24]\n" \
	"str x2, [x1, #264]\n" \
	"ldp x29, x30, [sp], #32\n"
#define INT_CLOBBERS "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "memory"
#else
#define ARG0 "a0"
#define R_ARG0 10
#define R_NR 17
#define INT_ASM \
	"addi sp, sp, -48\n" \
	"sd ra, 0(sp)\n" "sd gp, 8(sp)\n" "sd tp, 16(sp)\n" "sd s0, 24(sp)\n" "sd a0, 32(sp)\n" \
	"ld x1, 8(a0)\n" \
	"ld x3, 24(a0)\n" \
	"ld x4, 32(a0)\n" \
	"ld x5, 40(a0)\n" \
	"ld x6, 48(a0)\n" \
	"ld x7, 56(a0)\n" \
	"ld x8, 64(a0)\n" \
	"ld x9, 72(a0)\n" \
	"ld x11, 88(a0)\n" \
	"ld x12, 96(a0)\n" \
	"ld x13, 104(a0)\n" \
	"ld x14, 112(a0)\n" \
	"ld x15, 120(a0)\n" \
	"ld x16, 128(a0)\n" \
	"ld x17, 136(a0)\n" \
	"ld x18, 144(a0)\n" \
	"ld x19, 152(a0)\n" \
	"ld x20, 160(a0)\n" \
	"ld x21, 168(a0)\n" \
	"ld x22, 176(a0)\n" \
	"ld x23, 184(a0)\n" \
	"ld x24, 192(a0)\n" \
	"ld x25, 200(a0)\n" \
	"ld x26, 208(a0)\n" \
	"ld x27, 216(a0)\n" \
	"ld x28, 224(a0)\n" \
	"ld x29, 232(a0)\n" \
	"ld x30, 240(a0)\n" \
	"ld x31, 248(a0)\n" \
	"ld a0, 80(a0)\n" \
	"ecall\n" \
	"sd x1, 40(sp)\n" \
	"ld x1, 32(sp)\n" \
	"sd x10, 336(x1)\n" \
	"sd x3, 280(x1)\n" \
	"sd x4, 288(x1)\n" \
	"sd x5, 296(x1)\n" \
	"sd x6, 304(x1)\n" \
	"sd x7, 312(x1)\n" \
	"sd x8, 320(x1)\n" \
	"sd x9, 328(x1)\n" \
	"sd x11, 344(x1)\n" \
	"sd x12, 352(x1)\n" \
	"sd x13, 360(x1)\n" \
	"sd x14, 368(x1)\n" \
	"sd x15, 376(x1)\n" \
	"sd x16, 384(x1)\n" \
	"sd x17, 392(x1)\n" \
	"sd x18, 400(x1)\n" \
	"sd x19, 408(x1)\n" \
	"sd x20, 416(x1)\n" \
	"sd x21, 424(x1)\n" \
	"sd x22, 432(x1)\n" \
	"sd x23, 440(x1)\n" \
	"sd x24, 448(x1)\n" \
	"sd x25, 456(x1)\n" \
	"sd x26, 464(x1)\n" \
	"sd x27, 472(x1)\n" \
	"sd x28, 480(x1)\n" \
	"sd x29, 488(x1)\n" \
	"sd x30, 496(x1)\n" \
	"sd x31, 504(x1)\n" \
	"ld x3, 40(sp)\n" "sd x3, 264(x1)\n" \
	"ld ra, 0(sp)\n" "ld gp, 8(sp)\n" "ld tp, 16(sp)\n" "ld s0, 24(sp)\n" \
	"addi sp, sp, 48\n"
#define INT_CLOBBERS "x5", "x6", "x7", "x9", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30", "x31", "memory"
#endif

static void int_call(struct intregs *r)
{
	register struct intregs *p __asm__(ARG0) = r;

	__asm__ volatile(INT_ASM : "+r"(p) : : INT_CLOBBERS);
}

/* The registers a call must keep: all but sp and the result. */
static int int_kept(const struct intregs *r)
{
	for (unsigned i = 1; i < 32; i++) {
#if defined(__riscv)
		if (i == 2 || i == R_ARG0)
			continue;
#else
		if (i == 31)
			continue;
#endif
		if (r->out[i] != r->in[i])
			return 0;
	}
	return 1;
}

static void int_pattern(struct intregs *r, unsigned seed, long nr, long arg0)
{
	for (unsigned i = 0; i < 32; i++)
		r->in[i] = 0xa5a5000000000000ull | (uint64_t)seed << 32 | (0x100u + i);
	r->in[R_NR] = nr;
	r->in[R_ARG0] = arg0;
}

static void int_registers(void)
{
	struct intregs r;

	int_pattern(&r, 1, NR_getpid, 0);
	int_call(&r);
	ut_eq("getpid: integer registers kept", int_kept(&r), 1);
	ut_eq("getpid: result in the first argument register", (long)r.out[R_ARG0] > 0, 1);
	int_pattern(&r, 2, NR_sched_yield, 0);
	int_call(&r);
	ut_eq("sched_yield: integer registers kept", int_kept(&r), 1);
	int_pattern(&r, 3, 220 /* clone */, U_SIGCHLD);
	r.in[R_ARG0 + 1] = 0;   /* no new stack */
	int_call(&r);
	if (r.out[R_ARG0] == 0)
		sys_exit_group(int_kept(&r) ? 0 : 1);
	ut_eq("clone, parent: integer registers kept", int_kept(&r), 1);
	ut_status("clone, child: integer registers kept", ut_wait((long)r.out[R_ARG0]), ut_exited(0));
}

/* ---- FP registers ------------------------------------------------------- */

/* A pattern of its own per @seed: every register and both halves differ. */
static void pattern(struct fpregs *p, unsigned seed)
{
	for (unsigned i = 0; i < 32; i++) {
		p->r[i][0] = 0x0101010101010101ull * (seed * 64 + 2 * i + 1) ^ 0x5a5a000000000000ull;
		p->r[i][1] = 0x0101010101010101ull * (seed * 64 + 2 * i + 2) ^ 0x00005a5a00000000ull;
	}
#if defined(__aarch64__)
	/* FPCR: a rounding mode (RMode, bits 23:22) and flush-to-zero (bit
	 * 24) per seed; FPSR: cumulative flags (IOC, DZC, OFC, UFC, IXC). */
	p->ctl[0] = ((uint64_t)(seed % 4) << 22) | ((uint64_t)(seed & 1) << 24);
	p->ctl[1] = (seed * 0x5u) & 0x1f;
#else
	/* fcsr: a rounding mode (frm, bits 7:5, 0-4 are valid) and flags. */
	p->ctl[0] = ((uint64_t)(seed % 5) << 5) | ((seed * 0x5u) & 0x1f);
	p->ctl[1] = 0;
#endif
}

/* The registers the arch has, compared: riscv64's are 8 bytes. */
static int same(const struct fpregs *x, const struct fpregs *y)
{
	for (unsigned i = 0; i < 32; i++) {
		if (x->r[i][0] != y->r[i][0])
			return 0;
#if defined(__aarch64__)
		if (x->r[i][1] != y->r[i][1])
			return 0;
#endif
	}
	return x->ctl[0] == y->ctl[0] && x->ctl[1] == y->ctl[1];
}

static int survives(enum op op, unsigned seed, unsigned long a, unsigned long b, unsigned long k)
{
	struct fpregs in, out;

	pattern(&in, seed);
	memset(&out, 0, sizeof(out));
	run(&in, &out, op, a, b, k);
	return same(&in, &out);
}

static char *map(size_t len, int flags)
{
	long r = sys_mmap(NULL, len, U_PROT_READ | U_PROT_WRITE, flags | U_MAP_ANONYMOUS, -1, 0);

	if (sys_is_err(r))
		sys_exit_group(99);
	return (char *)r;
}

/* Parent and child spin with their own values in the registers until
 * each has seen the other count to SPIN_K: on one CPU, that takes
 * preemption in the middle of both loops. */
#define SPIN_K 200000

static void spin_beside_a_sibling(void)
{
	volatile unsigned long *c = (volatile unsigned long *)map(U_PAGE_SIZE, U_MAP_SHARED);
	long pid = sys_clone(U_SIGCHLD, NULL);

	if (pid == 0)
		sys_exit_group(survives(OP_SPIN, 7, (unsigned long)&c[1], (unsigned long)&c[0],
		                        SPIN_K) ? 0 : 1);
	ut_eq("spinning beside a sibling: FP registers kept",
	      survives(OP_SPIN, 6, (unsigned long)&c[0], (unsigned long)&c[1], SPIN_K), 1);
	ut_status("the sibling's FP registers kept", ut_wait(pid), ut_exited(0));
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "yield"))
		return survives(OP_YIELD, 9, strtoul(argv[2], NULL, 0), 0, 0) ? 0 : 1;

	char *p = map(2 * U_PAGE_SIZE, U_MAP_PRIVATE);

	int_registers();

	ut_eq("getpid: FP registers kept", survives(OP_SYSCALL, 1, NR_getpid, 0, 0), 1);
	ut_eq("sched_yield: FP registers kept", survives(OP_SYSCALL, 2, NR_sched_yield, 0, 0), 1);
	ut_eq("an unknown call: FP registers kept", survives(OP_SYSCALL, 3, 4000, 0, 0), 1);
	ut_eq("page faults: FP registers kept",
	      survives(OP_FAULT, 4, (unsigned long)p, (unsigned long)(p + U_PAGE_SIZE), 0), 1);
	ut_eq("100 sched_yields: FP registers kept", survives(OP_YIELD, 5, 100, 0, 0), 1);
	fflush(stdout);
	spin_beside_a_sibling();
	return ut_done();
}
