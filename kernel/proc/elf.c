/*
 * The ELF loader (kernel/proc/elf.h).  Layouts from the System V ABI's
 * ELF-64 object file format: the file header, program headers (PT_LOAD,
 * PT_INTERP, PF_*), and the auxiliary vector's AT_* types that Linux
 * passes a static program (include/uapi/linux/auxvec.h).
 */
#include <string.h>
#include <arch/arch.h>
#include <lib/err.h>
#include <mm/aspace.h>
#include <mm/boot_mmu.h>
#include <mm/heap.h>
#include <mm/usercopy.h>
#include <proc/elf.h>
#include <proc/proc.h>

struct elf64_ehdr {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define ET_EXEC    2
#define EM_AARCH64 183
#define EM_RISCV   243
#define PT_LOAD    1
#define PT_INTERP  3
#define PF_X       1
#define PF_W       2
#define PF_R       4

#if ARCH_riscv64
#define ELF_MACHINE EM_RISCV
#else
#define ELF_MACHINE EM_AARCH64
#endif

enum {
	AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6,
	AT_BASE = 7, AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12,
	AT_GID = 13, AT_EGID = 14, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23,
	AT_RANDOM = 25, AT_EXECFN = 31,
};

#define ARGS_MAX  4096      /* bytes of argument and environment strings */
#define ARGV_MAX  64        /* pointers in argv and envp each */
#define STRBUF    (ARGS_MAX + 64)   /* the strings, the program name, AT_RANDOM */

static uint64_t page_down(uint64_t a) { return a & ~(uint64_t)PAGE_MASK; }
static uint64_t page_up(uint64_t a) { return (a + PAGE_MASK) & ~(uint64_t)PAGE_MASK; }

static unsigned perms_of(uint32_t flags)
{
	return MMU_READ | (flags & PF_W ? MMU_WRITE : 0) | (flags & PF_X ? MMU_EXEC : 0);
}

static int check_header(const struct elf64_ehdr *eh, size_t size)
{
	static const unsigned char magic[7] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };

	if (size < sizeof(*eh) || memcmp(eh->ident, magic, sizeof(magic)) ||
	    eh->type != ET_EXEC || eh->machine != ELF_MACHINE ||
	    eh->phentsize != sizeof(struct elf64_phdr) || !eh->phnum ||
	    eh->phoff > size || eh->phnum > (size - eh->phoff) / sizeof(struct elf64_phdr) ||
	    eh->phoff % 8)
		return E_INVAL;
	return E_OK;
}

static int check_segment(const struct elf64_phdr *ph, size_t size, const struct aspace *as)
{
	if (ph->type == PT_INTERP)
		return E_INVAL;                   /* static programs only */
	if (ph->type != PT_LOAD || !ph->memsz)
		return E_OK;
	if ((ph->flags & (PF_W | PF_X)) == (PF_W | PF_X))
		return E_PERM;
	if (ph->filesz > ph->memsz || ph->offset > size || ph->filesz > size - ph->offset ||
	    (ph->vaddr & PAGE_MASK) != (ph->offset & PAGE_MASK))
		return E_INVAL;
	if (ph->vaddr + ph->memsz < ph->vaddr || page_up(ph->vaddr + ph->memsz) < ph->vaddr)
		return E_OVERFLOW;
	if (page_down(ph->vaddr) < as->base || page_up(ph->vaddr + ph->memsz) > as->end)
		return E_RANGE;
	return E_OK;
}

/*
 * A segment's file pages come from the image's own frames in the kernel,
 * mapped private copy-on-write (as Linux maps a program's segments,
 * private file mappings): reading and executing them copies nothing, and
 * a page is copied only when the program writes it (a writable segment,
 * or one the program made writable with mprotect: the image itself can
 * never be written).  When bss follows the file's bytes, the rest of
 * their last page is zeroed (that copies the page), and pages past the
 * file's end are anonymous.  An image that is not page-aligned in the
 * kernel is copied instead.
 */
static int load_segment(struct aspace *as, const struct elf64_phdr *ph,
                        const unsigned char *img)
{
	uintptr_t start = page_down(ph->vaddr), addr = start;
	uint64_t end = page_up(ph->vaddr + ph->memsz);
	uint64_t file_end = ph->filesz ? page_up(ph->vaddr + ph->filesz) : start;
	unsigned perms = perms_of(ph->flags), rw = MMU_READ | MMU_WRITE;
	int rc = E_OK;

	if ((uintptr_t)img & PAGE_MASK) {
		rc = aspace_map_anon(as, &addr, end - start, 0, rw, 0);
		if (rc == E_OK && ph->filesz)
			rc = copy_to_user(ph->vaddr, img + ph->offset, ph->filesz);
		if (rc == E_OK && perms != rw)
			rc = aspace_protect(as, start, end - start, perms);
		return rc;
	}
	if (file_end > start) {
		struct mem_obj *image = phys_obj_create(kernel_image_pa(img + page_down(ph->offset)),
		                                        file_end - start, 0);
		int zero = ph->memsz > ph->filesz && ph->vaddr + ph->filesz < file_end;

		rc = image ? aspace_map_private(as, &addr, file_end - start, 0, zero ? rw : perms, 0,
		                                image, 0) : E_NOMEM;
		if (image)
			mem_obj_put(image);
		if (rc == E_OK && zero) {
			static const char zeros[PAGE_SIZE];

			rc = copy_to_user(ph->vaddr + ph->filesz, zeros,
			                  file_end - (ph->vaddr + ph->filesz));
			if (rc == E_OK && perms != rw)
				rc = aspace_protect(as, start, file_end - start, perms);
		}
	}
	if (rc == E_OK && end > file_end) {
		addr = file_end;
		rc = aspace_map_anon(as, &addr, end - file_end, 0, perms, 0);
	}
	return rc;
}

/* Push @n bytes at the top of the stack image being built. */
static uintptr_t push(unsigned char *buf, size_t *used, uintptr_t top, const void *src,
                      size_t n)
{
	*used += n;
	memcpy(buf + STRBUF - *used, src, n);
	return top - *used;
}

static int count(char *const v[], size_t *n)
{
	*n = 0;
	while (v && v[*n])
		if (++*n > ARGV_MAX)
			return E_OVERFLOW;
	return E_OK;
}

/*
 * The initial stack, from the top: the strings (argv, envp, the program
 * name for AT_EXECFN), 16 random bytes for AT_RANDOM, then, 16-byte
 * aligned at the new sp: argc, argv[], NULL, envp[], NULL, auxv pairs
 * ending with AT_NULL (Linux's create_elf_tables()).
 */
static int stack_setup(struct proc *p, uintptr_t top, const struct elf64_ehdr *eh,
                       uintptr_t phdr, const char *name, char *const argv[],
                       char *const envp[])
{
	size_t argc, envc, used = 0;
	int rc = count(argv, &argc);

	if (rc == E_OK)
		rc = count(envp, &envc);
	if (rc)
		return rc;

	/* Strings, then pointers: one buffer, copied out at once. */
	unsigned char *buf = kmalloc(STRBUF, 0);
	uint64_t vec[2 * ARGV_MAX + 2 + 2 * 20];
	uintptr_t argp[ARGV_MAX], envpp[ARGV_MAX], execfn, random;
	size_t nv = 0;

	if (!buf)
		return E_NOMEM;
	size_t strings = strnlen(name, PROC_NAME_MAX) + 1;
	for (size_t i = 0; i < envc; i++)
		strings += strlen(envp[i]) + 1;
	for (size_t i = 0; i < argc; i++)
		strings += strlen(argv[i]) + 1;
	if (strings > ARGS_MAX) {
		kfree(buf);
		return E_OVERFLOW;
	}
	execfn = push(buf, &used, top, name, strnlen(name, PROC_NAME_MAX) + 1);
	buf[STRBUF - used + strnlen(name, PROC_NAME_MAX)] = '\0';
	for (size_t i = envc; i-- > 0;)
		envpp[i] = push(buf, &used, top, envp[i], strlen(envp[i]) + 1);
	for (size_t i = argc; i-- > 0;)
		argp[i] = push(buf, &used, top, argv[i], strlen(argv[i]) + 1);
	/* Not secret here (nothing in the kernel is random yet): a fixed
	 * pattern mixed with the pid, for programs that only need 16 bytes. */
	unsigned char rnd[16];
	for (unsigned i = 0; i < sizeof(rnd); i++)
		rnd[i] = (unsigned char)(0x5a ^ (i * 37) ^ p->pid);
	random = push(buf, &used, top, rnd, sizeof(rnd));
	used = (used + 15) & ~(size_t)15;

	vec[nv++] = argc;
	for (size_t i = 0; i < argc; i++)
		vec[nv++] = argp[i];
	vec[nv++] = 0;
	for (size_t i = 0; i < envc; i++)
		vec[nv++] = envpp[i];
	vec[nv++] = 0;
	const uint64_t aux[][2] = {
		{ AT_PHDR, phdr }, { AT_PHENT, sizeof(struct elf64_phdr) },
		{ AT_PHNUM, eh->phnum }, { AT_PAGESZ, PAGE_SIZE }, { AT_BASE, 0 },
		{ AT_FLAGS, 0 }, { AT_ENTRY, eh->entry }, { AT_UID, 0 }, { AT_EUID, 0 },
		{ AT_GID, 0 }, { AT_EGID, 0 }, { AT_HWCAP, 0 }, { AT_CLKTCK, 100 },
		{ AT_SECURE, 0 }, { AT_RANDOM, random }, { AT_EXECFN, execfn },
		{ AT_NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(aux) / sizeof(aux[0]); i++) {
		vec[nv++] = aux[i][0];
		vec[nv++] = aux[i][1];
	}
	/* The vector keeps sp 16-byte aligned. */
	if (nv % 2)
		vec[nv++] = 0;
	size_t vbytes = nv * sizeof(vec[0]);
	uintptr_t sp = top - used - vbytes;

	rc = copy_to_user(top - used, buf + STRBUF - used, used);
	if (rc == E_OK)
		rc = copy_to_user(sp, vec, vbytes);
	kfree(buf);
	p->sp = sp;
	return rc;
}

int elf_exec(struct proc *p, const struct user_prog *prog, char *const argv[],
             char *const envp[])
{
	const unsigned char *img = prog->start;
	size_t size = (size_t)(prog->end - prog->start);
	const struct elf64_ehdr *eh = (const void *)img;
	struct aspace *as = p->as, *prev = aspace_current();
	uint64_t hi = 0, lo = UINT64_MAX;
	uintptr_t phdr = 0;
	int rc = check_header(eh, size);

	if (rc)
		return rc;
	const struct elf64_phdr *ph = (const void *)(img + eh->phoff);
	for (unsigned i = 0; i < eh->phnum && rc == E_OK; i++) {
		rc = check_segment(&ph[i], size, as);
		if (ph[i].type == PT_LOAD && ph[i].memsz) {
			if (page_up(ph[i].vaddr + ph[i].memsz) > hi)
				hi = page_up(ph[i].vaddr + ph[i].memsz);
			if (page_down(ph[i].vaddr) < lo)
				lo = page_down(ph[i].vaddr);
			if (eh->phoff >= ph[i].offset && eh->phoff < ph[i].offset + ph[i].filesz)
				phdr = ph[i].vaddr + (eh->phoff - ph[i].offset);
		}
	}
	if (rc == E_OK && !hi)
		rc = E_INVAL;                     /* nothing to load */
	if (rc)
		return rc;

	aspace_switch(as);
	for (unsigned i = 0; i < eh->phnum && rc == E_OK; i++)
		if (ph[i].type == PT_LOAD && ph[i].memsz)
			rc = load_segment(as, &ph[i], img);
	/* Below the image nothing is placed unasked (Linux keeps
	 * mmap_min_addr free and maps top-down; mmap here takes the lowest
	 * free range, which must be above the brk window). */
	if (rc == E_OK && lo > as->base) {
		uintptr_t base = as->base;

		rc = aspace_map_anon(as, &base, lo - as->base, 0, 0, 0);
	}

	/* brk: a reserved window (no access) above the image, which brk()
	 * turns into memory from its bottom up; mmap without an address
	 * goes above it. */
	uintptr_t stack_top = as->end - PAGE_SIZE;
	uintptr_t stack = stack_top - USER_STACK_SIZE;
	if (rc == E_OK) {
		uintptr_t brk = hi;

		p->brk_start = p->brk = hi;
		p->brk_limit = hi + USER_BRK_WINDOW;
		rc = aspace_map_anon(as, &brk, USER_BRK_WINDOW, 0, 0, 0);
	}
	if (rc == E_OK)
		rc = aspace_map_anon(as, &stack, USER_STACK_SIZE, 0, MMU_READ | MMU_WRITE,
		                     VAREA_STACK);
	if (rc == E_OK) {
		char *const dflt[] = { (char *)prog->name, NULL };

		rc = stack_setup(p, stack_top, eh, phdr, prog->name,
		                 argv && argv[0] ? argv : dflt, envp);
	}
	p->entry = eh->entry;
	aspace_switch(prev);
	return rc;
}
