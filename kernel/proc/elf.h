/*
 * Loading a static ELF64 executable into a new process
 * (kernel/proc/elf.c).
 */
#ifndef PROC_ELF_H
#define PROC_ELF_H

struct proc;
struct user_prog;

/*
 * Map @prog's PT_LOAD segments into @p's (empty) aspace, each with its
 * own permissions, W^X kept:
 *  - the file's pages map the image's own frames in the kernel private
 *    copy-on-write, as Linux maps a program's segments: text and
 *    read-only data are never copied, a page is copied when first
 *    written (data, or after an mprotect), the image is never written;
 *  - the rest (bss) is anonymous and zero;
 * then reserve the brk window above the highest segment, map the user
 * stack (USER_STACK_SIZE, a guard page below) at the top of user space
 * and lay out argc, argv, envp and the auxiliary vector on it as Linux
 * does for a static program.  Sets p->entry, p->sp and the brk fields.
 * Returns E_OK; E_INVAL (not a static ELF64 executable of this machine,
 * or malformed), E_PERM (a writable and executable segment), E_RANGE (a
 * segment outside user space), E_EXIST (segments overlap), E_OVERFLOW
 * (arguments larger than a page of strings), E_NOMEM.
 */
int elf_exec(struct proc *p, const struct user_prog *prog, char *const argv[],
             char *const envp[]);

#endif
