/*
 * The first page tables.  This runs from the arch entry code at the
 * kernel's physical load address with the MMU off, before anything else
 * in C: the image is linked at KERNEL_IMAGE_BASE, so code here must not
 * follow an absolute pointer (no printf, no string tables, no function
 * pointers from data).  Addresses taken here are physical; link-time
 * (virtual) addresses are read from data words the linker filled in.
 *
 * It builds two small tables from a static pool:
 *   kernel (upper half): the image at its link address (text RX, rodata R,
 *     data RW), linear-map windows of 2 MiB blocks around the image and
 *     around the device tree, and the early UART page;
 *   identity (lower half): the image at its physical address, so the
 *     code that turns the MMU on keeps running and can return.
 * The entry code then jumps to the virtual address and calls kernel_main,
 * which builds the real kernel table (mm/boot/kmap_init.c, kmap_init()) and drops these.
 *
 * The table depth comes from arch_mmu_probe() and the command line's
 * "mmu=" option, read here with cmdline_find().  Nothing can be printed
 * yet, so what it saw is kept for boot_mmu_report(), which kernel_main
 * calls once the console is up.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <arch/mmu.h>
#include <mm/boot_mmu.h>
#include <lib/cmdline.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include <mm/layout.h>

#define POOL_PAGES 16

extern char __image_start[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __image_end[];

/* Link-time (virtual) addresses, filled in by the linker. */
/* volatile: a real load of the stored word, not &__image_start recomputed
 * PC-relatively (which would give the physical address again). */
static const volatile uintptr_t link_image_start = (uintptr_t)__image_start;

static pte_t pool[POOL_PAGES][PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static unsigned pool_used;

/* Results for the virtual half of boot. */
struct boot_window boot_linear_window[2];
paddr_t boot_kernel_pa;          /* physical address of __image_start */
uintptr_t boot_va_offset;        /* link address - load address */
paddr_t boot_early_root;         /* the early kernel table */
paddr_t boot_early_ident_root;   /* the early identity table (secondary CPUs boot on it) */
unsigned boot_early_kernel_pages; /* its table pages, the root included */
unsigned boot_early_status;      /* BOOT_MMU_* */

static pte_t *table_at(pte_t *slot, unsigned level)
{
	if (arch_pte_kind(*slot, level) == PTE_TABLE)
		return (pte_t *)(uintptr_t)arch_pte_pa(*slot);
	if (pool_used == POOL_PAGES)
		return NULL;
	pte_t *t = pool[pool_used++];   /* .bss: already zero */
	*slot = arch_pte_table((uintptr_t)t);
	return t;
}

/* Map [va, va + size) to pa with leaves of @leaf's size (0: 4 KiB, 1: 2 MiB). */
static int map(pte_t *root, uintptr_t va, paddr_t pa, uint64_t size, unsigned flags, unsigned leaf)
{
	unsigned top = arch_pt_levels() - 1;
	uint64_t step = PT_LEVEL_SIZE(leaf);

	for (uint64_t off = 0; off < size; off += step) {
		uintptr_t v = va + off;
		pte_t *t = root;

		for (unsigned level = top; level > leaf; level--) {
			t = table_at(&t[(v >> (PAGE_SHIFT + PT_INDEX_BITS * level)) % PT_ENTRIES], level);
			if (!t)
				return -1;
		}
		t[(v >> (PAGE_SHIFT + PT_INDEX_BITS * leaf)) % PT_ENTRIES] =
			arch_pte_leaf(pa + off, flags, leaf);
	}
	return 0;
}

static uintptr_t pa_of(const char *sym)
{
	return (uintptr_t)sym;   /* running at the load address: & is physical */
}

/* The image's segments at physical address + @off, with @g = MMU_GLOBAL
 * for the kernel half or 0 for the identity half. */
static int map_image(pte_t *root, uintptr_t off, unsigned g)
{
	uintptr_t text = pa_of(__text_start), etext = pa_of(__text_end);
	uintptr_t ro = pa_of(__rodata_start), ero = pa_of(__rodata_end);
	uintptr_t data = pa_of(__data_start), end = pa_of(__image_end);

	return map(root, text + off, text, etext - text, MMU_READ | MMU_EXEC | g, 0) ||
	       map(root, ro + off, ro, ero - ro, MMU_READ | g, 0) ||
	       map(root, data + off, data, end - data, MMU_READ | MMU_WRITE | g, 0);
}

/* The command line's "mmu=" value as read here, and what
 * arch_mmu_probe() made of it, for boot_mmu_report(). */
static char mmu_mode[16];
static int mmu_mode_len;       /* its full length; 0: no "mmu=" */
static int mmu_mode_answer;

/* Read "mmu=" (the last non-empty one, as cmdline_parse() keeps) and let
 * the arch pick the table depth. */
static void probe(const void *dtb)
{
	struct fdt fdt;
	int n = -1;

	if (!fdt_init(&fdt, dtb, 2u << 20))
		n = cmdline_find(fdt_bootargs(&fdt), "mmu", mmu_mode, sizeof(mmu_mode));
	mmu_mode_len = n > 0 ? n : 0;
	/* A value cut to fit is 15 characters long, longer than any
	 * mode's name, so the arch cannot take it for one. */
	mmu_mode_answer = arch_mmu_probe(n > 0 ? mmu_mode : NULL);
}

/* Big-endian 32-bit load, byte by byte (Device memory, MMU off). */
static uint32_t be32(const void *p)
{
	const volatile uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* [base, end) grown to 2 MiB boundaries. */
static void window(struct boot_window *w, paddr_t base, paddr_t end)
{
	uint64_t two = PT_LEVEL_SIZE(1);

	w->base = base & ~(two - 1);
	w->end = (end + two - 1) & ~(two - 1);
}

/* Build both tables for the current depth and try to turn them on. */
static int build_and_enable(const void *dtb)
{
	pte_t *kroot, *iroot;
	unsigned rw = MMU_READ | MMU_WRITE | MMU_GLOBAL;

	/* Plain stores: library memset may use cache operations that fault
	 * while memory is Device memory (aarch64 with the MMU off). */
	for (volatile pte_t *p = &pool[0][0]; p < &pool[0][0] + POOL_PAGES * PT_ENTRIES; p++)
		*p = 0;
	pool_used = 0;
	boot_early_status = 0;
	kroot = pool[pool_used++];
	iroot = pool[pool_used++];
	boot_early_root = (uintptr_t)kroot;
	boot_early_ident_root = (uintptr_t)iroot;
	/* Linear-map windows in 2 MiB blocks around the image and the
	 * device tree: RAM, as far as anything is known before the tree is
	 * read; the rest of RAM is mapped exactly later (mm/kmap.c). */
	struct boot_window *kw = &boot_linear_window[0], *dw = &boot_linear_window[1];
	window(kw, boot_kernel_pa, pa_of(__image_end));
	window(dw, (uintptr_t)dtb, (uintptr_t)dtb + be32((const uint8_t *)dtb + 4));
	if (dw->base < kw->end && kw->base < dw->end) {   /* overlapping: one window */
		kw->base = kw->base < dw->base ? kw->base : dw->base;
		kw->end = kw->end > dw->end ? kw->end : dw->end;
		dw->base = dw->end = 0;
	}
	if (map_image(kroot, boot_va_offset, MMU_GLOBAL) ||
	    map(kroot, KERNEL_LINEAR_BASE + kw->base, kw->base, kw->end - kw->base, rw, 1) ||
	    map(kroot, KERNEL_LINEAR_BASE + dw->base, dw->base, dw->end - dw->base, rw, 1) ||
	    map(kroot, BOOT_EARLY_UART_PAGE_VA, EARLY_UART_BASE & ~(PAGE_SIZE - 1), PAGE_SIZE,
	        MMU_READ | MMU_WRITE | MMU_DEVICE | MMU_GLOBAL, 0))
		boot_early_status = BOOT_MMU_POOL_EXHAUSTED;

	boot_early_kernel_pages = pool_used - 1;   /* all but the identity root */

	/* The identity half: the image where it runs now, so this function
	 * can return (text, stack, data) after translation is on. */
	arch_pt_user_root_init(iroot, kroot);
	if (map_image(iroot, 0, 0))
		boot_early_status = BOOT_MMU_POOL_EXHAUSTED;

	return arch_mmu_enable((uintptr_t)kroot, (uintptr_t)iroot);
}

paddr_t boot_mmu_early(const void *dtb)
{
	boot_kernel_pa = pa_of(__image_start);
	boot_va_offset = link_image_start - boot_kernel_pa;
	probe(dtb);
	if (build_and_enable(dtb))
		build_and_enable(dtb);   /* the depth fell back to 3 levels */
	return boot_va_offset;
}

/* Called from kernel_main with the console up: printf is fine here. */
void boot_mmu_report(void)
{
	unsigned levels = arch_pt_levels();
	const char *more = mmu_mode_len >= (int)sizeof(mmu_mode) ? "..." : "";

	if (!mmu_mode_len)
		return;
	if (mmu_mode_answer == E_NOTSUP)
		printf("mmu: option 'mmu=%s%s' does not apply on %s (the table depth is "
		       "chosen when the kernel is built); ignored, using %s\n",
		       mmu_mode, more, ARCH_NAME, arch_mmu_mode_name(levels));
	else if (mmu_mode_answer < 0)
		printf("mmu: unknown or unsupported mode 'mmu=%s%s' ignored; using %s\n",
		       mmu_mode, more, arch_mmu_mode_name(levels));
	else if ((unsigned)mmu_mode_answer != levels)
		printf("mmu: 'mmu=%s' is not supported by this CPU; using %s\n",
		       mmu_mode, arch_mmu_mode_name(levels));
}
