#include <string.h>
#include <lib/names.h>

int name_list_next(const char **pos, const char **name, size_t *len)
{
	const char *p = *pos;

	while (*p == ',')
		p++;
	if (!*p) {
		*pos = p;
		return 0;
	}
	*name = p;
	*len = strcspn(p, ",");
	*pos = p + *len;
	return 1;
}

int name_in_list(const char *list, const char *name)
{
	size_t n = strlen(name), len;
	const char *p = list, *w;

	if (!list || !strcmp(list, "all"))
		return 1;
	while (name_list_next(&p, &w, &len))
		if (len == n && !strncmp(w, name, n))
			return 1;
	return 0;
}
