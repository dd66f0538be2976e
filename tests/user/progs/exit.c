/*
 * exit and exit_group statuses as the parent sees them through wait4:
 * the low 8 bits of the status, from exit_group, from exit (the last
 * thread leaving ends the process) and from main's return.
 */
#include <utest.h>

static void do_exit_group(void *arg)
{
	sys_exit_group((int)(long)arg);
}

static void do_exit(void *arg)
{
	sys_exit((int)(long)arg);
}

static void do_return(void *arg)
{
	(void)arg;
	u_exit(3);  /* what __ustart does with main's return value */
}

static void do_print_then_exit(void *arg)
{
	printf("exit: child printing before exit_group\n");
	sys_exit_group((int)(long)arg);
}

int main(void)
{
	static const int codes[] = { 0, 1, 42, 127, 128, 255 };
	char what[48];

	for (unsigned int i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(what, sizeof(what), "exit_group(%d)", codes[i]);
		ut_status(what, ut_child(do_exit_group, (void *)(long)codes[i]), ut_exited(codes[i]));
	}
	ut_status("exit_group(256) keeps the low 8 bits", ut_child(do_exit_group, (void *)256L),
		  ut_exited(0));
	ut_status("exit_group(-1)", ut_child(do_exit_group, (void *)-1L), ut_exited(255));
	ut_status("exit_group(0x1234)", ut_child(do_exit_group, (void *)0x1234L), ut_exited(0x34));
	ut_status("exit(9) of the only thread", ut_child(do_exit, (void *)9L), ut_exited(9));
	ut_status("exit(0) of the only thread", ut_child(do_exit, (void *)0L), ut_exited(0));
	ut_status("return 3 from main", ut_child(do_return, NULL), ut_exited(3));
	ut_status("output before exit_group", ut_child(do_print_then_exit, (void *)5L), ut_exited(5));
	return ut_done();
}
