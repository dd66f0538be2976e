/*
 * The cold halves of the spinlock checks (lib/include/lib/spinlock.h):
 * out of line, so the inline lock paths only compare and branch.
 */
#include <stdint.h>
#include <stdio.h>
#include <arch/cpu.h>
#include <lib/panic.h>
#include <lib/spinlock.h>

/*
 * Put in @buf who the lock word @owner names: "free", "CPU n", or the raw
 * word when it names no CPU (a corrupted lock).  Found by address, not by
 * reading through the word, so a bad word cannot fault here.
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

void spin_panic_recursive(const struct spinlock *l)
{
	panic("spinlock %p: taken again by CPU %u, which holds it (it would wait for itself)",
	      (const void *)l, cpu_num());
}

void spin_panic_not_held(const struct spinlock *l, const char *who, const char *what)
{
	char buf[48];

	panic("%s: %s (%p) not held by this CPU (%u): it is %s", who, what, (const void *)l,
	      cpu_num(), owner_str(__atomic_load_n(&l->owner, __ATOMIC_RELAXED), buf,
	                           sizeof(buf)));
}
