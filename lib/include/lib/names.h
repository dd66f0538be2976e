/* Lists of names on the command line and in the shell ("a,b,c" or "all"). */
#ifndef LIB_NAMES_H
#define LIB_NAMES_H

/* Does the comma-separated @list name @name?  NULL and "all" name all. */
int name_in_list(const char *list, const char *name);

#endif
