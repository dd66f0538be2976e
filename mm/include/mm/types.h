/*
 * Types and constants shared by the whole memory subsystem.
 */
#ifndef MM_TYPES_H
#define MM_TYPES_H

#include <stdint.h>

/* A physical address.  64 bits on every arch, so LPAE-style RAM fits too. */
typedef uint64_t paddr_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ul << PAGE_SHIFT)
#define PAGE_MASK  (PAGE_SIZE - 1)

/* Allocation flags understood by every allocator (pages, slabs, kmalloc). */
#define MM_ZERO    (1u << 0)   /* return zeroed memory */

#endif
