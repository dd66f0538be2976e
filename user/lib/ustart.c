/*
 * C start for user programs, called by user/<arch>/crt0.S with the stack
 * pointer Linux gave _start: argc, argv[argc], NULL, envp[], NULL, then
 * the auxiliary vector as (key, value) pairs up to AT_NULL.  Sets up
 * picolibc's thread-local storage (errno lives there), runs main and
 * exits the whole process with its result.
 */
#include <stdio.h>
#include <string.h>

#include <usys.h>

int main(int argc, char **argv, char **envp);
void __ustart(long *sp);

/* picolibc's TLS helpers: copy the .tdata template and zero .tbss into a
 * block, and point the thread pointer (tp, TPIDR_EL0) at it. */
void _init_tls(void *tls);
void _set_tls(void *tls);

long *u_entry_sp;
unsigned long *u_auxv;
char **environ;

/* One thread per process: one TLS block, as large as the linker script
 * lets the image's .tdata + .tbss be (user/user.ld checks). */
static char tls_block[256] __attribute__((aligned(64)));

unsigned long u_getauxval(unsigned long key)
{
	for (unsigned long *a = u_auxv; a[0] != U_AT_NULL; a += 2)
		if (a[0] == key)
			return a[1];
	return 0;
}

__attribute__((noreturn)) void u_exit(int status)
{
	fflush(stdout);
	sys_exit_group(status);
}

__attribute__((noreturn)) void __ustart(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	char **e = envp;

	while (*e)
		e++;
	u_entry_sp = sp;
	environ = envp;
	u_auxv = (unsigned long *)(e + 1);
	_init_tls(tls_block);
	_set_tls(tls_block);
	u_exit(main(argc, argv, envp));
}
