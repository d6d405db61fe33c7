/* SPDX-License-Identifier: MIT */
/*
 * Revocation: what happens when access may have been taken away (a policy
 * reload, a token bound or unbound, a bound token's expiry). Issue 13
 * items 4 and 5; docs/decisions.md, "Revocation reaches what is held".
 *
 *   - fs_access_generation() (fs_i.h) changes at once: every open handle then
 *     checks its caller's rights again before its next request
 *     (fs_grant_check in fs_access.h), so a held descriptor stops working
 *     when the same open would be refused now;
 *   - the revocation thread then asks, for every tenant node the kernel
 *     holds, whether each of its past walkers (inode_table_note_walker)
 *     may still read it. Where one may not, the kernel could answer it
 *     from its caches through what it holds (a cwd, a directory
 *     descriptor): that tenant node and its pins become uncacheable for as
 *     long as the kernel holds them (inode_table_revoke), the kernel is
 *     told to forget the pins' entries and attributes, and the tenant's
 *     entry in the root, so that a tenant nobody holds any more is
 *     forgotten and its next walk makes a fresh node that caches again.
 *     The pass is made again 200 ms later, for replies computed before the
 *     mark and sent after the first pass. A bound token's expiry wakes the
 *     thread by a timer.
 *
 * The thread is not a request handler and holds no lock a request takes
 * while it calls the kernel (libfuse #341). fs_revoke_note only flags and
 * wakes it: request handlers may call it.
 */
#ifndef PINFS_FS_REVOKE_H
#define PINFS_FS_REVOKE_H

#include <stdint.h>

struct fs;

/* What fs_new and fs_free set up and tear down. */
void fs_revoke_init(struct fs *fs);
void fs_revoke_destroy(struct fs *fs);
int fs_revoke_start(struct fs *fs);
/* Stops the thread and waits for it. */
void fs_revoke_stop(struct fs *fs);

/*
 * Access may have been taken away from someone: bumps the generation now
 * and has the thread make the kernel forget, within a second, what a loser
 * could reach through its caches.
 */
void fs_revoke_note(struct fs *fs);

#endif /* PINFS_FS_REVOKE_H */
