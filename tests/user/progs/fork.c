/*
 * clone(SIGCHLD) with fork semantics and wait4: the child gets 0 and a
 * copy of everything (data, bss, brk, anonymous mappings, stack), its
 * writes stay its own; re-fork after copy-on-write; a read-only page
 * stays read-only in the child; mprotect, munmap and a fresh mapping in
 * the child leave the parent's alone; a chain of 20 generations; ten
 * children reaped by pid; wait4's errors (ECHILD, EFAULT, EINVAL).
 */
#include <string.h>

#include <utest.h>

#define PG U_PAGE_SIZE
#define DEPTH 20

static long data_word = 1;
static long bss_word;
static char *anon, *ro, *brk_page;

/* The child's view must be the parent's as of the fork; then it writes
 * everything and exits 0, or exits with the number of the first check
 * that failed. */
static void child_writes(void *arg)
{
	long stack_word = *(long *)arg;

	if (data_word != 1 || bss_word != 2 || !ut_matches(anon, 2 * PG, 31) ||
	    ut_read8(brk_page) != 0x33 || stack_word != 4)
		sys_exit_group(10);
	data_word = bss_word = stack_word = -1;
	memset(anon, 0xee, 2 * PG);
	ut_write8(brk_page, 0xee);
	if (ut_probe(ro, UT_WRITE) != ut_signaled(U_SIGSEGV))
		sys_exit_group(11);
	if (ut_read8(ro) != 0x44)
		sys_exit_group(12);
}

static void child_changes_mappings(void *arg)
{
	(void)arg;
	if (sys_mprotect(anon, PG, U_PROT_NONE) != 0 || ut_probe(anon, UT_READ) != U_SIGSEGV)
		sys_exit_group(20);
	if (sys_munmap(anon + PG, PG) != 0 || ut_probe(anon + PG, UT_READ) != U_SIGSEGV)
		sys_exit_group(21);
	if (sys_mmap(anon + PG, PG, U_PROT_READ | U_PROT_WRITE,
		     U_MAP_PRIVATE | U_MAP_ANONYMOUS | U_MAP_FIXED, -1, 0) != (long)(anon + PG) ||
	    !ut_is_zero(anon + PG, PG))
		sys_exit_group(22);
	if (sys_mprotect(ro, PG, U_PROT_READ | U_PROT_WRITE) != 0)
		sys_exit_group(23);
	ut_write8(ro, 0x55);
}

/* Generation n forks n + 1 and exits with its child's status + 1; each
 * checks that its ancestors' writes reached it and its own did not
 * reach them. */
static void chain(void *arg)
{
	long n = (long)arg;
	int st;

	if (data_word != 100 + n - 1)
		sys_exit_group(200);
	data_word = 100 + n;
	anon[n] = (char)n;
	if (n == DEPTH)
		sys_exit_group(0);
	st = ut_child(chain, (void *)(n + 1));
	if (!U_WIFEXITED(st) || data_word != 100 + n || anon[n + 1] != 0)
		sys_exit_group(201);
	sys_exit_group(U_WEXITSTATUS(st) + 1);
}

static void exit_with(void *arg)
{
	sys_exit_group((int)(long)arg);
}

static void waits(void)
{
	long pids[10], pid;
	int st, good = 1;

	ut_ret("wait4 with no children", sys_wait4(-1, &st, 0, NULL), -U_ECHILD);
	for (int i = 0; i < 10; i++) {
		fflush(stdout);
		pids[i] = sys_clone(U_SIGCHLD, NULL);
		if (pids[i] == 0)
			exit_with((void *)(long)(i + 40));
	}
	for (int i = 9; i >= 0; i--)
		if (ut_wait(pids[i]) != ut_exited(i + 40))
			good = 0;
	ut_true("ten children reaped by pid, in reverse, with their statuses", good);
	ut_ret("wait4 for a pid that is not a child", sys_wait4(pids[0], &st, 0, NULL), -U_ECHILD);
	fflush(stdout);
	pid = sys_clone(U_SIGCHLD, NULL);
	if (pid == 0)
		exit_with((void *)3L);
	ut_ret("wait4 with unknown options", sys_wait4(pid, &st, 0x100, NULL), -U_EINVAL);
	ut_true("wait4(-1) reaps any child", sys_wait4(-1, &st, 0, NULL) == pid &&
		st == ut_exited(3));
	fflush(stdout);
	pid = sys_clone(U_SIGCHLD, NULL);
	if (pid == 0)
		exit_with((void *)4L);
	ut_ret("wait4 with a bad status pointer", sys_wait4(pid, (int *)8, 0, NULL), -U_EFAULT);
	ut_ret("that child was reaped anyway", sys_wait4(pid, &st, 0, NULL), -U_ECHILD);
}

int main(void)
{
	long stack_word = 4, pid;
	int st;

	anon = ut_map(2 * PG, U_PROT_READ | U_PROT_WRITE);
	ro = ut_map(PG, U_PROT_READ | U_PROT_WRITE);
	brk_page = (char *)sys_brk(NULL);
	if (!anon || !ro || sys_brk(brk_page + PG) != (long)(brk_page + PG))
		return ut_done();
	ut_fill(anon, 2 * PG, 31);
	ut_write8(brk_page, 0x33);
	ut_write8(ro, 0x44);
	ut_ret("mprotect read-only before fork", sys_mprotect(ro, PG, U_PROT_READ), 0);
	bss_word = 2;

	fflush(stdout);
	pid = sys_clone(U_SIGCHLD, NULL);
	if (pid == 0)
		sys_exit_group(0x61);
	ut_true("fork returns a pid to the parent", pid > 0);
	ut_status("the child got 0 and exited", ut_wait(pid), ut_exited(0x61));

	ut_status("child sees the parent's memory and writes its own",
		  ut_child(child_writes, &stack_word), ut_exited(0));
	ut_true("parent's data, bss, stack unchanged", data_word == 1 && bss_word == 2 &&
		stack_word == 4);
	ut_true("parent's anonymous pages unchanged", ut_matches(anon, 2 * PG, 31));
	ut_true("parent's brk page unchanged", ut_read8(brk_page) == 0x33);

	ut_fill(anon, 2 * PG, 32);  /* write after copy-on-write, then fork again */
	ut_fill(anon, 2 * PG, 31);
	ut_status("re-fork sees the same and writes its own", ut_child(child_writes, &stack_word),
		  ut_exited(0));
	ut_true("parent still unchanged", ut_matches(anon, 2 * PG, 31) && data_word == 1);

	ut_status("child's mprotect, munmap and remap", ut_child(child_changes_mappings, NULL),
		  ut_exited(0));
	ut_true("parent's pages still mapped and unchanged", ut_matches(anon, 2 * PG, 31));
	ut_status("parent's read-only page still read-only", ut_probe(ro, UT_WRITE),
		  ut_signaled(U_SIGSEGV));
	ut_ret("parent's mprotect after fork", sys_mprotect(anon, PG, U_PROT_READ), 0);
	ut_status("a new child inherits it", ut_probe(anon, UT_WRITE), ut_signaled(U_SIGSEGV));
	ut_ret("and back", sys_mprotect(anon, PG, U_PROT_READ | U_PROT_WRITE), 0);

	data_word = 100;
	memset(anon, 0, 2 * PG);
	st = ut_child(chain, (void *)1L);
	ut_status("a chain of 20 generations", st, ut_exited(DEPTH - 1));
	ut_true("none of their writes reached the parent", data_word == 100 &&
		ut_is_zero(anon, 2 * PG));

	waits();
	return ut_done();
}
