/*
 * Spins in user mode without a system call, for ever: the kernel's
 * preemption and kill tests (tests/proc/user.c) run it.  Not a run of
 * runs.txt (it never ends by itself).
 */
int main(void)
{
	for (volatile unsigned long i = 0;; i++)
		;
}
