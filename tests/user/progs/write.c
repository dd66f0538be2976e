/*
 * write(2) to the console: the count written, zero length, bad file
 * descriptors (EBADF) and buffers the process cannot read (EFAULT: NULL,
 * a kernel address, an unmapped page, a PROT_NONE page).
 */
#include <string.h>

#include <utest.h>

#define KERNEL_ADDR ((void *)0xffffffc000000000UL)

int main(void)
{
	static const char hello[] = "write: hello from write(2)\n";
	char *page = ut_map(2 * U_PAGE_SIZE, U_PROT_READ | U_PROT_WRITE);

	fflush(stdout);
	ut_ret("write returns the count", sys_write(1, hello, strlen(hello)), (long)strlen(hello));
	ut_ret("write of zero bytes", sys_write(1, hello, 0), 0);
	ut_ret("write to fd 99", sys_write(99, hello, 1), -U_EBADF);
	ut_ret("write to fd -1", sys_write(-1, hello, 1), -U_EBADF);
	ut_ret("write from NULL", sys_write(1, NULL, 8), -U_EFAULT);
	ut_ret("write from a kernel address", sys_write(1, KERNEL_ADDR, 8), -U_EFAULT);
	if (!page)
		return ut_done();
	memcpy(page, "write: from a mapped page\n", 26);
	ut_ret("write from a mapped page", sys_write(1, page, 26), 26);
	ut_ret("munmap the second page", sys_munmap(page + U_PAGE_SIZE, U_PAGE_SIZE), 0);
	ut_ret("write from an unmapped page", sys_write(1, page + U_PAGE_SIZE, 8), -U_EFAULT);
	ut_ret("mprotect PROT_NONE", sys_mprotect(page, U_PAGE_SIZE, U_PROT_NONE), 0);
	ut_ret("write from a PROT_NONE page", sys_write(1, page, 8), -U_EFAULT);
	return ut_done();
}
