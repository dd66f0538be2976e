#include <string.h>
#include <lib/names.h>

int name_in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (!list || !strcmp(list, "all"))
		return 1;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return 1;
		p += len + (e != NULL);
	}
	return 0;
}
