/* SPDX-License-Identifier: MIT */
/*
 * The records audit writes: plain value types shared by the audit module
 * (which queues them) and the backends (which store them in memory_audit
 * and rbac_audit). No value of a pin ever appears here, only its hash.
 */
#ifndef PINFS_AUDIT_EVENT_H
#define PINFS_AUDIT_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define AUDIT_TENANT_MAX 64
#define AUDIT_KEY_MAX 1024
#define AUDIT_SUBJECT_MAX 128
#define AUDIT_CODE_MAX 48
#define AUDIT_OP_MAX 16

/* One file operation (system.memory_audit). */
struct audit_event {
	int64_t time_us;			/* microseconds since the epoch */
	char operation[AUDIT_OP_MAX];		/* read, upsert, delete, rename, expire, ... */
	char tenant[AUDIT_TENANT_MAX + 1];
	char key[AUDIT_KEY_MAX + 1];
	int64_t uid;				/* -1: not a user's request (reaper) */
	char subject[AUDIT_SUBJECT_MAX];	/* "token:SUB" or "uid:N" (fs_subject_name) */
	bool success;
	char error_code[AUDIT_CODE_MAX];	/* "" on success */
	double latency_ms;
	char value_sha256[17];			/* first 16 hex of SHA-256(value), or "" */
	/*
	 * The pin's version the operation wrote or read (a refused conditional
	 * commit: the version it expected); 0: none.
	 */
	int64_t version;
};

/* One RBAC decision (system.rbac_audit). */
struct rbac_event {
	int64_t time_us;
	char subject[AUDIT_SUBJECT_MAX];
	int64_t uid;
	char resource[32];
	char action[32];
	char decision[16];			/* allow, deny, would_deny */
	char reason[32];
	char tenant[AUDIT_TENANT_MAX + 1];
	char key[AUDIT_KEY_MAX + 1];
	char policy_version[64];
};

#endif /* PINFS_AUDIT_EVENT_H */
