/*
 * Types and constants shared by the whole memory subsystem.
 */
#ifndef MM_TYPES_H
#define MM_TYPES_H

#include <arch/types.h>

/* Allocation flags understood by every allocator (pages, slabs, kmalloc). */
#define MM_ZERO    (1u << 0)   /* return zeroed memory */

#endif
