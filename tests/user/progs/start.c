/*
 * Process start as Linux lays it out: argc, argv and envp on the stack,
 * the auxiliary vector after them, a 16-byte aligned stack pointer; the
 * image's segments loaded (data initialised, bss zero) and main's return
 * value as the exit status.  Run as `start one two`.
 */
#include <string.h>

#include <utest.h>

extern char _start[];

static int initialised = 42;
static char zeroed[8192];
static const char text_in_rodata[] = "rodata";

int main(int argc, char **argv, char **envp)
{
	const uint64_t *ehdr = (const uint64_t *)0x400000;
	unsigned long phdr = u_getauxval(U_AT_PHDR);
	const unsigned char *rnd = (const unsigned char *)u_getauxval(U_AT_RANDOM);

	ut_eq("argc", argc, 3);
	ut_true("argv[0] is the program's name", strcmp(argv[0], "start") == 0);
	ut_true("argv[1] is one", strcmp(argv[1], "one") == 0);
	ut_true("argv[2] is two", strcmp(argv[2], "two") == 0);
	ut_true("argv ends with NULL", argv[argc] == NULL);
	ut_true("envp follows argv", envp == argv + argc + 1);
	ut_true("stack pointer 16-byte aligned", ((unsigned long)u_entry_sp & 15) == 0);
	ut_eq("AT_PAGESZ", (long)u_getauxval(U_AT_PAGESZ), 4096);
	ut_true("AT_ENTRY is _start", u_getauxval(U_AT_ENTRY) == (unsigned long)_start);
	ut_true("AT_PHDR is the image's program headers",
		phdr == 0x400000 + ((const uint32_t *)ehdr)[8]);  /* e_phoff, low half */
	ut_eq("AT_PHENT", (long)u_getauxval(U_AT_PHENT), 56);
	ut_eq("AT_PHNUM", (long)u_getauxval(U_AT_PHNUM), ((const uint16_t *)ehdr)[28]);
	ut_true("AT_RANDOM given", rnd != NULL);
	if (rnd)  /* 16 bytes the process can read (a fault ends the run) */
		(void)(ut_read8(rnd) + ut_read8(rnd + 15));
	ut_true("ELF magic at the load address", (ehdr[0] & 0xffffffff) == 0x464c457f);
	ut_eq("data initialised", initialised, 42);
	ut_true("bss zero", ut_is_zero(zeroed, sizeof(zeroed)));
	ut_true("rodata readable", strcmp(text_in_rodata, "rodata") == 0);
	return ut_done();
}
