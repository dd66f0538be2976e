/*
 * MMU hooks: what the generic page-table walker (mm/pt.c) and the kernel
 * need from the arch.  Sv39, Sv48 and the AArch64 4 KiB granule are all
 * radix trees of 512 8-byte entries per 4 KiB table; the walker does the
 * tree work and the arch only encodes and decodes entries, orders table
 * writes against the hardware walker, and maintains TLBs.
 *
 * Levels are counted from the leaves: level 0 maps 4 KiB pages, level 1
 * 2 MiB blocks, level 2 1 GiB blocks; the root is level arch_pt_levels()-1.
 * Flags crossing this boundary are the arch-neutral MMU_* bits, never raw
 * PTE bits.
 */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <stdint.h>
#include <arch/cpu.h>
#include <arch/types.h>

typedef uint64_t pte_t;

/* Arch-neutral mapping flags. */
#define MMU_READ    (1u << 0)
#define MMU_WRITE   (1u << 1)
#define MMU_EXEC    (1u << 2)
#define MMU_USER    (1u << 3)   /* accessible from user mode */
#define MMU_GLOBAL  (1u << 4)   /* in every address space (kernel half) */
#define MMU_DEVICE  (1u << 5)   /* device memory: uncached, no speculation */
#define MMU_UNCACHED (1u << 6)  /* strongly ordered: uncached, no gathering */
#define MMU_WC      (1u << 7)   /* normal memory, uncached: writes may combine */
#define MMU_FLAGS_ALL 0xffu

/*
 * The memory types: at most one of these; none is normal cached memory.
 * aarch64 encodes each with its own MAIR index; riscv64 with Svpbmt's
 * PBMT field when the hart has it (NC for write-combining, IO for the
 * other two), and always in the two RSW bits, so that queries and audits
 * see the type even where the hardware cannot hold it (then PMAs decide).
 */
#define MMU_MEMTYPE (MMU_DEVICE | MMU_UNCACHED | MMU_WC)

#define PT_ENTRIES       512
#define PT_INDEX_BITS    9
#define PT_MAX_BLOCK_LEVEL 2    /* leaves above 4 KiB: 2 MiB and 1 GiB */

/* Bytes one entry at @level covers: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
#define PT_LEVEL_SIZE(level) (1ull << (PAGE_SHIFT + PT_INDEX_BITS * (level)))

enum pte_kind { PTE_NONE, PTE_TABLE, PTE_LEAF };

/* Number of levels of a translation table (3 or 4), fixed at boot. */
unsigned arch_pt_levels(void);

/*
 * The entry encoders, in <arch/pte.h> (each arch's own, inline where the
 * format allows: the walker and the fault path decode an entry at every
 * step).  Each arch defines:
 *
 * pte_t arch_pte_table(paddr_t pa): a pointer to a next-level table at
 *   physical address @pa.
 * pte_t arch_pte_leaf(paddr_t pa, unsigned flags, unsigned level): a leaf
 *   (page or block) at @level mapping physical @pa with MMU_* @flags.  The
 *   caller guarantees @pa is aligned to the level's size, the flags are
 *   valid (readable, not writable and executable) and @level is at most
 *   PT_MAX_BLOCK_LEVEL.
 * enum pte_kind arch_pte_kind(pte_t pte, unsigned level): what the entry
 *   at @level is.
 * paddr_t arch_pte_pa(pte_t pte): the physical address a table or leaf
 *   entry points to.
 * unsigned arch_pte_flags(pte_t pte): the MMU_* flags of a leaf entry.
 * pte_t arch_pte_attrs(pte_t pte): every bit of the entry but its output
 *   address, so two leaves of one level with equal attrs have equal
 *   flags, and pte ^ attrs(pte) ^ attrs(other) is @pte with the
 *   attributes of @other (a loop over many leaves decodes each kind of
 *   leaf once).
 * ARCH_PT_FLUSH_MADE_LEAF: 1 when a leaf written into an entry that was
 *   invalid needs a TLB flush of its page before this CPU surely uses it
 *   (riscv64 without Svvptc), 0 when the write and arch_pt_sync() are
 *   enough (aarch64: no TLB holds an invalid entry).
 * void arch_pte_write(pte_t *slot, pte_t val): write one entry of a live
 *   table.  Then arch_pt_sync() makes a batch of such writes visible to
 *   the hardware walker before TLB maintenance (aarch64: DSB ISHST;
 *   riscv64: a fence, sfence.vma comes after).
 */
#include <arch/pte.h>

void arch_pt_sync(void);

/*
 * TLB maintenance for address space @asid (ignored for global entries,
 * which every flush by address also removes), on the CPUs in @cpus
 * (<arch/cpu.h>; bits of CPUs that are not online are ignored).  Each
 * returns after the invalidation is complete and visible on every one of
 * them (Arm ARM D8.13 "TLB maintenance"; RISC-V privileged spec 10.2.1
 * "SFENCE.VMA" and, for other harts, the SBI RFENCE extension, whose calls
 * return once the remote fences are done).  A set that is only this CPU
 * costs a local invalidation; aarch64 broadcasts (TLBI ... IS) for any
 * other set, riscv64 asks the firmware to fence exactly the harts named.
 */
void arch_tlb_flush_page(cpumask_t cpus, unsigned asid, uintptr_t va);
void arch_tlb_flush_range(cpumask_t cpus, unsigned asid, uintptr_t va, uint64_t size);
void arch_tlb_flush_asid(cpumask_t cpus, unsigned asid);
void arch_tlb_flush_all(cpumask_t cpus);

/* Width of hardware ASIDs in bits (0: none), probed at boot. */
unsigned arch_asid_bits(void);

/*
 * Make the user table @root (physical) with @asid current on this CPU.  On
 * aarch64 this is TTBR0_EL1; on riscv64, satp (the root also holds the
 * kernel half, see arch_pt_user_root_init()).
 */
void arch_mmu_activate_user(paddr_t root, unsigned asid);

/*
 * Prepare the root of a new user table: riscv64 copies the kernel half's
 * root entries from @kernel_root (one satp for both halves); aarch64 does
 * nothing (TTBR1 holds the kernel).  Returns how many valid entries the
 * root holds now (what the walker's count of it starts from).
 */
unsigned arch_pt_user_root_init(pte_t *root, const pte_t *kernel_root);

/* Nonzero when user roots hold copies of kernel root entries (riscv64). */
int arch_pt_kernel_root_shared(void);

/*
 * The virtual range (inclusive bounds) a @levels-level table covers for
 * the kernel (@kernel = 1: upper half) or a user address space (lower
 * half).  riscv64: each half of the Sv39/Sv48 space; aarch64: TTBR1's and
 * TTBR0's whole regions.
 */
void arch_pt_va_range(unsigned levels, int kernel, uintptr_t *first, uintptr_t *last);

/*
 * Boot hooks, called at the physical load address with the MMU off (see
 * mm/boot/boot_mmu.c): they must not use absolute addresses.
 *
 * arch_mmu_probe() picks the table depth and reads the ASID width.  @mode
 * is the command line's "mmu=" value, NULL when there is none.  riscv64
 * takes "sv39" (3 levels) and "sv48" (4 levels, also the default); Sv39 is
 * used anyway when satp refuses Sv48.  aarch64 takes none: the depth is
 * the build's.  Returns the depth @mode asks for (3 or 4), 0 for NULL,
 * E_INVAL for a mode the arch does not know (its default depth is used)
 * or E_NOTSUP on an arch without modes (lib/err.h codes; the caller
 * reports them once the console is up).
 *
 * arch_mmu_enable() turns translation on with
 * @kernel_root for the upper half and @ident_root for the lower half
 * (riscv64 has one root: @ident_root, into which the kernel half has been
 * copied); execution continues at the same (identity-mapped) address.
 * Returns 0, or -1 when the hardware refused the table depth (riscv64
 * without Sv48): translation is then still off, and arch_pt_levels() has
 * dropped to 3 for another try.
 */
int arch_mmu_probe(const char *mode);
int arch_mmu_enable(paddr_t kernel_root, paddr_t ident_root);

/*
 * After the jump to the kernel's virtual addresses: make @kernel_root the
 * only kernel table (the boot identity map is gone from then on) and
 * @user_root (an empty table) the current user table.
 */
void arch_mmu_switch_kernel(paddr_t kernel_root, paddr_t user_root);

/*
 * The same on a secondary CPU, whose hardware facts (the ASID width) the
 * boot CPU found already: only this CPU's registers and TLB change.
 */
void arch_mmu_switch_kernel_cpu(paddr_t kernel_root, paddr_t user_root);

/*
 * The name of the translation mode a @levels-level table gives (riscv64:
 * "sv39", "sv48"; aarch64: "39-bit VA", "48-bit VA"), for messages.
 */
const char *arch_mmu_mode_name(unsigned levels);

/* Virtual address bits of a table (39 or 48). */
static inline unsigned pt_va_bits(unsigned levels)
{
	return PAGE_SHIFT + PT_INDEX_BITS * levels;
}

#endif
