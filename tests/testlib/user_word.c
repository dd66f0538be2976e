/* One word of a user aspace, through the user copies (tests/testlib/testlib.h). */
#include <lib/ktest.h>
#include <mm/aspace.h>
#include <mm/usercopy.h>
#include "testlib.h"

int tl_user_put(struct aspace *as, uintptr_t addr, uint64_t v)
{
	aspace_switch(as);
	return copy_to_user(addr, &v, sizeof(v));
}

uint64_t tl_user_get(struct aspace *as, uintptr_t addr)
{
	uint64_t v = ~0ull;

	aspace_switch(as);
	if (copy_from_user(&v, addr, sizeof(v)))
		ktest_fail(__FILE__, __LINE__, "reading %#lx failed", (unsigned long)addr);
	return v;
}
