#include <lib/err.h>

static const char *const names[] = {
	"E_OK", "E_INVAL", "E_NOMEM", "E_ALIGN", "E_RANGE", "E_OVERFLOW",
	"E_EXIST", "E_NOENT", "E_PERM", "E_FAULT", "E_CORRUPT", "E_BUSY",
	"E_NOSPC", "E_NOTSUP", "E_IO",
};

_Static_assert(sizeof(names) / sizeof(names[0]) == -E__LAST, "names for every code");

const char *err_str(int err)
{
	if (err > 0 || err <= E__LAST)
		return "E_?";
	return names[-err];
}
