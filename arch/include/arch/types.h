/*
 * The machine's address types and page size, shared by every layer.  One
 * page size on every arch: 4 KiB (Sv39/Sv48 pages, the AArch64 4 KiB
 * granule).
 */
#ifndef ARCH_TYPES_H
#define ARCH_TYPES_H

#include <stdint.h>

/* A physical address.  64 bits on every arch, so LPAE-style RAM fits too. */
typedef uint64_t paddr_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ul << PAGE_SHIFT)
#define PAGE_MASK  (PAGE_SIZE - 1)

#endif
