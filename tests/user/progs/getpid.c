/*
 * getpid: positive and stable; a child's differs from its parent's and
 * equals what fork returned to the parent; two children differ.
 */
#include <utest.h>

static long parent_pid;

static void child_checks(void *arg)
{
	long me = sys_getpid();

	(void)arg;
	/* The parent compares the low bits with fork's return value. */
	sys_exit_group(me == parent_pid || me <= 0 ? 0 : (int)(me & 0xff) | 1);
}

int main(void)
{
	long pid, a, b;
	int st;

	parent_pid = sys_getpid();
	ut_true("getpid is positive", parent_pid > 0);
	ut_true("getpid is stable", sys_getpid() == parent_pid);

	fflush(stdout);
	a = sys_clone(U_SIGCHLD, NULL);
	if (a == 0)
		child_checks(NULL);
	st = ut_wait(a);
	ut_true("fork returned a positive pid", a > 0);
	ut_true("child's pid differs from the parent's", a != parent_pid);
	ut_true("child's getpid is what fork returned", U_WIFEXITED(st) &&
		U_WEXITSTATUS(st) == (int)((a & 0xff) | 1));

	fflush(stdout);
	b = sys_clone(U_SIGCHLD, NULL);
	if (b == 0)
		child_checks(NULL);
	ut_wait(b);
	ut_true("two children have different pids", b > 0 && b != a);
	pid = sys_getpid();
	ut_true("parent's pid unchanged by fork", pid == parent_pid);
	return ut_done();
}
