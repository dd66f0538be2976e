#include <stdio.h>
#include <string.h>
#include <lib/cmdline.h>
#include <lib/err.h>
#include <lib/names.h>

/* Options with a value (non-empty); *@is_list: a list of names ("a,b"). */
static const char **value_slot(struct cmdline *c, const char *key, int *is_list)
{
	*is_list = 1;
	if (!strcmp(key, "ktest"))
		return &c->ktest;
	if (!strcmp(key, "bench"))
		return &c->bench;
	if (!strcmp(key, "urun"))
		return &c->urun;
	*is_list = 0;
	if (!strcmp(key, "mmu"))
		return &c->mmu;
	return NULL;
}

/* Does @value name nothing: "" or, for a list, only empty names? */
static int names_nothing(const char *value, int is_list)
{
	const char *name;
	size_t len;

	return is_list ? !name_list_next(&value, &name, &len) : !*value;
}

static void parse_word(struct cmdline *c, char *w)
{
	char *eq = strchr(w, '=');

	if (!eq) {
		if (!strcmp(w, "poweroff")) {
			c->poweroff = 1;
			return;
		}
	} else {
		int is_list;

		*eq = '\0';
		const char **slot = value_slot(c, w, &is_list);
		*eq = '=';
		if (slot && !names_nothing(eq + 1, is_list)) {
			*slot = eq + 1;
			return;
		}
		if (slot) {
			printf("cmdline: empty value in '%s' ignored\n", w);
			c->unknown++;
			return;
		}
	}
	printf("cmdline: unknown option '%s' ignored\n", w);
	c->unknown++;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

int cmdline_parse(const char *line, char *buf, size_t size, struct cmdline *out)
{
	size_t used = 0;

	memset(out, 0, sizeof(*out));
	for (const char *p = line; *p;) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		size_t len = 0;
		while (p[len] && !is_space(p[len]))
			len++;
		if (len + 1 > size - used) {
			out->cut = p;
			printf("cmdline: longer than %zu bytes; ignored from byte %zu on: '%s'\n",
			       size ? size - 1 : 0, (size_t)(p - line), p);
			return E_RANGE;
		}
		memcpy(buf + used, p, len);
		buf[used + len] = '\0';
		parse_word(out, buf + used);
		used += len + 1;
		p += len;
	}
	return E_OK;
}

int cmdline_find(const char *line, const char *key, char *buf, size_t size)
{
	const char *value = NULL;
	int len;

	for (const char *p = line; *p;) {
		while (is_space(*p))
			p++;
		/* Does the word at p start with "key="? */
		size_t k = 0;
		while (key[k] && p[k] == key[k])
			k++;
		if (!key[k] && p[k] == '=' && p[k + 1] && !is_space(p[k + 1]))
			value = p + k + 1;
		while (*p && !is_space(*p))
			p++;
	}
	if (!value)
		return -1;
	/* volatile: stores the compiler cannot turn into a memcpy() call. */
	for (len = 0; value[len] && !is_space(value[len]); len++)
		if ((size_t)len + 1 < size)
			((volatile char *)buf)[len] = value[len];
	if (size)
		((volatile char *)buf)[(size_t)len + 1 < size ? (size_t)len : size - 1] = '\0';
	return len;
}
