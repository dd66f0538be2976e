/* Kernel <-> user copies (see mm/include/mm/usercopy.h). */
#include <string.h>
#include <arch/arch.h>
#include <lib/err.h>
#include <mm/aspace.h>
#include <mm/usercopy.h>

extern const struct ex_entry __start_ex_table[], __stop_ex_table[];

uintptr_t ex_table_fixup(uintptr_t pc)
{
	for (const struct ex_entry *e = __start_ex_table; e < __stop_ex_table; e++)
		if (e->insn == pc)
			return e->fixup;
	return 0;
}

/* [uaddr, uaddr + n) lies inside the current user address space's range. */
static int user_range_ok(uintptr_t uaddr, size_t n)
{
	const struct aspace *as = aspace_current();

	return as && uaddr + n >= uaddr && uaddr >= as->base && uaddr + n <= as->end;
}


int copy_from_user(void *dst, uintptr_t usrc, size_t n)
{
	if (!n)
		return E_OK;
	if (!user_range_ok(usrc, n))
		return E_FAULT;
	unsigned long ua = arch_user_access_begin();
	size_t left = arch_copy_from_user(dst, (const void *)usrc, n);
	arch_user_access_end(ua);
	return left ? E_FAULT : E_OK;
}

int copy_to_user(uintptr_t udst, const void *src, size_t n)
{
	if (!n)
		return E_OK;
	if (!user_range_ok(udst, n))
		return E_FAULT;
	unsigned long ua = arch_user_access_begin();
	size_t left = arch_copy_to_user((void *)udst, src, n);
	arch_user_access_end(ua);
	return left ? E_FAULT : E_OK;
}

/*
 * Chunks that end at page boundaries: reading past the terminating NUL
 * never touches a page the string does not reach into.
 */
long strncpy_from_user(char *dst, uintptr_t usrc, size_t n)
{
	size_t done = 0;

	if (!n)
		return E_RANGE;
	while (done < n) {
		size_t chunk = PAGE_SIZE - ((usrc + done) & PAGE_MASK);

		if (chunk > n - done)
			chunk = n - done;
		if (copy_from_user(dst + done, usrc + done, chunk))
			return E_FAULT;
		char *nul = memchr(dst + done, '\0', chunk);
		if (nul)
			return nul - dst;
		done += chunk;
	}
	dst[n - 1] = '\0';
	return E_RANGE;
}
