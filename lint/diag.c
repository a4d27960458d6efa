#include "lint/diag.h"

#include <string.h>

static const char *const names[] = {
	[PGS_SEV_INFO] = "info",
	[PGS_SEV_WARNING] = "warning",
	[PGS_SEV_ERROR] = "error",
};

const char *pgs_severity_name(enum pgs_severity sev)
{
	return names[sev];
}

int pgs_severity_parse(const char *name)
{
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}
