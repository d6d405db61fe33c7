/* SPDX-License-Identifier: MIT */
/*
 * struct pfs_error carries a parser's detailed complaint (where and what)
 * back to a caller that decides whether to log it, print it or show it in
 * a file. Pure modules fill it instead of logging.
 */
#ifndef PINFS_ERROR_H
#define PINFS_ERROR_H

#include "pinfs/macro.h"

struct pfs_error {
	int code;	/* negative errno, 0 when unset */
	int line;	/* 1-based, 0 when not applicable */
	char message[512];
};

/*
 * Fills *err (which may be NULL) and returns code, so parsers can write
 * "return pfs_error_set(reterr, -EINVAL, 0, "...", ...);".
 */
int pfs_error_set(struct pfs_error *err, int code, int line, const char *fmt, ...)
	PFS_PRINTF(4, 5);

/* Prefixes the existing message with "what: " (for nested context). */
void pfs_error_prefix(struct pfs_error *err, const char *fmt, ...) PFS_PRINTF(2, 3);

#endif /* PINFS_ERROR_H */
