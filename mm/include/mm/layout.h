/*
 * The kernel's virtual address layout, the same on every arch and every
 * table depth: it fits in the top 256 GiB, the upper half of Sv39 (the
 * smallest space we run on); Sv48 and AArch64's TTBR1 region contain it.
 *
 *   0xffffffc000000000  linear map: physical address P at LINEAR_BASE + P
 *   0xffffffe000000000  kernel vareas (stacks, trampolines, ...)
 *   0xffffffff00000000  device mappings (iomap)
 *   0xffffffff80000000  the kernel image (linked at IMAGE_BASE + TEXT_OFFSET)
 *
 * User address spaces live in the lower half.
 */
#ifndef MM_LAYOUT_H
#define MM_LAYOUT_H

#define KERNEL_LINEAR_BASE  0xffffffc000000000
#define KERNEL_LINEAR_SIZE  (128ull << 30)
#define KERNEL_VAREA_BASE   0xffffffe000000000
#define KERNEL_VAREA_END    0xffffffff00000000
#define KERNEL_IOMAP_BASE   0xffffffff00000000
#define KERNEL_IOMAP_END    0xffffffff80000000
#define KERNEL_IMAGE_BASE   0xffffffff80000000

#endif
