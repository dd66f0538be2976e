/*
 * A register the kernel itself never uses must still be the process's
 * own after a system call that switched to another process: parent and
 * child each hold a value of their own in it and yield to each other
 * 2,000 times.  riscv64: gp (the global pointer; the kernel never writes
 * it, but another process's return to user mode does).  aarch64: x18,
 * which the system-call path saves and restores like the other
 * caller-saved registers.  The same on Linux.
 */
#include <utest.h>

static long yields_keeping(unsigned long val, int n)
{
	long bad = 0;

	for (int i = 0; i < n; i++) {
		unsigned long out;
#if defined(__riscv)
		__asm__ volatile("mv t3, gp\n\tmv gp, %[v]\n\tli a7, 124\n\tecall\n\t"
		                 "mv %[o], gp\n\tmv gp, t3"
		                 : [o] "=r"(out) : [v] "r"(val) : "a0", "a7", "t3", "memory");
#else
		__asm__ volatile("mov x9, x18\n\tmov x18, %[v]\n\tmov x8, #124\n\tsvc #0\n\t"
		                 "mov %[o], x18\n\tmov x18, x9"
		                 : [o] "=r"(out) : [v] "r"(val) : "x0", "x8", "x9", "memory");
#endif
		bad += out != val;
	}
	return bad;
}

int main(void)
{
	long pid = sys_clone(U_SIGCHLD, NULL);

	if (pid == 0)
		sys_exit_group(yields_keeping(0x1111, 2000) ? 1 : 0);
	ut_eq("parent: register kept across sched_yield", yields_keeping(0x2222, 2000), 0);
	ut_status("child: register kept across sched_yield", ut_wait(pid), ut_exited(0));
	return ut_done();
}
