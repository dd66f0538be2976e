#include <stdio.h>
#include <string.h>
#include <lib/cmdline.h>
#include <lib/err.h>

/* Options with a value; the value must be non-empty. */
static const char **value_slot(struct cmdline *c, const char *key)
{
	if (!strcmp(key, "ktest"))
		return &c->ktest;
	if (!strcmp(key, "bench"))
		return &c->bench;
	if (!strcmp(key, "mmu"))
		return &c->mmu;
	return NULL;
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
		*eq = '\0';
		const char **slot = value_slot(c, w);
		if (slot && eq[1]) {
			*slot = eq + 1;
			return;
		}
		*eq = '=';
	}
	printf("cmdline: unknown option '%s' ignored\n", w);
	c->unknown++;
}

int cmdline_parse(const char *line, struct cmdline *out)
{
	size_t len = strlen(line);

	memset(out, 0, sizeof(*out));
	if (len >= CMDLINE_MAX)
		return E_RANGE;
	memcpy(out->buf, line, len + 1);
	for (char *p = out->buf; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		char *w = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		parse_word(out, w);
	}
	return E_OK;
}
