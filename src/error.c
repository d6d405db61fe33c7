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
	char prefix[sizeof(err->message)];
	size_t plen, mlen, room;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
	va_end(ap);
	strcat(prefix, ": ");
	plen = strlen(prefix);
	mlen = strlen(err->message);
	room = sizeof(err->message) - 1;
	if (plen > room)
		plen = room;
	if (plen + mlen > room)
		mlen = room - plen;
	memmove(err->message + plen, err->message, mlen);
	memcpy(err->message, prefix, plen);
	err->message[plen + mlen] = '\0';
}
