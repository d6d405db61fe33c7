/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for audit: the queue's fairness (one uid flooding it, with
 * RBAC decisions or with operations, leaves room for every other uid's
 * events; its own extra ones are dropped and counted), one row the backend
 * refuses never costs its batch neighbours, and the ring renders every
 * event as one JSON line whatever bytes its key or subject hold (invalid
 * UTF-8 scrubbed, U+0085/U+2028/U+2029 escaped). A fake backend (the
 * vtable) records what the writer writes and can hold it back. Written
 * from include/pinfs/audit.h.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "pinfs/audit.h"
#include "pinfs/backend.h"
#include "pinfs/metrics.h"

/* ---- a recording backend ---------------------------------------------- */

#define MAX_ROWS 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static bool held;		/* appends wait while held */
static bool in_append;		/* the writer is inside an append */
static size_t n_rows, n_calls;
static int64_t row_uid[MAX_ROWS];
static char row_key[MAX_ROWS][AUDIT_KEY_MAX + 1];

static int record(const int64_t *uids, const char *const *keys, size_t n)
{
	int r = 0;

	pthread_mutex_lock(&lock);
	n_calls++;
	in_append = true;
	pthread_cond_broadcast(&changed);
	while (held)
		pthread_cond_wait(&changed, &lock);
	/* Like a CHECK constraint: a batch holding a "poison" row fails whole. */
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i], "poison") == 0)
			r = -EINVAL;
	for (size_t i = 0; r == 0 && i < n && n_rows < MAX_ROWS; i++) {
		row_uid[n_rows] = uids[i];
		snprintf(row_key[n_rows], sizeof(row_key[0]), "%s", keys[i]);
		n_rows++;
	}
	in_append = false;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
	return r;
}

static int fake_audit_append(struct backend *be, const struct audit_event *ev, size_t n)
{
	int64_t uids[256];
	const char *keys[256];

	(void)be;
	assert_true(n <= 256);
	for (size_t i = 0; i < n; i++) {
		uids[i] = ev[i].uid;
		keys[i] = ev[i].key;
	}
	return record(uids, keys, n);
}

static int fake_rbac_audit_append(struct backend *be, const struct rbac_event *ev, size_t n)
{
	int64_t uids[256];
	const char *keys[256];

	(void)be;
	assert_true(n <= 256);
	for (size_t i = 0; i < n; i++) {
		uids[i] = ev[i].uid;
		keys[i] = ev[i].key;
	}
	return record(uids, keys, n);
}

static const struct backend_ops fake_ops = {
	.name = "fake",
	.audit_append = fake_audit_append,
	.rbac_audit_append = fake_rbac_audit_append,
};

static struct backend fake = {.ops = &fake_ops, .uri_redacted = (char *)"fake://"};

static void hold(bool on)
{
	pthread_mutex_lock(&lock);
	held = on;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

/* Waits (2 s at most) until the writer sits in an append, or until n rows are in. */
static void wait_for(bool in_call, size_t rows)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&lock);
	while (in_call ? !in_append : n_rows < rows)
		if (pthread_cond_timedwait(&changed, &lock, &until) != 0)
			break;
	pthread_mutex_unlock(&lock);
}

static size_t rows_of(int64_t uid)
{
	size_t n = 0;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_rows; i++)
		n += row_uid[i] == uid;
	pthread_mutex_unlock(&lock);
	return n;
}

static int setup(void **state)
{
	metrics_reset();
	pthread_mutex_lock(&lock);
	held = in_append = false;
	n_rows = n_calls = 0;
	pthread_mutex_unlock(&lock);
	*state = audit_new(64, 256);
	assert_non_null(*state);
	return 0;
}

static int teardown(void **state)
{
	hold(false);
	assert_null(audit_free(*state));
	return 0;
}

static void submit(struct audit *a, int64_t uid, const char *key)
{
	struct audit_event ev = {.uid = uid, .success = true};

	snprintf(ev.operation, sizeof(ev.operation), "upsert");
	snprintf(ev.tenant, sizeof(ev.tenant), "acme");
	snprintf(ev.key, sizeof(ev.key), "%s", key);
	snprintf(ev.subject, sizeof(ev.subject), "uid:%lld", (long long)uid);
	audit_submit(a, &fake, &ev);
}

static void submit_denial(struct audit *a, int64_t uid)
{
	struct rbac_event ev = {.uid = uid};

	snprintf(ev.resource, sizeof(ev.resource), "memory_pin");
	snprintf(ev.action, sizeof(ev.action), "read");
	snprintf(ev.decision, sizeof(ev.decision), "deny");
	snprintf(ev.tenant, sizeof(ev.tenant), "hidden");
	snprintf(ev.key, sizeof(ev.key), "k");
	audit_submit_rbac(a, &fake, &ev);
}

/* ---- fairness ------------------------------------------------------------ */

/* The writer is stuck on its first batch; uid 1000 then floods 1000 denials. */
static void test_audit_denial_flood_leaves_room_for_other_uids(void **state)
{
	struct audit *a = *state;

	assert_int_equal(audit_start(a), 0);
	hold(true);
	submit(a, 7, "first");
	wait_for(true, 0);
	for (int i = 0; i < 1000; i++)
		submit_denial(a, 1000);
	/* RBAC decisions fill at most half the queue (32 of 64). */
	assert_int_equal(metrics_audit_dropped_count(), 1000 - 32);
	/* Every other uid still gets its share (64 / 8) queued. */
	for (int i = 0; i < 8; i++) {
		submit(a, 0, "root");
		submit(a, 10001, "user");
	}
	assert_int_equal(metrics_audit_dropped_count(), 1000 - 32);
	hold(false);
	wait_for(false, 1 + 32 + 16);
	assert_int_equal(rows_of(7), 1);
	assert_int_equal(rows_of(1000), 32);
	assert_int_equal(rows_of(0), 8);
	assert_int_equal(rows_of(10001), 8);
}

/* The same with operations (memory_audit rows) instead of denials. */
static void test_audit_operation_flood_leaves_room_for_other_uids(void **state)
{
	struct audit *a = *state;

	assert_int_equal(audit_start(a), 0);
	hold(true);
	submit(a, 7, "first");
	wait_for(true, 0);
	for (int i = 0; i < 1000; i++)
		submit(a, 1000, "flood");
	/* Up to half the queue for anyone; then a uid over its share waits its turn. */
	assert_int_equal(metrics_audit_dropped_count(), 1000 - 32);
	for (int i = 0; i < 8; i++)
		submit(a, 0, "root");
	/* Past its share root is held back too: the queue stays open to others. */
	submit(a, 0, "root-over-share");
	assert_int_equal(metrics_audit_dropped_count(), 1000 - 32 + 1);
	/* The daemon's own events (uid -1) are held to no share. */
	for (int i = 0; i < 10; i++)
		submit(a, -1, "reaper");
	assert_int_equal(metrics_audit_dropped_count(), 1000 - 32 + 1);
	hold(false);
	wait_for(false, 1 + 32 + 8 + 10);
	assert_int_equal(rows_of(1000), 32);
	assert_int_equal(rows_of(0), 8);
	assert_int_equal(rows_of(-1), 10);
}

/* Shares are given back as the writer drains the queue. */
static void test_audit_share_comes_back_after_writing(void **state)
{
	struct audit *a = *state;

	assert_int_equal(audit_start(a), 0);
	/* Bursts of up to half the queue, again and again: nothing is dropped. */
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 32; i++)
			submit(a, 1000, "burst");
		wait_for(false, (size_t)(round + 1) * 32);
	}
	assert_int_equal(rows_of(1000), 160);
	assert_int_equal(metrics_audit_dropped_count(), 0);
}

/* ---- one bad row ------------------------------------------------------------ */

static void test_audit_one_refused_row_costs_only_itself(void **state)
{
	struct audit *a = *state;
	char key[16];

	hold(true);
	assert_int_equal(audit_start(a), 0);
	submit(a, 0, "first");
	wait_for(true, 0);
	/* These queue up behind the held append and go out as one batch. */
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		submit(a, 0, key);
	}
	submit(a, 0, "poison");
	for (int i = 5; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		submit(a, 0, key);
	}
	hold(false);
	wait_for(false, 11);
	usleep(50000);	/* nothing else arrives */
	assert_int_equal(rows_of(0), 11);
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < n_rows; i++)
		assert_string_not_equal(row_key[i], "poison");
	pthread_mutex_unlock(&lock);
	assert_int_equal(metrics_audit_dropped_count(), 1);
}

/* ---- rendering ------------------------------------------------------------- */

static void test_audit_ring_renders_one_valid_json_line_per_event(void **state)
{
	struct audit *a = *state;
	struct audit_event ev = {.uid = 20001, .success = true};
	uint64_t cursor = 0;
	char *buf = NULL;
	size_t len = 0, cap = 0, lines = 0;

	snprintf(ev.operation, sizeof(ev.operation), "upsert");
	snprintf(ev.tenant, sizeof(ev.tenant), "acme");
	/* An invalid byte (a key another tool wrote) and the three line breaks JSON allows. */
	snprintf(ev.key, sizeof(ev.key), "a\xff" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d\xc2\x85" "e");
	snprintf(ev.subject, sizeof(ev.subject), "token:x\xe2\x80\xa8{\"uid\":0}");
	audit_submit(a, NULL, &ev);
	/* A subject cut in the middle of a character. */
	snprintf(ev.key, sizeof(ev.key), "k2");
	memset(ev.subject, 0, sizeof(ev.subject));
	snprintf(ev.subject, sizeof(ev.subject), "token:\xc3\xa9\xc3");
	audit_submit(a, NULL, &ev);

	assert_int_equal(audit_read(a, &cursor, NULL, NULL, &buf, &len, &cap), 2);
	assert_null(strstr(buf, "\xe2\x80\xa8"));
	assert_null(strstr(buf, "\xe2\x80\xa9"));
	assert_null(strstr(buf, "\xc2\x85"));
	for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		json_error_t err;
		json_t *o;

		*nl = '\0';
		o = json_loads(line, 0, &err);
		if (!o)
			fail_msg("line %zu is not JSON: %s: %s", lines + 1, err.text, line);
		if (lines == 0) {
			assert_string_equal(json_string_value(json_object_get(o, "key")),
					    "a?b\xe2\x80\xa8" "c\xe2\x80\xa9" "d\xc2\x85" "e");
			assert_string_equal(json_string_value(json_object_get(o, "subject")),
					    "token:x\xe2\x80\xa8{\"uid\":0}");
		} else {
			assert_string_equal(json_string_value(json_object_get(o, "subject")),
					    "token:\xc3\xa9?");
		}
		json_decref(o);
		lines++;
	}
	assert_int_equal(lines, 2);
	free(buf);
}

/* Lines carry the pin's version the event knows, null when it knows none; so do change rings. */
static void test_audit_lines_carry_the_version_or_null(void **state)
{
	struct audit *changes = audit_new_changes(4);
	struct audit_event ev = {.uid = 0, .success = true, .version = 1796303603192255};
	struct audit *rings[] = {*state, changes};

	assert_non_null(changes);
	snprintf(ev.operation, sizeof(ev.operation), "upsert");
	snprintf(ev.tenant, sizeof(ev.tenant), "acme");
	snprintf(ev.key, sizeof(ev.key), "k");
	for (size_t i = 0; i < 2; i++) {
		uint64_t cursor = 0;
		char *buf = NULL;
		size_t len = 0, cap = 0;

		ev.version = 1796303603192255;
		audit_submit(rings[i], NULL, &ev);
		ev.version = 0;
		audit_submit(rings[i], NULL, &ev);
		assert_int_equal(audit_read(rings[i], &cursor, NULL, NULL, &buf, &len, &cap), 2);
		assert_non_null(strstr(buf, "\"version\":1796303603192255}\n"));
		assert_non_null(strstr(buf, "\"version\":null}\n"));
		free(buf);
	}
	audit_free(changes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_audit_denial_flood_leaves_room_for_other_uids,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_operation_flood_leaves_room_for_other_uids,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_share_comes_back_after_writing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_audit_one_refused_row_costs_only_itself, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_audit_lines_carry_the_version_or_null, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_audit_ring_renders_one_valid_json_line_per_event,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
