/* SPDX-License-Identifier: MIT */
/*
 * FNV-1a, 64 bits: the one string hash of the daemon's in-memory tables
 * and of the names it turns into numbers (tenant inode numbers). Not for
 * anything an attacker may choose to collide on purpose with a cost.
 */
#ifndef PINFS_HASH_H
#define PINFS_HASH_H

#include <stdint.h>

#define PFS_FNV_OFFSET 0xcbf29ce484222325ull
#define PFS_FNV_PRIME 0x100000001b3ull

/* Continues hash h over the bytes of the string s. */
static inline uint64_t pfs_fnv1a(uint64_t h, const char *s)
{
	for (const char *p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * PFS_FNV_PRIME;
	return h;
}

/* Continues hash h over one byte (a separator between fields). */
static inline uint64_t pfs_fnv1a_byte(uint64_t h, unsigned char b)
{
	return (h ^ b) * PFS_FNV_PRIME;
}

#endif /* PINFS_HASH_H */
