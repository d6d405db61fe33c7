/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for progress: the line's format (counts, percentage, rate,
 * ETA; an unknown total), drawing at most every PROGRESS_INTERVAL_S with a
 * carriage return and padding over a longer line, erasing, and a disabled
 * progress writing nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pinfs/progress.h"

static void expect_line(uint64_t done, uint64_t total, double elapsed, const char *want)
{
	char buf[256];
	int n = progress_format(buf, sizeof(buf), "seed", "pins", done, total, elapsed);

	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_progress_format_counts_rate_and_eta(void **state)
{
	(void)state;
	expect_line(0, 5000, 0, "seed: 0/5000 pins (0%)");
	expect_line(0, 5000, 3, "seed: 0/5000 pins (0%)");	/* no rate from nothing */
	expect_line(1200, 5000, 0, "seed: 1200/5000 pins (24%)");	/* nor from no time */
	expect_line(1200, 5000, 2, "seed: 1200/5000 pins (24%), 600 pins/s, ETA 6s");
	expect_line(3, 100, 2, "seed: 3/100 pins (3%), 1.5 pins/s, ETA 1m05s");
	expect_line(1, 10000, 1, "seed: 1/10000 pins (0%), 1.0 pins/s, ETA 2h46m");
	expect_line(5000, 5000, 4, "seed: 5000/5000 pins (100%), 1250 pins/s");
	/* More done than counted at the start (expired meanwhile): no ETA, no 101%. */
	expect_line(5100, 5000, 4, "seed: 5100/5000 pins (100%), 1275 pins/s");
}

static void test_progress_format_unknown_total_has_no_eta(void **state)
{
	(void)state;
	expect_line(0, 0, 0, "seed: 0 pins");
	expect_line(4500, 0, 3, "seed: 4500 pins, 1500 pins/s");
}

static void test_progress_format_truncates_like_snprintf(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(progress_format(buf, sizeof(buf), "seed", "pins", 1, 2, 0),
			 (int)strlen("seed: 1/2 pins (50%)"));
	assert_string_equal(buf, "seed: 1");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A FILE whose bytes land in *buf (open_memstream; valid after fflush or fclose). */
struct sink {
	FILE *f;
	char *buf;
	size_t len;
};

static void sink_open(struct sink *k)
{
	k->buf = NULL;
	k->len = 0;
	k->f = open_memstream(&k->buf, &k->len);
	assert_non_null(k->f);
}

/* Closes the stream; returns what was written (free()). */
static char *sink_close(struct sink *k)
{
	fclose(k->f);
	assert_non_null(k->buf);
	return k->buf;
}

static void test_progress_draws_at_most_every_interval_and_erases(void **state)
{
	struct sink k;
	struct progress *p;
	double t0;
	char *out;

	(void)state;
	sink_open(&k);
	t0 = now_s();
	p = progress_new(k.f, true, "expire", "pins", 0);
	assert_non_null(p);
	progress_update_at(p, 0, t0);			/* drawn: the first */
	progress_update_at(p, 10, t0 + 0.1);		/* too soon */
	progress_update_at(p, 20, t0 + 0.2);		/* too soon */
	progress_update_at(p, 123456, t0 + 0.3);	/* drawn: a longer line */
	progress_update_at(p, 7, t0 + 0.4);		/* too soon */
	progress_update_at(p, 7, t0 + 0.6);		/* drawn: a shorter line, padded */
	p = progress_free(p);				/* erased */
	assert_null(p);
	out = sink_close(&k);
	{
		/* Rates depend on the microseconds between t0 and progress_new: cut them out. */
		char *a = strstr(out, "\rexpire: 123456 pins, ");
		char *b = strstr(out, "\rexpire: 7 pins, ");

		assert_true(strncmp(out, "\rexpire: 0 pins", 15) == 0);
		assert_non_null(a);
		assert_non_null(b);
		assert_true(a < b);
		assert_null(strstr(out, "expire: 10 pins"));
		assert_null(strstr(out, "expire: 20 pins"));
		/* The shorter line is followed by spaces and drawn again over them. */
		assert_non_null(strstr(b + 1, "   \rexpire: 7 pins, "));
	}
	/* It ends erased: a carriage return, spaces, a carriage return. */
	{
		size_t len = strlen(out);

		assert_true(len > 3 && out[len - 1] == '\r' && out[len - 2] == ' ');
	}
	free(out);
}

static void test_progress_clear_then_update_redraws(void **state)
{
	struct sink k;
	struct progress *p;
	double t0 = now_s();
	char *out;

	(void)state;
	sink_open(&k);
	p = progress_new(k.f, true, "migrate up", "backends", 3);
	progress_update_at(p, 1, t0);
	progress_clear(p);
	progress_clear(p);			/* nothing shown: nothing written */
	progress_update_at(p, 2, t0 + 0.5);
	p = progress_free(p);
	out = sink_close(&k);
	assert_true(strncmp(out, "\rmigrate up: 1/3 backends (33%)", 31) == 0);
	assert_non_null(strstr(out, "\rmigrate up: 2/3 backends (66%), "));
	free(out);
}

static void test_progress_disabled_writes_nothing(void **state)
{
	struct sink k;
	struct progress *p;
	char *out;

	(void)state;
	sink_open(&k);
	p = progress_new(k.f, false, "seed", "pins", 10);
	assert_null(p);
	progress_update(p, 1);
	progress_update_at(p, 2, 100.0);
	progress_clear(p);
	assert_null(progress_free(p));
	out = sink_close(&k);
	assert_string_equal(out, "");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_progress_format_counts_rate_and_eta),
		cmocka_unit_test(test_progress_format_unknown_total_has_no_eta),
		cmocka_unit_test(test_progress_format_truncates_like_snprintf),
		cmocka_unit_test(test_progress_draws_at_most_every_interval_and_erases),
		cmocka_unit_test(test_progress_clear_then_update_redraws),
		cmocka_unit_test(test_progress_disabled_writes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
