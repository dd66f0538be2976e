/*
 * Trampolines from user mode (arbor only: Linux has no such call, so
 * this program is not a run of runs.txt; tests/proc/proc.c runs it).
 * A window is mapped; callbacks are plain function pointers that add
 * their context to the caller's arguments; the code page is shared,
 * read+execute and never writable; a deleted one reaches the dead
 * handler; a fork child's callbacks are its own; the window goes with
 * unmap.
 */
#include <string.h>
#include <utest.h>
#include <utramp.h>

static struct utramp_window win;

/* Every argument register and one on the stack: ctx + a + ... + h. */
static long sum9(long ctx, long a, long b, long c, long d, long e, long f, long g, long h)
{
	return ctx * 1000000 + a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

typedef long (*fn8)(long, long, long, long, long, long, long, long);

static void call_deleted(void *t)
{
	((fn8)t)(1, 2, 3, 4, 5, 6, 7, 8);
}

static void write_code(void *t)
{
	ut_write8(t, 0);
}

int main(void)
{
	long r = utramp_map(&win);

	ut_ret("map a trampoline window", r, 0);
	if (r)
		return ut_done();
	fn8 t1 = (fn8)utramp_create(&win, (void *)sum9, (void *)1);
	fn8 t2 = (fn8)utramp_create(&win, (void *)sum9, (void *)2);

	ut_true("two distinct trampolines", t1 && t2 && t1 != t2);
	ut_eq("call with 8 arguments and a context", t1(1, 1, 1, 1, 1, 1, 1, 1), 1000036);
	ut_eq("the other context", t2(8, 7, 6, 5, 4, 3, 2, 1), 2000120);
	ut_status("the code page is not writable", ut_probe((void *)t1, UT_WRITE),
	          ut_signaled(U_SIGSEGV));
	ut_status("the code page is executable", ut_probe((void *)t1, UT_READ), ut_exited(0));
	ut_ret("mprotect cannot make the code page writable",
	       sys_mprotect((void *)win.base, U_PAGE_SIZE, U_PROT_READ | U_PROT_WRITE), -U_EACCES);
	ut_status("still not writable", ut_probe((void *)t1, UT_WRITE), ut_signaled(U_SIGSEGV));

	/* fork: the child's pairs are its own. */
	long pid = sys_clone(U_SIGCHLD, NULL);
	if (pid == 0) {
		fn8 t3 = (fn8)utramp_create(&win, (void *)sum9, (void *)3);
		utramp_delete(&win, (void *)t2);
		sys_exit_group(t3(0, 0, 0, 0, 0, 0, 0, 0) == 3000000 ? 5 : 6);
	}
	ut_status("a child creates and deletes its own", ut_wait(pid), ut_exited(5));
	ut_eq("the parent's second still works", t2(0, 0, 0, 0, 0, 0, 0, 1), 2000008);

	ut_ret("delete", utramp_delete(&win, (void *)t1), 0);
	ut_ret("delete a foreign pointer", utramp_delete(&win, (void *)sum9), -1);
	ut_status("a deleted one reaches the dead handler", ut_child(call_deleted, (void *)t1),
	          ut_exited(UTRAMP_DEAD_STATUS));

	ut_ret("unmap", utramp_unmap(&win), 0);
	ut_status("after unmap the code is gone", ut_probe((void *)t2, UT_READ),
	          ut_signaled(U_SIGSEGV));
	(void)write_code;
	return ut_done();
}
