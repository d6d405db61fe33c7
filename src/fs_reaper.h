/* SPDX-License-Identifier: MIT */
/*
 * The reaper: a thread that deletes expired pins on every routed backend
 * every reaper_interval_s seconds (0: never), and the same work on demand
 * (/.system/expire). Each expiry is dropped from the caches, announced as
 * an event where the backend has no feed, and shown in /.system/audit (the
 * backend writes its audit row in the deleting transaction).
 */
#ifndef PINFS_FS_REAPER_H
#define PINFS_FS_REAPER_H

struct fs;

int fs_reaper_start(struct fs *fs);
/* Stops the thread and waits for it (a running expiry finishes first). */
void fs_reaper_stop(struct fs *fs);
/* Makes the thread re-read its interval (after a reload). */
void fs_reaper_wake(struct fs *fs);

/* Deletes expired pins on every routed backend now; returns how many, or -errno. */
int fs_expire_now(struct fs *fs, const char *source);

#endif /* PINFS_FS_REAPER_H */
