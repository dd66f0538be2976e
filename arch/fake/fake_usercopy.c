/*
 * The arch side of mm/usercopy.c for the host: the user-access window
 * and the two copy loops, over the fake MMU.
 *
 * A copy goes page by page on the user side, each page translated the
 * way the MMU would: through the current aspace's table (pt_query), the
 * leaf needing MMU_USER and read or write permission.  A page that does
 * not translate raises a "fault" that goes where the trap handler sends
 * one, aspace_fault_mmu(), in kernel mode; when that resolves it the
 * access is retried, and when it does not the copy asks the exception
 * table (mm/usercopy.c's ex_table_fixup(), over the entries below) for
 * its fixup and returns the bytes not copied, as the arch loops do:
 * every byte before the faulting page has been copied.
 *
 * Copies outside arch_user_access_begin()/_end(), a fixup other than the
 * loop's own, or a fault that "resolves" without making the page
 * accessible fail the running case.
 *
 * Several CPUs (threads) may copy at once: the user-access window and
 * the record of the last copy are each thread's own, and each page's
 * walk and copy run inside the CPU's access window of the fake MMU
 * (fake_mmu_access_begin()), which TLB flushes wait for, the way a
 * shootdown waits for the CPUs it names.
 */
#include <string.h>
#include <arch/arch.h>
#include <lib/ktest.h>
#include <mm/aspace.h>
#include <mm/page.h>
#include <mm/usercopy.h>
#include "fake_mmu.h"
#include "fake_usercopy.h"

/*
 * Made-up addresses of the copy loop's user load and store and of their
 * fixups, different so that a lookup must match the faulting pc, and a
 * decoy entry that no copy faults at.
 */
#define LOAD_PC   0x10000ul
#define STORE_PC  0x10008ul
#define DECOY_PC  0x10010ul
#define LOAD_FIX  0x10100ul
#define STORE_FIX 0x10108ul
#define DECOY_FIX 0x10110ul

__asm__(".pushsection ex_table, \"a\"\n"
        ".balign 8\n"
        ".quad 0x10010, 0x10110\n"
        ".quad 0x10000, 0x10100\n"
        ".quad 0x10008, 0x10108\n"
        ".popsection\n");

static __thread unsigned long open_;
static uint64_t faults;   /* atomic */
static __thread struct fake_copy last;

unsigned long arch_user_access_begin(void)
{
	unsigned long was = open_;

	open_ = 1;
	return was;
}

void arch_user_access_end(unsigned long state)
{
	open_ = state;
}

int fake_user_access_open(void)
{
	return open_ != 0;
}

uint64_t fake_usercopy_faults(void)
{
	return __atomic_load_n(&faults, __ATOMIC_RELAXED);
}

const struct fake_copy *fake_usercopy_last(void)
{
	return &last;
}

void fake_usercopy_pcs(uintptr_t pc[3], uintptr_t fixup[3])
{
	pc[0] = LOAD_PC, pc[1] = STORE_PC, pc[2] = DECOY_PC;
	fixup[0] = LOAD_FIX, fixup[1] = STORE_FIX, fixup[2] = DECOY_FIX;
}

/*
 * The kernel address @va reaches through the MMU for @access, or NULL.
 * Inside the access window: what it returns is good until the window ends.
 */
static void *translate(uintptr_t va, int write)
{
	struct aspace *as = aspace_of(va);
	unsigned need = MMU_USER | (write ? MMU_WRITE : MMU_READ), flags;
	paddr_t pa;

	if (!as || fake_mmu_translate(as->pt, va, &pa, &flags) || (flags & need) != need)
		return NULL;
	return pa_to_va(pa);
}

#define FIX_TRIES 64

static size_t copy(void *kbuf, uintptr_t ua, size_t n, int to_user)
{
	uintptr_t pc = to_user ? STORE_PC : LOAD_PC, fix = to_user ? STORE_FIX : LOAD_FIX;
	size_t done = 0;
	int tries = 0;

	last = (struct fake_copy){ .seq = last.seq + 1, .stopped = 0 };
	if (!open_) {
		ktest_fail(__FILE__, __LINE__, "user copy with user access closed");
		return n;
	}
	while (done < n) {
		uintptr_t va = ua + done;
		size_t chunk = PAGE_SIZE - (va & PAGE_MASK);
		struct aspace *as;
		enum fault_result r;
		void *p;

		if (chunk > n - done)
			chunk = n - done;
		fake_mmu_access_begin();
		p = translate(va, to_user);
		if (p) {
			if (to_user)
				memcpy(p, (char *)kbuf + done, chunk);
			else
				memcpy((char *)kbuf + done, p, chunk);
		}
		fake_mmu_access_end();
		if (p) {
			done += chunk;
			last.copied = done;
			tries = 0;
			continue;
		}
		__atomic_fetch_add(&faults, 1, __ATOMIC_RELAXED);
		r = aspace_fault_mmu(va, to_user ? FAULT_WRITE : FAULT_READ, 0, pc, &as);
		/*
		 * Another CPU may take the page away again between the fix and
		 * the retry (a memory object's decommit removes the leaves of
		 * every mapping), as it may on hardware; a fault hook that says
		 * fixed and maps nothing is caught after FIX_TRIES in a row.
		 */
		if (r == FAULT_FIXED || r == FAULT_FIXED_COW) {
			if (++tries > FIX_TRIES) {
				ktest_fail(__FILE__, __LINE__, "fault at %#lx resolved (%s) but the page "
				           "still does not translate", (unsigned long)va,
				           fault_result_str(r));
				return n - done;
			}
			continue;
		}
		if (ex_table_fixup(pc) != fix)
			ktest_fail(__FILE__, __LINE__, "ex_table_fixup(%#lx) is %#lx, not the loop's "
			           "fixup %#lx", (unsigned long)pc, (unsigned long)ex_table_fixup(pc),
			           (unsigned long)fix);
		last.stopped = 1;
		last.fault_addr = va;
		last.fault = r;
		return n - done;
	}
	return 0;
}

size_t arch_copy_from_user(void *dst, const void *usrc, size_t n)
{
	return copy(dst, (uintptr_t)usrc, n, 0);
}

size_t arch_copy_to_user(void *udst, const void *src, size_t n)
{
	return copy((void *)src, (uintptr_t)udst, n, 1);
}
