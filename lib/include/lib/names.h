/* Lists of names on the command line and in the shell ("a,b,c" or "all"). */
#ifndef LIB_NAMES_H
#define LIB_NAMES_H

#include <stddef.h>

/*
 * Step through the comma-separated @list: store the next name after
 * *@pos in @name and @len (not NUL-terminated) and move *@pos past it.
 * Empty names (",,", a leading or trailing comma) are skipped, so ",,,"
 * holds no name at all.  Start with *@pos = @list.  Returns 1, or 0 when
 * no name is left.
 */
int name_list_next(const char **pos, const char **name, size_t *len);

/* Does the comma-separated @list name @name?  NULL and "all" name all. */
int name_in_list(const char *list, const char *name);

#endif
