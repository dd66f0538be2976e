/*
 * The user programs embedded in the kernel image: the build assembles
 * every program's ELF file into the image (build/user/<arch>/user_progs.S,
 * each file page-aligned, so read-only segments map the image's frames)
 * with a table of their names and extents.
 */
#include <string.h>
#include <proc/proc.h>

extern const struct user_prog user_prog_table[];
extern const unsigned long user_prog_count;

const struct user_prog *user_progs(size_t *n)
{
	*n = user_prog_count;
	return user_prog_table;
}

const struct user_prog *user_prog_find(const char *name)
{
	for (unsigned long i = 0; i < user_prog_count; i++)
		if (!strcmp(user_prog_table[i].name, name))
			return &user_prog_table[i];
	return NULL;
}
