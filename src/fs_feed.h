/* SPDX-License-Identifier: MIT */
/*
 * The change feed and kernel invalidation. Each backend with a feed
 * (PostgreSQL LISTEN/NOTIFY) announces every change, from every host, on a
 * thread of its driver; here each announcement drops what the daemon's
 * cache and the kernel hold about the pin and becomes a line of
 * /.system/events. A backend without a feed (SQLite: this daemon is its
 * only writer) gets its events from fs_changed, called by the modules that
 * change pins.
 *
 * Kernel invalidations are sent only from the feed threads, never from a
 * request handler and never under a lock a request takes (DESIGN.md 9).
 * Caches are trusted only while fs_feed_vouches() says the feed is up.
 */
#ifndef PINFS_FS_FEED_H
#define PINFS_FS_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "pinfs/backend.h"

struct fs;

/* Starts the feed of every backend that has one and is not yet followed. */
void fs_feed_start(struct fs *fs);
/* Stops every feed (before the backends and caches go). */
void fs_feed_stop(struct fs *fs);

/* Whether backend no's change feed vouches for what is cached (connected now). */
bool fs_feed_vouches(struct fs *fs, unsigned no);

/*
 * This mount changed (tenant, key) on backend no: drops the daemon's cached
 * copy, and with entry (a pin appeared, went or moved) what it knew of the
 * tenant (its existence and times); on a backend without a feed appends the
 * event to /.system/events.
 */
void fs_changed(struct fs *fs, unsigned no, enum pin_change_op op, const char *tenant,
		const char *key, bool entry);
/* fs_changed for a change that left the pin at version (0: unknown), shown in the event. */
void fs_changed_version(struct fs *fs, unsigned no, enum pin_change_op op, const char *tenant,
			const char *key, bool entry, int64_t version);

#endif /* PINFS_FS_FEED_H */
