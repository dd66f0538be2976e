/*
 * MAP_SHARED | MAP_ANONYMOUS between a parent and its forked child: each
 * sees the other's writes, where a private mapping keeps them apart;
 * wait4(WNOHANG) on a child still running (it spins on a shared flag);
 * MADV_DONTNEED keeps a shared mapping's contents.
 */
#include <utest.h>

#define PG U_PAGE_SIZE

static volatile uint64_t *shared, *private_page;

static void child_rw(void *arg)
{
	(void)arg;
	if (shared[0] != 1 || private_page[0] != 1)
		sys_exit_group(2);
	shared[0] = 2;
	private_page[0] = 2;
}

static void child_waits_for_flag(void *arg)
{
	(void)arg;
	while (shared[1] == 0)
		sys_sched_yield();
	sys_exit_group((int)shared[1]);
}

int main(void)
{
	long r, pid;
	int st = 0;

	r = sys_mmap(NULL, 2 * PG, U_PROT_READ | U_PROT_WRITE, U_MAP_SHARED | U_MAP_ANONYMOUS, -1, 0);
	ut_true("MAP_SHARED | MAP_ANONYMOUS", !sys_is_err(r));
	if (sys_is_err(r))
		return ut_done();
	shared = (uint64_t *)r;
	private_page = ut_map(PG, U_PROT_READ | U_PROT_WRITE);
	ut_true("shared memory starts zero", ut_is_zero((void *)shared, 2 * PG));
	shared[0] = 1;
	private_page[0] = 1;
	ut_status("child sees the parent's writes", ut_child(child_rw, NULL), ut_exited(0));
	ut_eq("parent sees the child's shared write", (long)shared[0], 2);
	ut_eq("parent keeps its private page", (long)private_page[0], 1);

	fflush(stdout);
	pid = sys_clone(U_SIGCHLD, NULL);
	if (pid == 0)
		child_waits_for_flag(NULL);
	r = sys_wait4(pid, &st, U_WNOHANG, NULL);
	ut_ret("wait4 WNOHANG on a running child", r, 0);
	shared[1] = 7;
	ut_status("child saw the flag and exited", ut_wait(pid), ut_exited(7));

	ut_ret("MADV_DONTNEED on shared memory", sys_madvise((void *)shared, 2 * PG, U_MADV_DONTNEED), 0);
	ut_eq("shared contents kept", (long)shared[0], 2);
	ut_ret("munmap shared", sys_munmap((void *)shared, 2 * PG), 0);
	return ut_done();
}
