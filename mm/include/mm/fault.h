/*
 * Page faults, arch-neutral: the record the arch trap code decodes a page
 * fault into, and how the dispatcher (aspace_fault(), <mm/aspace.h>) says
 * it ended.
 *
 * Contract: a fault is FAULT_FIXED or FAULT_FIXED_COW when the access can
 * be retried and will succeed; every other result is final for that
 * access, and the caller reports it (a user copy returns E_FAULT at its
 * fixup instead).  A fault record says nothing about which aspace it
 * belongs to: aspace_fault_mmu() chooses that from the address.
 */
#ifndef MM_FAULT_H
#define MM_FAULT_H

#include <stdint.h>
#include <arch/mmu.h>

enum fault_access { FAULT_READ, FAULT_WRITE, FAULT_EXEC };

/*
 * Not present or a permission fault.  FAULT_KIND_FROM_TABLE lets the
 * dispatcher tell from the table, under the aspace's lock (RISC-V's
 * cause does not say, and the table may be changing on another CPU).
 */
enum fault_kind { FAULT_NOT_PRESENT, FAULT_PERMISSION, FAULT_KIND_FROM_TABLE };

/* One page fault, arch-neutral (the arch trap code decodes it). */
struct fault {
	uintptr_t addr;
	uintptr_t pc;
	enum fault_access access;
	enum fault_kind kind;
	int user;                /* taken in user mode */
	int populate;            /* VAREA_POPULATE, not an access: an object may map only
	                            what it has (a memory object commits nothing) */
	/* Set by aspace_fault() from its one walk (whoever else builds a
	 * record leaves them zero, and hands over only unmapped pages): the
	 * entry of the leaf mapping the page, its level (pt_leaf()) and its
	 * MMU_* flags, decoded once; NULL and 0 when none.  The object's
	 * fault hook changes that leaf through it (pt_replace()) rather than
	 * walk the table again. */
	pte_t *leaf;
	unsigned leaf_level;
	unsigned leaf_flags;
};

/* How a fault ended. */
enum fault_result {
	FAULT_FIXED,             /* mapped: retry the access */
	FAULT_FIXED_COW,         /* a copy-on-write copy was made: retry */
	FAULT_STACK_GUARD,       /* the guard page below a stack: overflow */
	FAULT_NO_VAREA,          /* nothing is mapped there */
	FAULT_DENIED,            /* the varea forbids this access */
	FAULT_OOM,               /* no memory to resolve it */
};

const char *fault_result_str(enum fault_result r);

#endif
