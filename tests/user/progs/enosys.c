/*
 * System-call numbers Linux's generic table does not have return -ENOSYS
 * (and the process goes on).
 */
#include <utest.h>

int main(void)
{
	static const long numbers[] = { 500, 1000, 4095, 100000, -1 };
	char what[48];

	for (unsigned int i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		snprintf(what, sizeof(what), "system call %ld", numbers[i]);
		ut_ret(what, sys_call(numbers[i], 1, 2, 3), -U_ENOSYS);
	}
	ut_true("getpid still works", sys_getpid() > 0);
	return ut_done();
}
