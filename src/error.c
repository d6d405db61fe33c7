/* SPDX-License-Identifier: MIT */
/* Error detail for parsers: see include/pinfs/error.h. */
#include "pinfs/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pfs_error_set(struct pfs_error *err, int code, int line, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void pfs_error_prefix(struct pfs_error *err, const char *fmt, ...)
{
	char prefix[256];
	char old[sizeof(err->message)];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof(old));
	snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old);
}
