/*
 * Accesses the kernel cannot resolve kill only the process that made
 * them, and its parent sees why through wait4: SIGSEGV for NULL, kernel
 * addresses, unmapped user addresses, writes to read-only and text pages,
 * execution of non-executable pages, overflow of the stack into its
 * guard; SIGILL for an illegal instruction.  Each runs in a child.
 */
#include <utest.h>

#define PG U_PAGE_SIZE

static const char rodata_byte = 1;
static char data_code[16] __attribute__((aligned(16)));

/* An all-zero instruction word: illegal on both arches (riscv64 defines
 * 0 as illegal; arm64's 0 is UDF #0). */
__attribute__((section(".text.illegal"), aligned(4))) static const uint32_t illegal_insn = 0;

/* Never reached: it only keeps the compiler from calling the recursion
 * infinite. */
static volatile long recursion_limit = 1L << 40;

static long recurse(long n)
{
	volatile char frame[1024];

	frame[0] = (char)n;
	if (n > recursion_limit)
		return 0;
	return recurse(n + 1) + frame[0];
}

static void overflow(void *arg)
{
	(void)arg;
	recurse(0);
}

static void sig(const char *what, void *addr, enum ut_access kind, int want)
{
	ut_status(what, ut_probe(addr, kind), ut_signaled(want));
}

int main(void)
{
	char *rw = ut_map(PG, U_PROT_READ | U_PROT_WRITE);
	char *gone = ut_map(PG, U_PROT_READ | U_PROT_WRITE);

	sys_munmap(gone, PG);
	sig("read NULL", NULL, UT_READ, U_SIGSEGV);
	sig("write NULL", NULL, UT_WRITE, U_SIGSEGV);
	sig("call NULL", NULL, UT_EXEC, U_SIGSEGV);
	sig("read the last byte of page 0", (void *)(PG - 1), UT_READ, U_SIGSEGV);
	sig("read the kernel's linear map", (void *)0xffffffc000000000UL, UT_READ, U_SIGSEGV);
	sig("write the kernel image", (void *)0xffffffff80200000UL, UT_WRITE, U_SIGSEGV);
	sig("call into the kernel", (void *)0xffffffff80200000UL, UT_EXEC, U_SIGSEGV);
	sig("read the top of the address space", (void *)-8L, UT_READ, U_SIGSEGV);
	sig("read an unmapped page", gone, UT_READ, U_SIGSEGV);
	sig("write rodata", (void *)&rodata_byte, UT_WRITE, U_SIGSEGV);
	sig("write text", (void *)main, UT_WRITE, U_SIGSEGV);
	ut_put_ret42(data_code);
	sig("call code in data", data_code, UT_EXEC, U_SIGSEGV);
	ut_put_ret42(rw);
	sig("call code in a read+write mapping", rw, UT_EXEC, U_SIGSEGV);
	sig("execute an illegal instruction", (void *)&illegal_insn, UT_EXEC, U_SIGILL);
	ut_status("overflow the stack into its guard", ut_child(overflow, NULL),
		  ut_signaled(U_SIGSEGV));
	ut_status("the parent lives on", ut_probe(rw, UT_WRITE), ut_exited(0));
	return ut_done();
}
