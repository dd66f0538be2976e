/*
 * The kernel's own table for the host tests of address spaces: what
 * kernel/kmap.c defines in the kernel.  Tests make kernel_pt with
 * pt_create() on the fake MMU before aspace_kernel_init(); the empty user
 * root is never walked (the fake arch_mmu_activate_user() ignores it).
 */
#include <kernel/kmap.h>

struct pt kernel_pt;
paddr_t kmap_empty_user_root;
