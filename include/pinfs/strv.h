/* SPDX-License-Identifier: MIT */
/*
 * String vectors: arrays of n owned strings (never NULL-terminated: the
 * count travels with them), as policies and token claims hold them.
 */
#ifndef PINFS_STRV_H
#define PINFS_STRV_H

#include <stddef.h>

/* Frees the n strings of v and v itself (v may be NULL). */
void strv_free(char **v, size_t n);

/* The i-th string of a source (a JSON array, a C array, ...), borrowed. */
typedef const char *(*strv_get_fn)(const void *ctx, size_t i);

/*
 * A new vector of copies of get(ctx, 0..n-1) (an allocation even for n 0).
 * -ENOMEM, with nothing left allocated.
 */
int strv_collect(size_t n, strv_get_fn get, const void *ctx, char ***ret);
/* A new vector of copies of src[0..n-1]. */
int strv_dup(char *const *src, size_t n, char ***ret);

#endif /* PINFS_STRV_H */
