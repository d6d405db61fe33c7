/* SPDX-License-Identifier: MIT */
/*
 * Audit: one structured event per file operation (who, what, which pin,
 * success or error code, latency, the value's hash — never the value).
 *
 * audit_submit() never blocks on I/O and never fails the operation: the
 * event is copied into a bounded queue that a background thread writes, in
 * batches, to the tenant's backend (memory_audit; RBAC decisions go to
 * rbac_audit). When the queue is full, or RBAC decisions already fill half
 * of it, or it is half full and the event's uid already has an eighth of
 * it waiting, the event is dropped, counted (pinfs_audit_dropped_total)
 * and warned about at most once per interval: no uid can crowd the others
 * out. A batch whose content the backend refuses (-EINVAL) is written
 * again row by row, so only the refused rows are lost. Text fields are
 * made valid UTF-8 on submission ('?' for stray bytes).
 * Recent events also stay in a ring in memory, numbered, so
 * /.system/audit readers can follow them; rendered lines escape U+0085,
 * U+2028 and U+2029.
 *
 * Thread-safe. The lock is held only to copy an event.
 */
#ifndef PINFS_AUDIT_H
#define PINFS_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pinfs/audit_event.h"
#include "pinfs/backend.h"
#include "pinfs/macro.h"

struct audit;

/* queue_cap: events waiting for the writer; ring_cap: recent events kept for readers. */
struct audit *audit_new(size_t queue_cap, size_t ring_cap);
/*
 * A ring only, for a change feed (/.system/events): events are submitted
 * with a NULL backend and render as {"time", "op", "tenant", "key",
 * "version"} (version null when unknown, as in audit lines).
 */
struct audit *audit_new_changes(size_t ring_cap);
/* Stops the writer after it wrote what was queued (bounded wait), then frees. */
struct audit *audit_free(struct audit *a);
PFS_DEFINE_FREEP(struct audit, audit_free)

/* Starts the writer thread (after fork: fuse_daemonize keeps only the caller's thread). */
int audit_start(struct audit *a);

/* Queues ev for be (which must outlive a); be NULL: ring only (no route). */
void audit_submit(struct audit *a, struct backend *be, const struct audit_event *ev);
void audit_submit_rbac(struct audit *a, struct backend *be, const struct rbac_event *ev);

/* Whether a reader may see an event (tenant scope). */
typedef bool (*audit_filter)(void *ctx, const char *tenant);

/*
 * Renders as JSON lines (newest last) the ring's events numbered from
 * *cursor on that filter accepts, appending to *buf (realloc'd; *len and
 * *cap updated), and advances *cursor past them. A cursor of 0 starts at
 * the oldest event still in the ring. Returns the number of events
 * rendered or -ENOMEM.
 */
int audit_read(struct audit *a, uint64_t *cursor, audit_filter filter, void *filter_ctx,
	       char **buf, size_t *len, size_t *cap);

/* The number the next event will get (a new reader that wants only new events starts here). */
uint64_t audit_next_seq(struct audit *a);

/* The value hash field: SHA-256 (OpenSSL) of value, first 16 hex. */
void audit_hash_value(const char *value, size_t len, char out[17]);

#endif /* PINFS_AUDIT_H */
