/*
 * User-mode benchmarks: `ubench <op> [pages]` does one operation from
 * user mode, reading the retired-instruction counter around it (the
 * kernel lets user mode read it while benchmarks run), and prints
 * "ubench <op> <instructions>".  The count includes everything the
 * operation costs: the trap, the kernel's work, the return.  The kernel
 * side (tests/proc/bench_user.c) runs it once per repetition.  Not a run
 * of runs.txt: counts differ between kernels by design.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <usys.h>

#define PROT_RW (U_PROT_READ | U_PROT_WRITE)
#define ANON (U_MAP_PRIVATE | U_MAP_ANONYMOUS)

static inline unsigned long insns(void)
{
	unsigned long v;
#if defined(__riscv)
	__asm__ volatile("rdinstret %0" : "=r"(v) :: "memory");
#else
	__asm__ volatile("isb\n\tmrs %0, pmevcntr0_el0" : "=r"(v) :: "memory");
#endif
	return v;
}

static char *map(unsigned long pages)
{
	long r = sys_mmap(NULL, pages * U_PAGE_SIZE, PROT_RW, ANON, -1, 0);

	if (sys_is_err(r))
		u_exit(2);
	return (char *)r;
}

static void touch(char *p, unsigned long pages)
{
	for (unsigned long i = 0; i < pages; i++)
		p[i * U_PAGE_SIZE] = 1;
}

static void reap(long pid)
{
	int st;

	if (pid < 0 || sys_wait4(pid, &st, 0, NULL) != pid || st != 0)
		u_exit(3);
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	unsigned long pages = argc > 2 ? strtoul(argv[2], NULL, 0) : 1, t0, n = 0;
	volatile char *p;
	long pid;

	if (!strcmp(op, "null_syscall")) {
		t0 = insns();
		sys_getpid();
		n = insns() - t0;
	} else if (!strcmp(op, "zero_fill_fault")) {
		p = map(1);
		t0 = insns();
		p[0] = 1;
		n = insns() - t0;
	} else if (!strcmp(op, "read_fault")) {
		p = map(1);
		t0 = insns();
		(void)p[0];
		n = insns() - t0;
	} else if (!strcmp(op, "cow_fault") || !strcmp(op, "last_holder_write")) {
		p = map(2);
		touch((char *)p, 2);
		pid = sys_clone(U_SIGCHLD, NULL);
		if (pid == 0)
			sys_exit(0);
		if (op[0] == 'c') {
			/* The child has not run yet: the page is shared. */
			t0 = insns();
			p[0] = 2;
			n = insns() - t0;
			reap(pid);
		} else {
			reap(pid);
			t0 = insns();
			p[U_PAGE_SIZE] = 2;
			n = insns() - t0;
		}
	} else if (!strcmp(op, "fork")) {
		p = map(pages);
		touch((char *)p, pages);
		t0 = insns();
		pid = sys_clone(U_SIGCHLD, NULL);
		if (pid == 0)
			sys_exit(0);
		n = insns() - t0;
		reap(pid);
	} else if (!strcmp(op, "mmap_munmap")) {
		t0 = insns();
		long r = sys_mmap(NULL, U_PAGE_SIZE, PROT_RW, ANON, -1, 0);
		sys_munmap((void *)r, U_PAGE_SIZE);
		n = insns() - t0;
	} else if (!strcmp(op, "munmap_populated")) {
		p = map(pages);
		touch((char *)p, pages);
		t0 = insns();
		sys_munmap((void *)p, pages * U_PAGE_SIZE);
		n = insns() - t0;
	} else {
		printf("ubench: unknown operation '%s'\n", op);
		return 1;
	}
	printf("ubench %s %lu\n", op, n);
	return 0;
}
