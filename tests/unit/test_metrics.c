/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for metrics: every recording call moves exactly its series by
 * exactly what was recorded; histograms render cumulative buckets, an exact
 * _sum and a _count equal to the +Inf bucket; label values are escaped and
 * backends are labelled by slot number, never by their names;
 * concurrent writers lose no increments; reset forgets everything; backend
 * registration hands out stable slots and -ENOSPC past the maximum.
 * Assertions are made on rendered lines, since the text is the interface
 * Prometheus sees. Written from include/pinfs/metrics.h and DESIGN.md
 * section 8. Every test starts from metrics_reset() (the fixture).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pinfs/metrics.h"

#define THREADS 4
#define PER_THREAD 100000

static char *render(void)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(metrics_render(&text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_true(len > 0 && text[len - 1] == '\n');
	return text;
}

/* The line starting with prefix followed by a space, or NULL. */
static const char *find_sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, series, n) == 0 && line[n] == ' ')
			return line + n + 1;
		if (!nl)
			break;
		line = nl + 1;
	}
	return NULL;
}

static bool has_series(const char *text, const char *series)
{
	return find_sample(text, series) != NULL;
}

/* The value of a series, as text up to the end of its line (static buffer). */
static const char *value_of(const char *text, const char *series)
{
	static char value[64];
	const char *v = find_sample(text, series);
	size_t n;

	if (!v) {
		fail_msg("no sample for %s in:\n%s", series, text);
		return NULL;
	}
	n = strcspn(v, "\n");
	assert_true(n < sizeof(value));
	memcpy(value, v, n);
	value[n] = '\0';
	return value;
}

static unsigned long long count_of(const char *text, const char *series)
{
	const char *v = value_of(text, series);
	char *end;
	unsigned long long n = strtoull(v, &end, 10);

	assert_true(*end == '\0');
	return n;
}

static size_t count_lines_starting(const char *text, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);

	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, prefix, plen) == 0)
			n++;
		if (!nl)
			break;
		line = nl + 1;
	}
	return n;
}

static int setup(void **state)
{
	(void)state;
	metrics_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	metrics_reset();
	return 0;
}

static void test_metrics_fresh_registry_renders_required_zero_samples(void **state)
{
	static const char *const families[] = {
	    "memory_pins_operations_total",  "memory_pins_latency_seconds",
	    "rbac_decisions_total",	     "rbac_policy_loads_total",
	    "rbac_policy_version_info",	     "pinfs_backend_up",
	    "pinfs_audit_dropped_total",     "pinfs_audit_events_total",
	    "pinfs_fuse_requests_total",     "pinfs_cache_requests_total",
	    "pinfs_pool_connections_in_use", "pinfs_pool_waits_total",
	    "pinfs_missing_route_total",
	};
	char *text;
	char series[128];

	(void)state;
	text = render();
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char help[96], type[96];

		snprintf(help, sizeof(help), "# HELP %s ", families[i]);
		snprintf(type, sizeof(type), "# TYPE %s ", families[i]);
		assert_int_equal(count_lines_starting(text, help), 1);
		assert_int_equal(count_lines_starting(text, type), 1);
	}
	for (int op = 0; op < METRICS__OP_COUNT; op++) {
		snprintf(series, sizeof(series),
			 "memory_pins_operations_total{operation=\"%s\",status=\"ok\"}",
			 metrics_op_name(op));
		assert_string_equal(value_of(text, series), "0");
		snprintf(series, sizeof(series),
			 "memory_pins_operations_total{operation=\"%s\",status=\"error\"}",
			 metrics_op_name(op));
		assert_string_equal(value_of(text, series), "0");
	}
	assert_int_equal(count_lines_starting(text, "memory_pins_operations_total{"),
			 2 * METRICS__OP_COUNT);
	assert_string_equal(value_of(text, "pinfs_audit_dropped_total"), "0");
	assert_string_equal(value_of(text, "rbac_policy_loads_total{status=\"success\"}"), "0");
	assert_string_equal(value_of(text, "rbac_policy_loads_total{status=\"failure\"}"), "0");
	/* Zero-valued label combinations of the sparse families are left out. */
	assert_int_equal(count_lines_starting(text, "memory_pins_latency_seconds"), 0);
	assert_int_equal(count_lines_starting(text, "rbac_decisions_total"), 0);
	assert_int_equal(count_lines_starting(text, "rbac_policy_version_info"), 0);
	assert_int_equal(count_lines_starting(text, "pinfs_fuse_requests_total"), 0);
	assert_int_equal(count_lines_starting(text, "pinfs_backend_up"), 0);
	free(text);
}

static void test_metrics_op_done_counts_exactly_what_was_recorded(void **state)
{
	char *text;

	(void)state;
	for (int i = 0; i < 3; i++)
		metrics_op_done(METRICS_OP_READ, true, 0.001);
	for (int i = 0; i < 2; i++)
		metrics_op_done(METRICS_OP_READ, false, 0.001);
	metrics_op_done(METRICS_OP_XATTR_WRITE, true, 0.001);

	assert_int_equal(metrics_op_count(METRICS_OP_READ, true), 3);
	assert_int_equal(metrics_op_count(METRICS_OP_READ, false), 2);
	assert_int_equal(metrics_op_count(METRICS_OP_XATTR_WRITE, true), 1);
	assert_int_equal(metrics_op_count(METRICS_OP_UPSERT, true), 0);

	text = render();
	assert_int_equal(
	    count_of(text, "memory_pins_operations_total{operation=\"read\",status=\"ok\"}"), 3);
	assert_int_equal(
	    count_of(text, "memory_pins_operations_total{operation=\"read\",status=\"error\"}"), 2);
	assert_int_equal(
	    count_of(text, "memory_pins_operations_total{operation=\"xattr_write\",status=\"ok\"}"),
	    1);
	assert_int_equal(
	    count_of(text, "memory_pins_operations_total{operation=\"upsert\",status=\"ok\"}"), 0);
	free(text);
}

static void test_metrics_other_counters_count_exactly_what_was_recorded(void **state)
{
	char *text;

	(void)state;
	metrics_fuse_request(METRICS_FUSE_LOOKUP);
	metrics_fuse_request(METRICS_FUSE_LOOKUP);
	metrics_fuse_request(METRICS_FUSE_REMOVEXATTR);
	metrics_fuse_request((enum metrics_fuse_op)999); /* counted as "other" */
	metrics_rbac_decision(METRICS_RES_MEMORY_PIN, METRICS_ACT_WRITE, METRICS_DEC_DENY,
			      METRICS_REASON_NO_PERMISSION);
	metrics_rbac_decision(METRICS_RES_POLICY, METRICS_ACT_RELOAD, METRICS_DEC_WOULD_DENY,
			      METRICS_REASON_OUT_OF_SCOPE);
	metrics_rbac_decision(METRICS_RES_POLICY, METRICS_ACT_RELOAD, METRICS_DEC_WOULD_DENY,
			      METRICS_REASON_OUT_OF_SCOPE);
	metrics_rbac_decision((enum metrics_resource) - 1, METRICS_ACT_READ, METRICS_DEC_ALLOW,
			      METRICS_REASON_ROLE); /* ignored */
	metrics_policy_load(true);
	metrics_policy_load(false);
	metrics_policy_load(false);
	metrics_audit_event();
	metrics_audit_dropped();
	metrics_audit_dropped();
	metrics_cache(true);
	metrics_cache(false);
	metrics_cache(false);
	metrics_missing_route();

	assert_int_equal(metrics_audit_dropped_count(), 2);
	text = render();
	assert_int_equal(count_of(text, "pinfs_fuse_requests_total{op=\"lookup\"}"), 2);
	assert_int_equal(count_of(text, "pinfs_fuse_requests_total{op=\"removexattr\"}"), 1);
	assert_int_equal(count_of(text, "pinfs_fuse_requests_total{op=\"other\"}"), 1);
	assert_int_equal(count_lines_starting(text, "pinfs_fuse_requests_total{"), 3);
	assert_int_equal(count_of(text, "rbac_decisions_total{resource=\"memory_pin\","
					"action=\"write\",decision=\"deny\","
					"reason=\"no_permission\"}"),
			 1);
	assert_int_equal(count_of(text, "rbac_decisions_total{resource=\"policy\","
					"action=\"reload\",decision=\"would_deny\","
					"reason=\"out_of_scope\"}"),
			 2);
	assert_int_equal(count_lines_starting(text, "rbac_decisions_total{"), 2);
	assert_int_equal(count_of(text, "rbac_policy_loads_total{status=\"success\"}"), 1);
	assert_int_equal(count_of(text, "rbac_policy_loads_total{status=\"failure\"}"), 2);
	assert_int_equal(count_of(text, "pinfs_audit_events_total"), 1);
	assert_int_equal(count_of(text, "pinfs_audit_dropped_total"), 2);
	assert_int_equal(count_of(text, "pinfs_cache_requests_total{result=\"hit\"}"), 1);
	assert_int_equal(count_of(text, "pinfs_cache_requests_total{result=\"miss\"}"), 2);
	assert_int_equal(count_of(text, "pinfs_missing_route_total"), 1);
	free(text);
}

static void test_metrics_limits_count_refusals_and_follow_in_use(void **state)
{
	char *text;

	(void)state;
	text = render();
	/* Every limit and scope from the first scrape, at 0; no uid or tenant label. */
	assert_int_equal(count_lines_starting(text, "pinfs_limit_refusals_total{"), 10);
	assert_int_equal(count_lines_starting(text, "pinfs_limit_in_use{"), 5);
	assert_int_equal(
	    count_of(text, "pinfs_limit_refusals_total{limit=\"pool\",scope=\"total\"}"), 0);
	free(text);
	metrics_limit_refused(METRICS_LIMIT_OPEN_FILES, METRICS_LIMIT_SHARE);
	metrics_limit_refused(METRICS_LIMIT_OPEN_FILES, METRICS_LIMIT_SHARE);
	metrics_limit_refused(METRICS_LIMIT_STAGED_BYTES, METRICS_LIMIT_TOTAL);
	metrics_limit_refused(METRICS_LIMIT_POOL, METRICS_LIMIT_SHARE);
	metrics_limit_refused((enum metrics_limit)99, METRICS_LIMIT_SHARE);	/* ignored */
	metrics_limit_refused(METRICS_LIMIT_POOL, (enum metrics_limit_scope)7);	/* ignored */
	metrics_limit_in_use(METRICS_LIMIT_STAGED_BYTES, 1048577);
	metrics_limit_in_use(METRICS_LIMIT_STAGED_BYTES, -1);
	metrics_limit_in_use(METRICS_LIMIT_SYSTEM_HANDLES, 3);
	text = render();
	assert_int_equal(
	    count_of(text, "pinfs_limit_refusals_total{limit=\"open_files\",scope=\"share\"}"), 2);
	assert_int_equal(
	    count_of(text, "pinfs_limit_refusals_total{limit=\"open_files\",scope=\"total\"}"), 0);
	assert_int_equal(count_of(text, "pinfs_limit_refusals_total{limit=\"staged_bytes\","
					"scope=\"total\"}"),
			 1);
	assert_int_equal(
	    count_of(text, "pinfs_limit_refusals_total{limit=\"pool\",scope=\"share\"}"), 1);
	assert_int_equal(count_of(text, "pinfs_limit_in_use{limit=\"staged_bytes\"}"), 1048576);
	assert_int_equal(count_of(text, "pinfs_limit_in_use{limit=\"system_handles\"}"), 3);
	assert_int_equal(count_of(text, "pinfs_limit_in_use{limit=\"pending_names\"}"), 0);
	free(text);
	metrics_reset();
	text = render();
	assert_int_equal(count_of(text, "pinfs_limit_in_use{limit=\"system_handles\"}"), 0);
	assert_int_equal(
	    count_of(text, "pinfs_limit_refusals_total{limit=\"open_files\",scope=\"share\"}"), 0);
	free(text);
}

static void test_metrics_histogram_buckets_are_cumulative_with_exact_sum(void **state)
{
	static const struct {
		const char *le;
		unsigned long long count;
	} want[] = {
	    {"0.0005", 4}, /* 0, NaN (as 0), 0.0004 and 0.0005 itself: le is inclusive */
	    {"0.001", 4},  {"0.0025", 4}, {"0.005", 5}, /* 0.003 */
	    {"0.01", 5},   {"0.025", 5},  {"0.05", 5},	{"0.1", 5},
	    {"0.25", 5},   {"0.5", 5},	  {"1", 6},  /* 0.7 */
	    {"2.5", 6},	   {"5", 6},	  {"10", 7}, /* 10 itself */
	    {"+Inf", 8},			     /* 20 */
	};
	char *text;
	char series[128];

	(void)state;
	metrics_op_done(METRICS_OP_UPSERT, true, -1.0);
	metrics_op_done(METRICS_OP_UPSERT, true, NAN);
	metrics_op_done(METRICS_OP_UPSERT, true, 0.0004);
	metrics_op_done(METRICS_OP_UPSERT, false, 0.0005);
	metrics_op_done(METRICS_OP_UPSERT, true, 0.003);
	metrics_op_done(METRICS_OP_UPSERT, true, 0.7);
	metrics_op_done(METRICS_OP_UPSERT, true, 10.0);
	metrics_op_done(METRICS_OP_UPSERT, true, 20.0);
	metrics_op_done(METRICS_OP_DELETE, true, 0.000001234);

	text = render();
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(series, sizeof(series),
			 "memory_pins_latency_seconds_bucket{operation=\"upsert\",le=\"%s\"}",
			 want[i].le);
		assert_int_equal(count_of(text, series), want[i].count);
	}
	assert_int_equal(
	    count_lines_starting(text, "memory_pins_latency_seconds_bucket{operation=\"upsert\""),
	    15);
	/* 0.0004 + 0.0005 + 0.003 + 0.7 + 10 + 20, exactly. */
	assert_string_equal(value_of(text, "memory_pins_latency_seconds_sum{operation=\"upsert\"}"),
			    "30.703900000");
	assert_int_equal(count_of(text, "memory_pins_latency_seconds_count{operation=\"upsert\"}"),
			 8);

	assert_string_equal(value_of(text, "memory_pins_latency_seconds_sum{operation=\"delete\"}"),
			    "0.000001234");
	assert_int_equal(count_of(text, "memory_pins_latency_seconds_bucket{operation=\"delete\","
					"le=\"0.0005\"}"),
			 1);
	assert_int_equal(count_of(text, "memory_pins_latency_seconds_count{operation=\"delete\"}"),
			 1);
	/* Operations never recorded have no histogram series. */
	assert_false(has_series(text, "memory_pins_latency_seconds_count{operation=\"read\"}"));
	free(text);
}

static void test_metrics_histogram_huge_latency_is_capped_not_overflowed(void **state)
{
	char *text;

	(void)state;
	metrics_op_done(METRICS_OP_EXPIRE, true, INFINITY);
	metrics_op_done(METRICS_OP_EXPIRE, true, 1e300);
	text = render();
	assert_int_equal(count_of(text, "memory_pins_latency_seconds_bucket{operation=\"expire\","
					"le=\"10\"}"),
			 0);
	assert_int_equal(count_of(text, "memory_pins_latency_seconds_bucket{operation=\"expire\","
					"le=\"+Inf\"}"),
			 2);
	assert_string_equal(value_of(text, "memory_pins_latency_seconds_sum{operation=\"expire\"}"),
			    "2000000000.000000000");
	free(text);
}

static void test_metrics_label_values_are_escaped(void **state)
{
	char *text;
	int slot;

	(void)state;
	metrics_policy_version("v\"1\\2\nx", "sha256:ab\\cd");
	slot = metrics_backend_register("postgresql://db/\"q\"\\\n");
	assert_int_equal(slot, 0);
	metrics_backend_up(slot, true);

	text = render();
	assert_string_equal(
	    value_of(
		text,
		"rbac_policy_version_info{version=\"v\\\"1\\\\2\\nx\",hash=\"sha256:ab\\\\cd\"}"),
	    "1");
	/* Backends are labelled by slot: their names (addresses) never appear. */
	assert_string_equal(value_of(text, "pinfs_backend_up{route=\"0\"}"), "1");
	assert_null(strstr(text, "postgresql"));
	/* No raw newline leaked into the middle of a sample line. */
	assert_int_equal(count_lines_starting(text, "x\""), 0);
	free(text);
}

static void test_metrics_label_values_invalid_utf8_is_replaced(void **state)
{
	char *text;

	(void)state;
	/* Valid multi-byte UTF-8 passes through; a stray byte and a surrogate do not. */
	metrics_policy_version("caf\xc3\xa9-\xff-\xed\xa0\x80", "h");
	text = render();
	assert_string_equal(value_of(text, "rbac_policy_version_info{version=\"caf\xc3\xa9-"
					   "\xef\xbf\xbd-\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
					   "hash=\"h\"}"),
			    "1");
	free(text);
}

static void test_metrics_policy_version_replaces_previous(void **state)
{
	char *text;

	(void)state;
	metrics_policy_version("1", "aaaa");
	metrics_policy_version("2", "bbbb");
	text = render();
	assert_int_equal(count_lines_starting(text, "rbac_policy_version_info{"), 1);
	assert_string_equal(value_of(text, "rbac_policy_version_info{version=\"2\",hash=\"bbbb\"}"),
			    "1");
	free(text);
}

static void test_metrics_backend_register_returns_stable_slots(void **state)
{
	char name[32];

	(void)state;
	assert_int_equal(metrics_backend_register("postgresql:///a"), 0);
	assert_int_equal(metrics_backend_register("sqlite:///b.db"), 1);
	assert_int_equal(metrics_backend_register("postgresql:///a"), 0);
	assert_int_equal(metrics_backend_register("sqlite:///b.db"), 1);
	assert_int_equal(metrics_backend_register(NULL), -EINVAL);

	for (int i = 2; i < METRICS_MAX_BACKENDS; i++) {
		snprintf(name, sizeof(name), "sqlite:///%d.db", i);
		assert_int_equal(metrics_backend_register(name), i);
	}
	assert_int_equal(metrics_backend_register("sqlite:///one-too-many.db"), -ENOSPC);
	/* A full table still finds the names it has. */
	assert_int_equal(metrics_backend_register("sqlite:///b.db"), 1);
	snprintf(name, sizeof(name), "sqlite:///%d.db", METRICS_MAX_BACKENDS - 1);
	assert_int_equal(metrics_backend_register(name), METRICS_MAX_BACKENDS - 1);
}

static void test_metrics_backend_gauges_follow_updates(void **state)
{
	char *text;
	int a, b;

	(void)state;
	a = metrics_backend_register("postgresql:///a");
	b = metrics_backend_register("sqlite:///b.db");
	metrics_backend_up(a, true);
	metrics_backend_up(b, true);
	metrics_backend_up(b, false);
	metrics_pool_in_use(a, 3);
	metrics_pool_in_use(a, -1);
	metrics_pool_wait(a);
	metrics_pool_wait(a);
	/* Slots that were never returned are ignored, including a failed -errno. */
	metrics_backend_up(-ENOSPC, true);
	metrics_pool_wait(2);
	metrics_pool_in_use(METRICS_MAX_BACKENDS, 1);

	text = render();
	assert_string_equal(value_of(text, "pinfs_backend_up{route=\"0\"}"), "1");
	assert_string_equal(value_of(text, "pinfs_backend_up{route=\"1\"}"), "0");
	assert_string_equal(
	    value_of(text, "pinfs_pool_connections_in_use{route=\"0\"}"), "2");
	assert_string_equal(
	    value_of(text, "pinfs_pool_connections_in_use{route=\"1\"}"), "0");
	assert_string_equal(value_of(text, "pinfs_pool_waits_total{route=\"0\"}"),
			    "2");
	assert_string_equal(value_of(text, "pinfs_pool_waits_total{route=\"1\"}"),
			    "0");
	assert_int_equal(count_lines_starting(text, "pinfs_backend_up{"), 2);
	free(text);
}

static void test_metrics_reset_zeroes_counts_and_forgets_backends(void **state)
{
	char *text;

	(void)state;
	metrics_op_done(METRICS_OP_LIST, true, 0.01);
	metrics_audit_dropped();
	metrics_rbac_decision(METRICS_RES_COSTSIM, METRICS_ACT_APPROVE, METRICS_DEC_ALLOW,
			      METRICS_REASON_TOKEN);
	metrics_policy_version("7", "cafe");
	assert_int_equal(metrics_backend_register("postgresql:///a"), 0);
	assert_int_equal(metrics_backend_register("postgresql:///b"), 1);
	metrics_pool_wait(1);

	metrics_reset();

	assert_int_equal(metrics_op_count(METRICS_OP_LIST, true), 0);
	assert_int_equal(metrics_audit_dropped_count(), 0);
	text = render();
	assert_int_equal(
	    count_of(text, "memory_pins_operations_total{operation=\"list\",status=\"ok\"}"), 0);
	assert_int_equal(count_lines_starting(text, "memory_pins_latency_seconds_"), 0);
	assert_int_equal(count_lines_starting(text, "rbac_decisions_total{"), 0);
	assert_int_equal(count_lines_starting(text, "rbac_policy_version_info{"), 0);
	assert_int_equal(count_lines_starting(text, "pinfs_pool_waits_total{"), 0);
	free(text);

	/* Slots start again at 0, and a reused slot starts from zero. */
	assert_int_equal(metrics_backend_register("postgresql:///b"), 0);
	text = render();
	assert_string_equal(value_of(text, "pinfs_pool_waits_total{route=\"0\"}"),
			    "0");
	free(text);
}

static void test_metrics_op_name_names_every_operation(void **state)
{
	static const char *const want[METRICS__OP_COUNT] = {
	    "read",  "upsert", "delete",     "rename",	    "list",
	    "mkdir", "rmdir",  "xattr_read", "xattr_write", "expire",
	};

	(void)state;
	for (int op = 0; op < METRICS__OP_COUNT; op++)
		assert_string_equal(metrics_op_name(op), want[op]);
	assert_string_equal(metrics_op_name(METRICS__OP_COUNT), "unknown");
}

/* ---- concurrency -------------------------------------------------------- */

static atomic_bool writers_done;

static void *writer(void *arg)
{
	int slot = *(int *)arg;

	for (int i = 0; i < PER_THREAD; i++) {
		metrics_op_done(METRICS_OP_READ, true, 0.002);
		metrics_op_done(METRICS_OP_UPSERT, i % 4 != 0, 0.0001);
		metrics_fuse_request(METRICS_FUSE_GETATTR);
		metrics_rbac_decision(METRICS_RES_MEMORY_PIN, METRICS_ACT_READ, METRICS_DEC_ALLOW,
				      METRICS_REASON_ROLE);
		metrics_audit_dropped();
		metrics_cache(i % 2 == 0);
		metrics_pool_in_use(slot, 1);
		metrics_pool_wait(slot);
		metrics_pool_in_use(slot, -1);
	}
	return NULL;
}

/*
 * Renders (and changes the rarely-set state) while writers run. cmocka's
 * assertions may only fail on the main thread, so failures are counted.
 */
static atomic_uint reader_failures;

static void *reader(void *arg)
{
	unsigned renders = 0;

	(void)arg;
	while (!atomic_load(&writers_done) || renders == 0) {
		char *text = NULL;
		char version[16];

		if (metrics_render(&text, NULL) != 0 || !text ||
		    !strstr(text, "pinfs_pool_waits_total{route=\"0\"} "))
			atomic_fetch_add(&reader_failures, 1);
		free(text);
		snprintf(version, sizeof(version), "%u", renders++);
		metrics_policy_version(version, "hash");
		(void)metrics_backend_register("sqlite:///reader.db");
	}
	return NULL;
}

static void test_metrics_concurrent_updates_render_exact_totals(void **state)
{
	pthread_t threads[THREADS], rd;
	const unsigned long long total = (unsigned long long)THREADS * PER_THREAD;
	int slot;
	char *text;

	(void)state;
	slot = metrics_backend_register("postgresql:///shared");
	assert_int_equal(slot, 0);
	atomic_store(&writers_done, false);
	atomic_store(&reader_failures, 0);
	assert_int_equal(pthread_create(&rd, NULL, reader, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, writer, &slot), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	atomic_store(&writers_done, true);
	assert_int_equal(pthread_join(rd, NULL), 0);
	assert_int_equal(atomic_load(&reader_failures), 0);

	assert_int_equal(metrics_op_count(METRICS_OP_READ, true), total);
	assert_int_equal(metrics_op_count(METRICS_OP_UPSERT, true), total - total / 4);
	assert_int_equal(metrics_op_count(METRICS_OP_UPSERT, false), total / 4);
	assert_int_equal(metrics_audit_dropped_count(), total);

	text = render();
	assert_int_equal(
	    count_of(text, "memory_pins_operations_total{operation=\"read\",status=\"ok\"}"),
	    total);
	assert_int_equal(count_of(text, "memory_pins_latency_seconds_count{operation=\"read\"}"),
			 total);
	assert_int_equal(count_of(text, "memory_pins_latency_seconds_bucket{operation=\"read\","
					"le=\"0.001\"}"),
			 0);
	assert_int_equal(count_of(text, "memory_pins_latency_seconds_bucket{operation=\"read\","
					"le=\"0.0025\"}"),
			 total);
	/* 400000 x 2 ms = 800 s, exactly: the sum is integer nanoseconds. */
	assert_string_equal(value_of(text, "memory_pins_latency_seconds_sum{operation=\"read\"}"),
			    "800.000000000");
	assert_int_equal(count_of(text, "memory_pins_latency_seconds_count{operation=\"upsert\"}"),
			 total);
	assert_int_equal(count_of(text, "pinfs_fuse_requests_total{op=\"getattr\"}"), total);
	assert_int_equal(count_of(text, "rbac_decisions_total{resource=\"memory_pin\","
					"action=\"read\",decision=\"allow\",reason=\"role\"}"),
			 total);
	assert_int_equal(count_of(text, "pinfs_audit_dropped_total"), total);
	assert_int_equal(count_of(text, "pinfs_cache_requests_total{result=\"hit\"}"), total / 2);
	assert_int_equal(count_of(text, "pinfs_cache_requests_total{result=\"miss\"}"), total / 2);
	assert_int_equal(count_of(text, "pinfs_pool_waits_total{route=\"0\"}"),
			 total);
	assert_string_equal(
	    value_of(text, "pinfs_pool_connections_in_use{route=\"0\"}"), "0");
	assert_int_equal(count_lines_starting(text, "rbac_policy_version_info{"), 1);
	free(text);
}

static void *registrar(void *arg)
{
	int *slots = arg;
	char name[32];

	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "sqlite:///%d.db", i);
		slots[i] = metrics_backend_register(name);
	}
	return NULL;
}

static void test_metrics_concurrent_registration_agrees_on_slots(void **state)
{
	pthread_t threads[THREADS];
	int slots[THREADS][16];
	bool seen[16] = {false};

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, registrar, slots[i]), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	for (int n = 0; n < 16; n++) {
		assert_in_range(slots[0][n], 0, 15);
		assert_false(seen[slots[0][n]]);
		seen[slots[0][n]] = true;
		for (int i = 1; i < THREADS; i++)
			assert_int_equal(slots[i][n], slots[0][n]);
	}
	assert_int_equal(metrics_backend_register("sqlite:///16.db"), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_metrics_fresh_registry_renders_required_zero_samples),
	    T(test_metrics_op_done_counts_exactly_what_was_recorded),
	    T(test_metrics_other_counters_count_exactly_what_was_recorded),
	    T(test_metrics_limits_count_refusals_and_follow_in_use),
	    T(test_metrics_histogram_buckets_are_cumulative_with_exact_sum),
	    T(test_metrics_histogram_huge_latency_is_capped_not_overflowed),
	    T(test_metrics_label_values_are_escaped),
	    T(test_metrics_label_values_invalid_utf8_is_replaced),
	    T(test_metrics_policy_version_replaces_previous),
	    T(test_metrics_backend_register_returns_stable_slots),
	    T(test_metrics_backend_gauges_follow_updates),
	    T(test_metrics_reset_zeroes_counts_and_forgets_backends),
	    T(test_metrics_op_name_names_every_operation),
	    T(test_metrics_concurrent_updates_render_exact_totals),
	    T(test_metrics_concurrent_registration_agrees_on_slots),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
