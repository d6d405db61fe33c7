/* SPDX-License-Identifier: MIT */
/*
 * Populates every metric family (every operation, FUSE op, RBAC dimension
 * and backend gauge, plus label values that need escaping or UTF-8 repair)
 * and prints metrics_render()'s output to stdout, for promtool_check.sh to
 * feed to `promtool check metrics`. Exits non-zero if rendering fails.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pinfs/metrics.h"

int main(void)
{
	static const double latencies[] = {0.0001, 0.0007, 0.002, 0.004, 0.02, 0.3, 1.5, 12.0};
	char *text = NULL;
	size_t len = 0;
	int slots[3];
	int r;

	metrics_reset();
	for (int op = 0; op < METRICS__OP_COUNT; op++)
		for (size_t i = 0; i < sizeof(latencies) / sizeof(latencies[0]); i++)
			metrics_op_done(op, i % 3 != 0, latencies[i] * (op + 1));
	for (int op = 0; op < METRICS__FUSE_COUNT; op++)
		for (int i = 0; i <= op; i++)
			metrics_fuse_request(op);
	for (int res = 0; res < METRICS__RES_COUNT; res++)
		for (int dec = 0; dec < METRICS__DEC_COUNT; dec++)
			metrics_rbac_decision(res, (res + dec) % METRICS__ACT_COUNT, dec,
					      (res * 3 + dec) % METRICS__REASON_COUNT);
	metrics_policy_load(true);
	metrics_policy_load(false);
	metrics_policy_version("2024-06-01.3", "sha256:9f86d081884c7d65");
	metrics_audit_event();
	metrics_audit_dropped();
	metrics_cache(true);
	metrics_cache(false);
	metrics_missing_route();
	for (int l = 0; l < METRICS__LIMIT_COUNT; l++) {
		metrics_limit_refused(l, METRICS_LIMIT_SHARE);
		metrics_limit_refused(l, (l % 2) ? METRICS_LIMIT_TOTAL : METRICS_LIMIT_SHARE);
		metrics_limit_in_use(l, 10 + l);
	}

	slots[0] = metrics_backend_register("postgresql://pinfs@db1/pins");
	slots[1] = metrics_backend_register("sqlite:///var/lib/pinfs/lab.db");
	/* A hostile display name: quote, backslash, newline, invalid UTF-8. */
	slots[2] = metrics_backend_register("postgresql://x@\"db\\2\"/p\nq\xff\xc3\xa9");
	for (int i = 0; i < 3; i++) {
		if (slots[i] < 0) {
			fprintf(stderr, "metrics_dump: could not register backend: %d\n", slots[i]);
			return 1;
		}
		metrics_backend_up(slots[i], i != 1);
		metrics_pool_in_use(slots[i], i + 1);
		metrics_pool_wait(slots[i]);
	}

	r = metrics_render(&text, &len);
	if (r < 0) {
		fprintf(stderr, "metrics_dump: could not render metrics: %d\n", r);
		return 1;
	}
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
		free(text);
		return 1;
	}
	free(text);
	metrics_reset();
	return 0;
}
