/*
 * sched_yield returns 0, alone and with a child running beside it.
 */
#include <utest.h>

static void yielder(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++)
		if (sys_sched_yield() != 0)
			sys_exit_group(1);
}

int main(void)
{
	long bad = 0;
	long pid;

	ut_ret("sched_yield", sys_sched_yield(), 0);
	for (int i = 0; i < 1000; i++)
		if (sys_sched_yield() != 0)
			bad++;
	ut_eq("sched_yield x1000: failures", bad, 0);
	fflush(stdout);
	pid = sys_clone(U_SIGCHLD, NULL);
	if (pid == 0) {
		yielder(NULL);
		sys_exit_group(0);
	}
	yielder(NULL);
	ut_status("child yielding beside its parent", ut_wait(pid), ut_exited(0));
	return ut_done();
}
