/*
 * Closures as plain function pointers, with no writable code: arbor maps
 * a trampoline window into the process (system call arbor_tramp_window,
 * arbor's own number; Linux answers ENOSYS).  Its first page is the
 * kernel's trampoline code, read+execute and shared; the pages after it
 * are this process's own read+write memory, which this library fills:
 * each trampoline (16 bytes of code, from slot 8 on) finds its
 * {target, context} pair 4 KiB above itself.  A call through one runs
 * target(context, arguments...) with the caller's arguments shifted by
 * one (riscv64 a0-a6 -> a1-a7, the 8th to the stack; arm64 likewise),
 * as in the kernel (kernel/exec/tramp.h).  A deleted trampoline runs the
 * dead handler: it prints a report and ends the process with status 86.
 * fork gives the child its own copy of the pairs (copy-on-write).
 */
#ifndef UTRAMP_H
#define UTRAMP_H

#include <stdint.h>

#define UTRAMP_NR_WINDOW 1100
#define UTRAMP_NR_UNMAP  1101
#define UTRAMP_DEAD_STATUS 86

struct utramp_window {
	uintptr_t base;           /* 0: none mapped */
	unsigned next;            /* the next slot never used */
};

/* Map a window; 0, or -errno (-ENOSYS on Linux). */
long utramp_map(struct utramp_window *w);

/* A trampoline calling fn(ctx, ...); NULL when the window is full. */
void *utramp_create(struct utramp_window *w, void *fn, void *ctx);

/* From now on calls through @t reach the dead handler.  0, or -1 for a foreign @t. */
int utramp_delete(struct utramp_window *w, void *t);

/* Unmap the window: its trampolines fault from then on.  0 or -errno. */
long utramp_unmap(struct utramp_window *w);

#endif
