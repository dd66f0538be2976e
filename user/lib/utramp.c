/* Trampoline windows from user mode (user/include/utramp.h). */
#include <stdio.h>
#include <usys.h>
#include <utramp.h>

#define SLOT_SIZE   16
#define FIRST_SLOT  8             /* after the 128-byte shared stub */
#define NSLOTS      256
#define HOT_OFFSET  4096

/* Where deleted trampolines go: the context is the trampoline's address. */
static void dead(void *t)
{
	printf("utramp: call through deleted trampoline %p\n", t);
	u_exit(UTRAMP_DEAD_STATUS);
}

long utramp_map(struct utramp_window *w)
{
	long r = usys_call6(UTRAMP_NR_WINDOW, 0, 0, 0, 0, 0, 0);

	if (sys_is_err(r))
		return r;
	w->base = (uintptr_t)r;
	w->next = FIRST_SLOT;
	return 0;
}

static uintptr_t *pair_of(uintptr_t t)
{
	return (uintptr_t *)(t + HOT_OFFSET);
}

void *utramp_create(struct utramp_window *w, void *fn, void *ctx)
{
	uintptr_t t;

	if (!w->base || w->next >= NSLOTS)
		return NULL;
	t = w->base + w->next++ * SLOT_SIZE;
	pair_of(t)[1] = (uintptr_t)ctx;
	pair_of(t)[0] = (uintptr_t)fn;
	return (void *)t;
}

int utramp_delete(struct utramp_window *w, void *t)
{
	uintptr_t a = (uintptr_t)t;

	if (!w->base || a < w->base + FIRST_SLOT * SLOT_SIZE || a >= w->base + w->next * SLOT_SIZE ||
	    (a - w->base) % SLOT_SIZE)
		return -1;
	pair_of(a)[0] = (uintptr_t)dead;
	pair_of(a)[1] = a;
	return 0;
}

long utramp_unmap(struct utramp_window *w)
{
	long r = usys_call6(UTRAMP_NR_UNMAP, (long)w->base, 0, 0, 0, 0, 0);

	if (!sys_is_err(r))
		w->base = 0;
	return r;
}
