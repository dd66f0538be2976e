/*
 * The `run` command: start an embedded user program on this CPU, with
 * its output on the console, and wait for it and everything it forked.
 */
#include <stdio.h>
#include <arch/cpu.h>
#include <lib/err.h>
#include <proc/proc.h>
#include <shell/shell.h>

static void list_programs(void)
{
	size_t n;
	const struct user_prog *p = user_progs(&n);

	printf("programs:");
	for (size_t i = 0; i < n; i++)
		printf(" %s", p[i].name);
	printf("\n");
}

static int cmd_run(int argc, char **argv)
{
	const struct user_prog *prog;
	struct session *s;
	int rc, status;

	if (argc < 2) {
		printf("usage: run <program> [arguments...]\n");
		list_programs();
		return E_INVAL;
	}
	prog = user_prog_find(argv[1]);
	if (!prog) {
		printf("run: no program %s\n", argv[1]);
		list_programs();
		return E_NOENT;
	}
	rc = proc_spawn(prog, argv + 1, NULL, cpu_num(), 1, &s);
	if (rc) {
		printf("run: %s: %s\n", argv[1], err_str(rc));
		return rc;
	}
	status = proc_session_wait(s);
	proc_session_free(s);
	if (status & 0x7f)
		printf("run: %s killed by signal %d\n", argv[1], status & 0x7f);
	else
		printf("run: %s exited with status %d\n", argv[1], (status >> 8) & 0xff);
	return E_OK;
}
SHELL_CMD_ARGS(run, "run an embedded user program: run <name> [arguments]", cmd_run);
