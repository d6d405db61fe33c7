/* SPDX-License-Identifier: MIT */
/*
 * Small compiler-attribute wrappers and ownership helpers shared by every
 * module. Nothing here allocates or does I/O.
 */
#ifndef PINFS_MACRO_H
#define PINFS_MACRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PFS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define PFS_NODISCARD __attribute__((warn_unused_result))
#define PFS_MALLOC __attribute__((malloc))
#define PFS_CLEANUP(f) __attribute__((cleanup(f)))
#define PFS_UNUSED __attribute__((unused))

#define PFS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* free() through a pointer-to-pointer, for PFS_CLEANUP. */
static inline void pfs_freep(void *p)
{
	free(*(void **)p);
}
#define PFS_AUTOFREE PFS_CLEANUP(pfs_freep)

/* Generates "static inline void fnp(type **p)" calling fn(*p), for PFS_CLEANUP. */
#define PFS_DEFINE_FREEP(type, fn)                                                                 \
	static inline void fn##p(type **p)                                                         \
	{                                                                                          \
		if (*p)                                                                            \
			(void)fn(*p);                                                              \
	}

/* Takes ownership out of a cleanup-managed local: returns *pp and clears it. */
static inline void *steal_ptr(void *pp)
{
	void **p = (void **)pp;
	void *v = *p;

	*p = NULL;
	return v;
}

/*
 * Copies src into dst[size], cut if it must be, always terminated (size > 0).
 * A cut falls before a UTF-8 character, never inside one (a continuation
 * byte is 10xxxxxx; at most 3 of them follow a lead byte), so a record cut
 * to its field stays valid text for the database and for JSON.
 */
static inline void pfs_strcpy_cut(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	for (int i = 0; i < 3 && src[n] != '\0' && n > 0 &&
			((unsigned char)src[n] & 0xc0) == 0x80;
	     i++)
		n--;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Whether a and b are equal strings, or both NULL. */
static inline bool pfs_streq_or_null(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

#endif /* PINFS_MACRO_H */
