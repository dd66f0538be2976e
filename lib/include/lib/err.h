/*
 * One error enum for the whole kernel: zero is success, every failure is a
 * negative code.  Functions return them and callers pass them up with
 * `if (rc) return rc;`.  Invariant breaks are not errors: they panic.
 */
#ifndef LIB_ERR_H
#define LIB_ERR_H

enum {
	E_OK = 0,
	E_INVAL = -1,     /* malformed argument (unknown flag, bad name) */
	E_NOMEM = -2,     /* out of memory */
	E_ALIGN = -3,     /* address or size not aligned as required */
	E_RANGE = -4,     /* outside the range the callee serves */
	E_OVERFLOW = -5,  /* start + size wraps around */
	E_EXIST = -6,     /* already there (overlap, duplicate) */
	E_NOENT = -7,     /* not found */
	E_PERM = -8,      /* not allowed (W+X, kernel address from user) */
	E_FAULT = -9,     /* bad address on a user copy */
	E_CORRUPT = -10,  /* malformed data structure (device tree, ...) */
	E_BUSY = -11,     /* resource in use */
	E_NOSPC = -12,    /* a fixed-size table is full */
	E_NOTSUP = -13,   /* not supported by this hardware or build */
	E_IO = -14,       /* the hardware or the firmware refused or failed */
	E__LAST = -15,
};

/* A short name for an error code ("E_NOMEM"), or "E_?" for anything else. */
const char *err_str(int err);

#endif
