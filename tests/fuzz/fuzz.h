/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets and replay.c: the libFuzzer entry point's
 * prototype (each fuzz_<target>.c defines it, and nothing else exported),
 * and FUZZ_CHECK, which reports a broken invariant and abort()s so both
 * libFuzzer and the replay suite count it as a crash. Invariants are about
 * the code under test, never about the input: any input is allowed.
 */
#ifndef PINFS_FUZZ_H
#define PINFS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__,     \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The same, with a printf-style explanation. */
#define FUZZ_CHECK_MSG(cond, ...)                                                                  \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant violated: %s: ", __FILE__, __LINE__,     \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* A NUL-terminated copy of data[0..size) (which may itself hold NULs). Aborts on OOM. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s != NULL);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif /* PINFS_FUZZ_H */
