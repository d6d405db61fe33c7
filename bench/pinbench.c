/* SPDX-License-Identifier: MIT */
/*
 * pinbench: the loops of the "Performance and coherence" issue, run against
 * any directory (a pinfs tenant, bindfs over tmpfs, tmpfs itself) and against
 * PostgreSQL directly through libpq, so that bench/run.sh can print each
 * figure next to its floor.
 *
 *   read DIR N ROUNDS                 open/read-to-EOF/close of N small files
 *   write DIR N ROUNDS                open(O_WRONLY|O_TRUNC|O_CREAT)/write/close
 *   write-par DIR N ROUNDS THREADS    the same from THREADS threads, N keys each
 *   pg-upsert CONNINFO N ROUNDS [THREADS]   prepared INSERT ... ON CONFLICT DO UPDATE
 *   pg-select CONNINFO N ROUNDS       prepared SELECT by (tenant_id, key)
 *   coherence DIR_A DIR_B N           write on A, poll-read on B until visible
 *   fill DIR N                        create N small files (untimed set-up)
 *
 * Every loop uses the same values (make_value) and the same key names on
 * every target; every file is opened by its full path, as `cat DIR/KEY`
 * would. Writes are checked up to and including close(): on pinfs the
 * close is the commit. Each timed loop is preceded by one untimed pass over
 * the same keys, so the timed rounds update existing entries (rows, files)
 * and start warm. pg-upsert runs one statement per value in autocommit mode:
 * one commit per value, the durability of one pinfs close.
 *
 * Output: one line per run, "pinbench CMD key=value ...", that run.sh parses
 * (ops_per_s for the loops; p50_ms, p99_ms, max_ms for coherence). Errors go
 * to stderr and end the run with status 1. Not part of the daemon: it does
 * not follow the module layout and links nothing of pinfs_core.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "pinfs/macro.h"

#define BENCH_MAX_THREADS 256
#define BENCH_VALUE_MAX 256
#define BENCH_READ_BUF (64 * 1024)
/* A coherence iteration that takes longer than this counts as a timeout. */
#define BENCH_COHERENCE_DEADLINE_S 5.0

static const char *opt_tenant = "pgbench";
static bool opt_no_fill;

static void die(const char *fmt, ...) PFS_PRINTF(1, 2) __attribute__((noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("pinbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of the whole process, every thread included. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long parse_count(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die("invalid %s \"%s\" (expected %ld..%ld)", what, s, min, max);
	return v;
}

/* The small JSON value number i; the same bytes go to files and to libpq. */
static size_t make_value(char *buf, size_t cap, unsigned long i)
{
	int n = snprintf(buf, cap, "{\"i\": %lu, \"name\": \"pinbench\", \"on\": true}\n", i);

	if (n < 0 || (size_t)n >= cap)
		die("value buffer too small");
	return (size_t)n;
}

/* Key names: PREFIX + thread + index, e.g. "r000042", "p03-000042". */
static void make_key(char *buf, size_t cap, char prefix, int thread, long i)
{
	int n;

	if (thread < 0)
		n = snprintf(buf, cap, "%c%06ld", prefix, i);
	else
		n = snprintf(buf, cap, "%c%02d-%06ld", prefix, thread, i);
	if (n < 0 || (size_t)n >= cap)
		die("key buffer too small");
}

static void make_path(char *buf, size_t cap, const char *dir, const char *key)
{
	int n = snprintf(buf, cap, "%s/%s", dir, key);

	if (n < 0 || (size_t)n >= cap)
		die("path too long: %s/%s", dir, key);
}

/* ---- file loops ------------------------------------------------------------ */

/* open/write/close of one value; returns 0 or -errno (close included). */
static int write_file(const char *path, const char *val, size_t len)
{
	ssize_t w;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	w = write(fd, val, len);
	if (w < 0)
		r = -errno;
	else if ((size_t)w != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* open/read until EOF/close; returns the byte count or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	size_t total = 0;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf + total, cap - total - 1);
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total + 1 >= cap) {
			r = -EFBIG;
			break;
		}
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return r;
	buf[total] = '\0';
	return (ssize_t)total;
}

static void fill_dir(const char *dir, char prefix, long n)
{
	char key[64], path[PATH_MAX], val[BENCH_VALUE_MAX];
	size_t len;
	int r;

	for (long i = 0; i < n; i++) {
		make_key(key, sizeof(key), prefix, -1, i);
		make_path(path, sizeof(path), dir, key);
		len = make_value(val, sizeof(val), (unsigned long)i);
		r = write_file(path, val, len);
		if (r < 0)
			die("could not write \"%s\": %s", path, strerror(-r));
	}
}

/* The CPU clock (cpu_s) when the timed part started; print_rate reports from it. */
static double cpu_t0;

static double start_clock(void)
{
	cpu_t0 = cpu_s();
	return now_s();
}

static void print_rate(const char *cmd, const char *target, long ops, double secs, int threads)
{
	double cpu = cpu_s() - cpu_t0;

	printf("pinbench %s target=%s ops=%ld threads=%d secs=%.4f ops_per_s=%.1f us_per_op=%.2f"
	       " client_cpu_us_per_op=%.2f\n",
	       cmd, target, ops, threads, secs, (double)ops / secs, secs * 1e6 / (double)ops,
	       cpu * 1e6 / (double)ops);
	fflush(stdout);
}

static int cmd_read(const char *dir, long n, long rounds)
{
	char key[64], path[PATH_MAX];
	char *buf = malloc(BENCH_READ_BUF);
	double t0 = 0, t1;
	ssize_t got;

	if (!buf)
		die("out of memory");
	if (!opt_no_fill)
		fill_dir(dir, 'r', n);
	/* One untimed pass (warm-up), then the timed rounds. */
	for (long round = -1; round < rounds; round++) {
		if (round == 0)
			t0 = start_clock();
		for (long i = 0; i < n; i++) {
			make_key(key, sizeof(key), 'r', -1, i);
			make_path(path, sizeof(path), dir, key);
			got = read_file(path, buf, BENCH_READ_BUF);
			if (got < 0)
				die("could not read \"%s\": %s", path, strerror((int)-got));
			if (got == 0)
				die("\"%s\" is empty", path);
		}
	}
	t1 = now_s();
	print_rate("read", dir, n * rounds, t1 - t0, 1);
	free(buf);
	return 0;
}

/* Writes value (round + 1) * n + i to each of the n keys of one thread. */
static int write_round(const char *dir, char prefix, int thread, long n, long round, char *ret_path,
		       size_t path_cap)
{
	char key[64], val[BENCH_VALUE_MAX];
	size_t len;
	int r;

	for (long i = 0; i < n; i++) {
		make_key(key, sizeof(key), prefix, thread, i);
		make_path(ret_path, path_cap, dir, key);
		len = make_value(val, sizeof(val), (unsigned long)((round + 1) * n + i));
		r = write_file(ret_path, val, len);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cmd_write(const char *dir, long n, long rounds)
{
	char path[PATH_MAX];
	double t0 = 0;
	int r;

	/* Round -1 is the untimed pass: it creates what does not exist yet. */
	for (long round = -1; round < rounds; round++) {
		if (round == 0)
			t0 = start_clock();
		r = write_round(dir, 'w', -1, n, round, path, sizeof(path));
		if (r < 0)
			die("could not write \"%s\": %s", path, strerror(-r));
	}
	print_rate("write", dir, n * rounds, now_s() - t0, 1);
	return 0;
}

struct write_job {
	const char *dir;
	long n, rounds;
	int thread;
	pthread_barrier_t *start;
	int err;
	char failed_path[PATH_MAX];
};

static void *write_worker(void *arg)
{
	struct write_job *job = arg;
	int r;

	for (long round = -1; round < job->rounds; round++) {
		if (round == 0)
			pthread_barrier_wait(job->start);
		r = write_round(job->dir, 'p', job->thread, job->n, round, job->failed_path,
				sizeof(job->failed_path));
		if (r < 0) {
			job->err = -r;
			/* Keep the barrier's count right for the others. */
			if (round < 0)
				pthread_barrier_wait(job->start);
			return NULL;
		}
	}
	return NULL;
}

static int cmd_write_par(const char *dir, long n, long rounds, int threads)
{
	struct write_job *jobs = calloc((size_t)threads, sizeof(*jobs));
	pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
	pthread_barrier_t start;
	double t0, t1;
	int r;

	if (!jobs || !tids)
		die("out of memory");
	/* threads + 1: the main thread starts the clock as the workers go. */
	pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
	for (int t = 0; t < threads; t++) {
		jobs[t] = (struct write_job){
		    .dir = dir, .n = n, .rounds = rounds, .thread = t, .start = &start};
		r = pthread_create(&tids[t], NULL, write_worker, &jobs[t]);
		if (r)
			die("could not create a thread: %s", strerror(r));
	}
	pthread_barrier_wait(&start);
	t0 = start_clock();
	for (int t = 0; t < threads; t++)
		pthread_join(tids[t], NULL);
	t1 = now_s();
	pthread_barrier_destroy(&start);
	for (int t = 0; t < threads; t++) {
		if (jobs[t].err)
			die("could not write \"%s\": %s", jobs[t].failed_path,
			    strerror(jobs[t].err));
	}
	print_rate("write-par", dir, n * rounds * threads, t1 - t0, threads);
	free(jobs);
	free(tids);
	return 0;
}

/* ---- libpq loops ------------------------------------------------------------- */

/* The baseline: plain prepared statements, one round trip each, autocommit. */
static const char sql_upsert[] =
    "INSERT INTO system.memory_pins (tenant_id, key, value) VALUES ($1, $2, $3::jsonb)"
    " ON CONFLICT (tenant_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()";
static const char sql_select[] =
    "SELECT value FROM system.memory_pins WHERE tenant_id = $1 AND key = $2";

static PGconn *pg_connect(const char *conninfo)
{
	PGconn *conn = PQconnectdb(conninfo);
	PGresult *res;

	if (PQstatus(conn) != CONNECTION_OK)
		die("could not connect to \"%s\": %s", conninfo, PQerrorMessage(conn));
	res = PQprepare(conn, "upsert", sql_upsert, 3, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("could not prepare the upsert: %s", PQerrorMessage(conn));
	PQclear(res);
	res = PQprepare(conn, "select", sql_select, 2, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("could not prepare the select: %s", PQerrorMessage(conn));
	PQclear(res);
	return conn;
}

/* One upsert; returns 0, or -1 with the message in conn. */
static int pg_upsert_one(PGconn *conn, const char *key, const char *val)
{
	const char *params[3] = {opt_tenant, key, val};
	PGresult *res = PQexecPrepared(conn, "upsert", 3, params, NULL, NULL, 0);
	int r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;

	PQclear(res);
	return r;
}

struct pg_job {
	const char *conninfo;
	long n, rounds;
	int thread;
	pthread_barrier_t *start;
	PGconn *conn;
	char err[512];
};

static void *pg_upsert_worker(void *arg)
{
	struct pg_job *job = arg;
	char key[64], val[BENCH_VALUE_MAX];
	char prefix = job->thread < 0 ? 'w' : 'p';

	for (long round = -1; round < job->rounds; round++) {
		if (round == 0 && job->start)
			pthread_barrier_wait(job->start);
		for (long i = 0; i < job->n; i++) {
			make_key(key, sizeof(key), prefix, job->thread, i);
			make_value(val, sizeof(val), (unsigned long)((round + 1) * job->n + i));
			if (pg_upsert_one(job->conn, key, val) < 0) {
				snprintf(job->err, sizeof(job->err), "upsert of \"%s\" failed: %s",
					 key, PQerrorMessage(job->conn));
				if (round < 0 && job->start)
					pthread_barrier_wait(job->start);
				return NULL;
			}
		}
	}
	return NULL;
}

static int cmd_pg_upsert(const char *conninfo, long n, long rounds, int threads)
{
	struct pg_job *jobs = calloc((size_t)threads, sizeof(*jobs));
	pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
	pthread_barrier_t start;
	double t0, t1;
	int r;

	if (!jobs || !tids)
		die("out of memory");
	/* Connect and prepare before the clock starts, as pinfs does at mount. */
	for (int t = 0; t < threads; t++) {
		jobs[t] = (struct pg_job){.conninfo = conninfo,
					  .n = n,
					  .rounds = rounds,
					  .thread = threads == 1 ? -1 : t,
					  .start = &start};
		jobs[t].conn = pg_connect(conninfo);
	}
	pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
	for (int t = 0; t < threads; t++) {
		r = pthread_create(&tids[t], NULL, pg_upsert_worker, &jobs[t]);
		if (r)
			die("could not create a thread: %s", strerror(r));
	}
	pthread_barrier_wait(&start);
	t0 = start_clock();
	for (int t = 0; t < threads; t++)
		pthread_join(tids[t], NULL);
	t1 = now_s();
	pthread_barrier_destroy(&start);
	for (int t = 0; t < threads; t++) {
		if (jobs[t].err[0])
			die("%s", jobs[t].err);
		PQfinish(jobs[t].conn);
	}
	print_rate("pg-upsert", "libpq", n * rounds * threads, t1 - t0, threads);
	free(jobs);
	free(tids);
	return 0;
}

static int cmd_pg_select(const char *conninfo, long n, long rounds)
{
	PGconn *conn = pg_connect(conninfo);
	char key[64], val[BENCH_VALUE_MAX];
	const char *params[2] = {opt_tenant, key};
	PGresult *res;
	double t0 = 0, t1;

	for (long i = 0; i < n && !opt_no_fill; i++) {
		make_key(key, sizeof(key), 'r', -1, i);
		make_value(val, sizeof(val), (unsigned long)i);
		if (pg_upsert_one(conn, key, val) < 0)
			die("upsert of \"%s\" failed: %s", key, PQerrorMessage(conn));
	}
	for (long round = -1; round < rounds; round++) {
		if (round == 0)
			t0 = start_clock();
		for (long i = 0; i < n; i++) {
			make_key(key, sizeof(key), 'r', -1, i);
			res = PQexecPrepared(conn, "select", 2, params, NULL, NULL, 0);
			if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
				die("select of \"%s\" failed: %s", key, PQerrorMessage(conn));
			if (PQgetlength(res, 0, 0) == 0)
				die("select of \"%s\" returned an empty value", key);
			PQclear(res);
		}
	}
	t1 = now_s();
	PQfinish(conn);
	print_rate("pg-select", "libpq", n * rounds, t1 - t0, 1);
	return 0;
}

/* ---- SQLite loop ---------------------------------------------------------------- */

/*
 * The SQLite baseline: what pinfs's driver runs against a migrated file, with
 * its settings (WAL, synchronous=FULL, a busy timeout), one autocommit upsert
 * per operation on one connection, the statement prepared once.
 */
static const char sqlite_sql_upsert[] =
    "INSERT INTO memory_pins (tenant_id, key, value) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value,"
    " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

static void sqlite_check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		die("sqlite: could not %s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static int cmd_sqlite_upsert(const char *path, long n, long rounds)
{
	char key[64], val[BENCH_VALUE_MAX];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	double t0 = 0, t1;

	sqlite_check(db, sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), "open the file");
	sqlite_check(db, sqlite3_busy_timeout(db, 5000), "set a busy timeout");
	sqlite_check(db, sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL),
		     "set WAL");
	sqlite_check(db, sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL),
		     "set synchronous");
	sqlite_check(db, sqlite3_prepare_v2(db, sqlite_sql_upsert, -1, &st, NULL),
		     "prepare the upsert");
	for (long round = -1; round < rounds; round++) {
		if (round == 0)
			t0 = start_clock();
		for (long i = 0; i < n; i++) {
			make_key(key, sizeof(key), 'w', -1, i);
			make_value(val, sizeof(val), (unsigned long)((round + 1) * n + i));
			sqlite3_bind_text(st, 1, opt_tenant, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, val, -1, SQLITE_STATIC);
			sqlite_check(db, sqlite3_step(st), "upsert");
			sqlite3_reset(st);
		}
	}
	t1 = now_s();
	sqlite3_finalize(st);
	sqlite3_close(db);
	print_rate("sqlite-upsert", "sqlite3", n * rounds, t1 - t0, 1);
	return 0;
}

/* ---- coherence ----------------------------------------------------------------- */

/* The value of "seq" in a file's content, or -1 if there is none. */
static long parse_seq(const char *content)
{
	const char *p = strstr(content, "\"seq\"");
	char *end;
	long v;

	if (!p)
		return -1;
	p += strlen("\"seq\"");
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ':')
		p++;
	v = strtol(p, &end, 10);
	return end == p ? -1 : v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double percentile(const double *v, long n, double p)
{
	long rank = (long)ceil(p / 100.0 * (double)n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* Polls B until it shows seq; returns the seconds since t0, or -1 at the deadline. */
static double wait_visible(const char *path_b, long seq, double t0, char *buf, long *ret_polls)
{
	ssize_t got;
	long polls = 0;
	double t;

	for (;;) {
		got = read_file(path_b, buf, BENCH_READ_BUF);
		t = now_s();
		polls++;
		/* ENOENT is fine before the first value has arrived. */
		if (got < 0 && got != -ENOENT)
			die("could not read \"%s\": %s", path_b, strerror((int)-got));
		if (got > 0 && parse_seq(buf) == seq)
			break;
		if (t - t0 > BENCH_COHERENCE_DEADLINE_S) {
			*ret_polls += polls;
			return -1;
		}
	}
	*ret_polls += polls;
	return t - t0;
}

static int cmd_coherence(const char *dir_a, const char *dir_b, long n)
{
	char path_a[PATH_MAX], path_b[PATH_MAX], val[BENCH_VALUE_MAX];
	double *lat = calloc((size_t)n, sizeof(*lat));
	double *wlat = calloc((size_t)n, sizeof(*wlat));
	char *buf = malloc(BENCH_READ_BUF);
	long timeouts = 0, polls = 0, base;
	double t0, t1, d;
	int len, r;

	if (!lat || !wlat || !buf)
		die("out of memory");
	make_path(path_a, sizeof(path_a), dir_a, "coherence");
	make_path(path_b, sizeof(path_b), dir_b, "coherence");
	/* Start from a value seen on both sides; seq grows across runs. */
	base = (long)time(NULL) * 1000;
	len = snprintf(val, sizeof(val), "{\n  \"seq\": %ld\n}\n", base);
	r = write_file(path_a, val, (size_t)len);
	if (r < 0)
		die("could not write \"%s\": %s", path_a, strerror(-r));
	if (wait_visible(path_b, base, now_s(), buf, &polls) < 0)
		die("the first value never appeared on \"%s\"", path_b);
	polls = 0;
	for (long i = 0; i < n; i++) {
		long seq = base + i + 1;

		/* B reads the old value first, so whatever B caches is now stale. */
		if (wait_visible(path_b, seq - 1, now_s(), buf, &polls) < 0)
			die("\"%s\" lost value %ld", path_b, seq - 1);
		len = snprintf(val, sizeof(val), "{\n  \"seq\": %ld\n}\n", seq);
		t0 = now_s();
		r = write_file(path_a, val, (size_t)len);
		t1 = now_s();
		if (r < 0)
			die("could not write \"%s\": %s", path_a, strerror(-r));
		wlat[i] = (t1 - t0) * 1e3;
		/* Visibility counts from the moment A's close returned (committed). */
		d = wait_visible(path_b, seq, t1, buf, &polls);
		if (d < 0) {
			timeouts++;
			d = BENCH_COHERENCE_DEADLINE_S;
			/* Let the value arrive before the next iteration primes B. */
			if (wait_visible(path_b, seq, now_s(), buf, &polls) < 0)
				die("value %ld never appeared on \"%s\"", seq, path_b);
		}
		lat[i] = d * 1e3;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	qsort(wlat, (size_t)n, sizeof(*wlat), cmp_double);
	printf("pinbench coherence a=%s b=%s n=%ld p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f"
	       " timeouts=%ld polls_per_iter=%.1f write_p50_ms=%.3f write_p99_ms=%.3f\n",
	       dir_a, dir_b, n, percentile(lat, n, 50), percentile(lat, n, 90),
	       percentile(lat, n, 99), lat[n - 1], timeouts, (double)polls / (double)n,
	       percentile(wlat, n, 50), percentile(wlat, n, 99));
	free(lat);
	free(wlat);
	free(buf);
	return 0;
}

/* ---- main ------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: pinbench [-t TENANT] [--no-fill] COMMAND ARGS\n"
	      "  read DIR N ROUNDS                    open/read/close of N files, ROUNDS times\n"
	      "  write DIR N ROUNDS                   open(O_TRUNC|O_CREAT)/write/close\n"
	      "  write-par DIR N ROUNDS THREADS       the same from THREADS threads, N keys each\n"
	      "  pg-upsert CONNINFO N ROUNDS [THREADS]  prepared INSERT ... ON CONFLICT DO UPDATE\n"
	      "  pg-select CONNINFO N ROUNDS          prepared SELECT by (tenant_id, key)\n"
	      "  sqlite-upsert FILE N ROUNDS          the SQLite driver's settings, one upsert each\n"
	      "  coherence DIR_A DIR_B N              write on A, poll-read B until visible\n"
	      "  fill DIR N                           create N small files (keys r000000...)\n"
	      "options:\n"
	      "  -t, --tenant TENANT  tenant_id of the pg-* and sqlite-* commands\n"
	      "                       (default \"pgbench\")\n"
	      "  --no-fill            read, pg-select: the files or rows exist already;\n"
	      "                       do not write them first\n"
	      "Each timed loop follows one untimed pass over the same keys.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"tenant", required_argument, NULL, 't'},
	    {"no-fill", no_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *cmd;
	long n, rounds;
	int c, nargs;

	while ((c = getopt_long(argc, argv, "+t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			opt_tenant = optarg;
			break;
		case 'F':
			opt_no_fill = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	argv += optind + 1;
	nargs = argc - optind - 1;

	if (strcmp(cmd, "read") == 0 && nargs == 3) {
		n = parse_count(argv[1], "N", 1, 10000000);
		rounds = parse_count(argv[2], "ROUNDS", 1, 1000000);
		return cmd_read(argv[0], n, rounds);
	}
	if (strcmp(cmd, "write") == 0 && nargs == 3) {
		n = parse_count(argv[1], "N", 1, 10000000);
		rounds = parse_count(argv[2], "ROUNDS", 1, 1000000);
		return cmd_write(argv[0], n, rounds);
	}
	if (strcmp(cmd, "write-par") == 0 && nargs == 4) {
		n = parse_count(argv[1], "N", 1, 10000000);
		rounds = parse_count(argv[2], "ROUNDS", 1, 1000000);
		return cmd_write_par(argv[0], n, rounds,
				     (int)parse_count(argv[3], "THREADS", 1, BENCH_MAX_THREADS));
	}
	if (strcmp(cmd, "pg-upsert") == 0 && (nargs == 3 || nargs == 4)) {
		n = parse_count(argv[1], "N", 1, 10000000);
		rounds = parse_count(argv[2], "ROUNDS", 1, 1000000);
		return cmd_pg_upsert(
		    argv[0], n, rounds,
		    nargs == 4 ? (int)parse_count(argv[3], "THREADS", 1, BENCH_MAX_THREADS) : 1);
	}
	if (strcmp(cmd, "pg-select") == 0 && nargs == 3) {
		n = parse_count(argv[1], "N", 1, 10000000);
		rounds = parse_count(argv[2], "ROUNDS", 1, 1000000);
		return cmd_pg_select(argv[0], n, rounds);
	}
	if (strcmp(cmd, "sqlite-upsert") == 0 && nargs == 3) {
		n = parse_count(argv[1], "N", 1, 10000000);
		rounds = parse_count(argv[2], "ROUNDS", 1, 1000000);
		return cmd_sqlite_upsert(argv[0], n, rounds);
	}
	if (strcmp(cmd, "coherence") == 0 && nargs == 3)
		return cmd_coherence(argv[0], argv[1], parse_count(argv[2], "N", 1, 10000000));
	if (strcmp(cmd, "fill") == 0 && nargs == 2) {
		fill_dir(argv[0], 'r', parse_count(argv[1], "N", 1, 10000000));
		return 0;
	}
	usage(stderr);
	return 2;
}
