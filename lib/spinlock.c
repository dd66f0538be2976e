/*
 * The cold halves of the spinlock checks (lib/include/lib/spinlock_kinds.h):
 * out of line, so the inline lock paths only compare and branch.  And the
 * MCS locks' per-CPU queue nodes.
 */
#include <stdint.h>
#include <stdio.h>
#include <arch/cpu.h>
#include <lib/panic.h>
#include <lib/spinlock.h>

struct spin_mcs_cpu spin_mcs_cpus[CPU_MAX];

/*
 * Put in @buf who the lock's @owner (a spin_self() value) names: "free",
 * "CPU n", or the raw word when it names no CPU (a corrupted lock).
 * Found by address, not by reading through the word, so a bad word
 * cannot fault here.
 */
static const char *owner_str(unsigned long owner, char *buf, size_t size)
{
	uintptr_t off = owner - (uintptr_t)cpus;

	if (!owner)
		return "free";
	if (off < sizeof(cpus) && off % sizeof(cpus[0]) == 0)
		snprintf(buf, size, "held by CPU %u", (unsigned)(off / sizeof(cpus[0])));
	else
		snprintf(buf, size, "holding the bad word %#lx", owner);
	return buf;
}

void spin_panic_recursive(const void *l)
{
	panic("spinlock %p: taken again by CPU %u, which holds it (it would wait for itself)",
	      l, cpu_num());
}

void spin_panic_not_held(const void *l, unsigned long owner, const char *who, const char *what)
{
	char buf[48];

	panic("%s: %s (%p) not held by this CPU (%u): it is %s", who, what, l, cpu_num(),
	      owner_str(owner, buf, sizeof(buf)));
}

void spin_panic_mcs_depth(const void *l)
{
	panic("spinlock %p: CPU %u holds or waits for %d MCS locks already (SPIN_MCS_DEPTH)",
	      l, cpu_num(), SPIN_MCS_DEPTH);
}
