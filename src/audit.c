/* SPDX-License-Identifier: MIT */
/*
 * Audit queue, writer thread and recent-events ring (see audit.h).
 *
 * Invariants: q_len <= q_cap; q_rbac <= q_len is how many queued events are
 * RBAC decisions; the per-uid table holds, for every uid with events in the
 * queue, how many it has there; ring slots hold events seq (ring_next - n)
 * .. ring_next - 1; everything is protected by a->lock, which is never held
 * across I/O. The writer takes a batch out under the lock and writes it
 * without it.
 *
 * Fairness (what one user can do to the others' audit): the queue is one
 * FIFO, but no uid may hold more than a share of it once it is half full,
 * and RBAC decisions may fill at most half of it. So a user who makes the
 * daemon refuse it as fast as it can (each refusal is audited) fills at most
 * half the queue, and every other uid still has room for its own share of
 * operations: its events are written, the flooder's extra ones are dropped
 * and counted.
 */
#include "pinfs/audit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "pinfs/log.h"
#include "pinfs/metrics.h"
#include "pinfs/timeutil.h"
#include "pinfs/utf8.h"

#define BATCH_MAX 128
/*
 * The writer waits this long for more events before writing a batch that is
 * not full: one COPY for a burst of writes instead of one per write, which
 * halves the database work of a write loop. Events are in /.system/audit at
 * once either way.
 */
#define LINGER_MS 20
#define DROP_WARN_INTERVAL_S 60

struct queued {
	struct backend *be;
	bool rbac;
	int64_t uid;		/* whose request made it (-1: the daemon's own) */
	union {
		struct audit_event ev;
		struct rbac_event rev;
	} u;
};

/* How many queued events one uid has (n 0: a free slot). Open addressing. */
struct uid_count {
	int64_t uid;
	size_t n;
};

struct audit {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* the writer: work or stop */
	struct queued *q;		/* circular */
	size_t q_cap, q_head, q_len;
	size_t q_rbac;			/* queued RBAC decisions */
	struct uid_count *counts;	/* queued events per uid; a power of 2 >= 2 * q_cap */
	size_t counts_mask;
	int64_t last_dropped_uid;	/* for the warning */
	bool stop;
	bool started;
	pthread_t thread;

	struct audit_event *ring;
	size_t ring_cap;
	uint64_t ring_next;		/* seq of the next event */

	unsigned long long dropped_since_warn;
	time_t last_warn;
	bool changes;			/* a change feed's ring: rendered as {time, op, tenant, key} */
};

/*
 * SHA-256, fetched from OpenSSL's provider once: EVP_sha256() makes every
 * EVP_Digest fetch it again, which cost more than hashing a small pin.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

void audit_hash_value(const char *value, size_t len, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	pthread_once(&sha256_once, sha256_fetch);
	if (!EVP_Digest(value, len, md, &mdlen, sha256_md ? sha256_md : EVP_sha256(), NULL) ||
	    mdlen < 8)
		return;
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[16] = '\0';
}

struct audit *audit_new(size_t queue_cap, size_t ring_cap)
{
	struct audit *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->q_cap = queue_cap ? queue_cap : 1;
	a->ring_cap = ring_cap ? ring_cap : 1;
	a->counts_mask = 1;
	while (a->counts_mask < 2 * a->q_cap)
		a->counts_mask <<= 1;
	a->q = calloc(a->q_cap, sizeof(*a->q));
	a->ring = calloc(a->ring_cap, sizeof(*a->ring));
	a->counts = calloc(a->counts_mask, sizeof(*a->counts));
	a->counts_mask--;
	if (!a->q || !a->ring || !a->counts) {
		free(a->q);
		free(a->ring);
		free(a->counts);
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	a->ring_next = 1;
	return a;
}

/* Caller holds the lock. */
static void note_drop(struct audit *a, int64_t uid)
{
	time_t now = time(NULL);

	metrics_audit_dropped();
	a->dropped_since_warn++;
	a->last_dropped_uid = uid;
	if (now - a->last_warn >= DROP_WARN_INTERVAL_S) {
		pfs_log(LOG_WARNING,
			"audit queue full or a uid over its share (the last: uid %lld): %llu "
			"event(s) dropped since the last warning",
			(long long)a->last_dropped_uid, a->dropped_since_warn);
		a->dropped_since_warn = 0;
		a->last_warn = now;
	}
}

static size_t uid_home(const struct audit *a, int64_t uid)
{
	uint64_t h = (uint64_t)uid * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & a->counts_mask;
}

/* The slot of uid: its count, or the free slot where it would go. Caller holds the lock. */
static struct uid_count *uid_slot(struct audit *a, int64_t uid)
{
	size_t i = uid_home(a, uid);

	/* At most q_cap uids have a count, in 2 * q_cap slots: a free one is always found. */
	while (a->counts[i].n && a->counts[i].uid != uid)
		i = (i + 1) & a->counts_mask;
	return &a->counts[i];
}

/* One queued event of uid left the queue. Caller holds the lock. */
static void uid_release(struct audit *a, int64_t uid)
{
	struct uid_count *c = uid_slot(a, uid);
	size_t i, j;

	if (!c->n || --c->n)
		return;
	/* Backward-shift deletion: keep every later entry reachable from its home slot. */
	i = (size_t)(c - a->counts);
	for (j = (i + 1) & a->counts_mask; a->counts[j].n; j = (j + 1) & a->counts_mask) {
		size_t k = uid_home(a, a->counts[j].uid);

		/* Entry j may move to the hole at i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			a->counts[i] = a->counts[j];
			a->counts[j].n = 0;
			i = j;
		}
	}
}

static void enqueue(struct audit *a, struct backend *be, const struct queued *item)
{
	struct uid_count *c;
	size_t half = a->q_cap / 2, share = a->q_cap / 8;

	if (!be)
		return;
	c = uid_slot(a, item->uid);
	/*
	 * Full; or RBAC decisions already fill half the queue; or, past half
	 * full, this uid already has its share waiting (the daemon's own
	 * events, uid -1, are never held to a share).
	 */
	if (a->q_len == a->q_cap || (item->rbac && a->q_rbac >= half) ||
	    (a->q_len >= half && item->uid >= 0 && c->n >= share)) {
		note_drop(a, item->uid);
		return;
	}
	a->q[(a->q_head + a->q_len) % a->q_cap] = *item;
	a->q[(a->q_head + a->q_len) % a->q_cap].be = be;
	a->q_len++;
	a->q_rbac += item->rbac;
	c->uid = item->uid;
	c->n++;
	/* The writer sleeps on an empty queue, or lingers until a batch is full. */
	if (a->q_len == 1 || a->q_len == BATCH_MAX)
		pthread_cond_signal(&a->wake);
}

/*
 * Makes every text field valid UTF-8 (a key another tool wrote may not be):
 * the ring renders as JSON and PostgreSQL refuses invalid text, and one
 * such event must not break either for everybody else.
 */
static void scrub_event(struct audit_event *e)
{
	utf8_scrub(e->operation);
	utf8_scrub(e->tenant);
	utf8_scrub(e->key);
	utf8_scrub(e->subject);
	utf8_scrub(e->error_code);
}

static void scrub_rbac_event(struct rbac_event *e)
{
	utf8_scrub(e->subject);
	utf8_scrub(e->resource);
	utf8_scrub(e->action);
	utf8_scrub(e->decision);
	utf8_scrub(e->reason);
	utf8_scrub(e->tenant);
	utf8_scrub(e->key);
	utf8_scrub(e->policy_version);
}

void audit_submit(struct audit *a, struct backend *be, const struct audit_event *ev)
{
	struct queued item = {.rbac = false, .uid = ev->uid};

	if (!a)
		return;
	item.u.ev = *ev;
	scrub_event(&item.u.ev);
	pthread_mutex_lock(&a->lock);
	a->ring[a->ring_next % a->ring_cap] = item.u.ev;
	a->ring_next++;
	enqueue(a, be, &item);
	pthread_mutex_unlock(&a->lock);
	metrics_audit_event();
}

void audit_submit_rbac(struct audit *a, struct backend *be, const struct rbac_event *ev)
{
	struct queued item = {.rbac = true, .uid = ev->uid};

	if (!a)
		return;
	item.u.rev = *ev;
	scrub_rbac_event(&item.u.rev);
	pthread_mutex_lock(&a->lock);
	enqueue(a, be, &item);
	pthread_mutex_unlock(&a->lock);
}

static int append_rows(struct backend *be, bool rbac, const struct audit_event *evs,
		       const struct rbac_event *revs, size_t k)
{
	return rbac ? backend_rbac_audit_append(be, revs, k) : backend_audit_append(be, evs, k);
}

/*
 * Writes one batch: consecutive events of one kind for one backend. When
 * the backend refuses the rows' content (EINVAL: a data exception or a
 * constraint, never an outage), the rows go again one by one, so only the
 * ones it refuses are lost; when the backend is failing, the batch is.
 * Either way what is lost is counted.
 */
static void write_batch(struct queued *batch, size_t n)
{
	struct audit_event evs[BATCH_MAX];
	struct rbac_event revs[BATCH_MAX];
	size_t i = 0;

	while (i < n) {
		struct backend *be = batch[i].be;
		bool rbac = batch[i].rbac;
		size_t k = 0, lost;
		int r;

		while (i < n && batch[i].be == be && batch[i].rbac == rbac) {
			if (rbac)
				revs[k++] = batch[i].u.rev;
			else
				evs[k++] = batch[i].u.ev;
			i++;
		}
		r = append_rows(be, rbac, evs, revs, k);
		if (r == 0)
			continue;
		lost = k;
		if (r == -EINVAL && k > 1) {
			lost = 0;
			for (size_t j = 0; j < k; j++)
				if (append_rows(be, rbac, evs + j, revs + j, 1) < 0)
					lost++;
		}
		if (lost == 0)
			continue;
		for (size_t j = 0; j < lost; j++)
			metrics_audit_dropped();
		pfs_log(LOG_WARNING, "could not write %zu of %zu audit event(s) to \"%s\": %s", lost,
			k, backend_name(be), strerror(-r));
	}
}

static void *writer(void *arg)
{
	struct audit *a = arg;
	struct queued *batch = calloc(BATCH_MAX, sizeof(*batch));

	if (!batch)
		return NULL;
	pthread_mutex_lock(&a->lock);
	for (;;) {
		size_t n = 0;

		while (a->q_len == 0 && !a->stop)
			pthread_cond_wait(&a->wake, &a->lock);
		if (a->q_len == 0 && a->stop)
			break;
		if (a->q_len < BATCH_MAX && !a->stop) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			time_add_ms(&until, LINGER_MS);
			while (a->q_len < BATCH_MAX && !a->stop &&
			       pthread_cond_timedwait(&a->wake, &a->lock, &until) == 0)
				;
		}
		while (a->q_len > 0 && n < BATCH_MAX) {
			batch[n] = a->q[a->q_head];
			a->q_head = (a->q_head + 1) % a->q_cap;
			a->q_len--;
			a->q_rbac -= batch[n].rbac;
			uid_release(a, batch[n].uid);
			n++;
		}
		pthread_mutex_unlock(&a->lock);
		write_batch(batch, n);
		pthread_mutex_lock(&a->lock);
	}
	pthread_mutex_unlock(&a->lock);
	free(batch);
	return NULL;
}

struct audit *audit_new_changes(size_t ring_cap)
{
	struct audit *a = audit_new(1, ring_cap);

	if (a)
		a->changes = true;
	return a;
}

int audit_start(struct audit *a)
{
	if (pthread_create(&a->thread, NULL, writer, a) != 0)
		return -EAGAIN;
	a->started = true;
	return 0;
}

struct audit *audit_free(struct audit *a)
{
	if (!a)
		return NULL;
	if (a->started) {
		pthread_mutex_lock(&a->lock);
		a->stop = true;
		pthread_cond_signal(&a->wake);
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->thread, NULL);
	}
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->wake);
	free(a->q);
	free(a->ring);
	free(a->counts);
	free(a);
	return NULL;
}

uint64_t audit_next_seq(struct audit *a)
{
	uint64_t seq;

	pthread_mutex_lock(&a->lock);
	seq = a->ring_next;
	pthread_mutex_unlock(&a->lock);
	return seq;
}

/*
 * JSON allows U+0085, U+2028 and U+2029 raw in a string, and jansson writes
 * them so, but many line readers (Python's splitlines, JavaScript, some log
 * shippers) end a line there: a key or token subject holding one would
 * split its event in two, and what follows would read as a line of its
 * own. Writes them as \u escapes. Takes s (from json_dumps) and returns a
 * new string, or NULL.
 */
static char *escape_line_breaks(char *s)
{
	size_t len = strlen(s), o = 0;
	char *out;

	if (!strstr(s, "\xc2\x85") && !strstr(s, "\xe2\x80\xa8") && !strstr(s, "\xe2\x80\xa9"))
		return s;
	out = malloc(3 * len + 1);	/* 2 or 3 bytes become 6 */
	if (!out) {
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < len;) {
		const unsigned char *p = (const unsigned char *)s + i;

		if (p[0] == 0xc2 && p[1] == 0x85) {
			memcpy(out + o, "\\u0085", 6);
			o += 6;
			i += 2;
		} else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			memcpy(out + o, p[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			o += 6;
			i += 3;
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
	free(s);
	return out;
}

static char *event_json(const struct audit *a, const struct audit_event *e)
{
	char when[TIME_RFC3339_LEN];
	json_t *o;
	char *s;

	time_rfc3339(e->time_us, 1, when);
	if (a->changes) {
		o = json_pack("{s:s, s:s, s:s, s:s}", "time", when, "op", e->operation, "tenant",
			      e->tenant, "key", e->key);
		goto dump;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:b, s:s?, s:f, s:s?}", "time", when,
		      "operation", e->operation, "tenant", e->tenant, "key", e->key, "uid",
		      (json_int_t)e->uid, "subject", e->subject, "success", e->success,
		      "error_code", e->error_code[0] ? e->error_code : NULL, "latency_ms",
		      e->latency_ms, "value_sha256",
		      e->value_sha256[0] ? e->value_sha256 : NULL);
dump:
	if (!o)
		return NULL;
	/* The pin's version the event knows (written, read, changed), else null. */
	if (json_object_set_new(o, "version",
				e->version > 0 ? json_integer(e->version) : json_null()) < 0) {
		json_decref(o);
		return NULL;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(o);
	return s ? escape_line_breaks(s) : NULL;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 1024;
		char *nb;

		while (nc < *len + n + 1)
			nc *= 2;
		nb = realloc(*buf, nc);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

int audit_read(struct audit *a, uint64_t *cursor, audit_filter filter, void *filter_ctx,
	       char **buf, size_t *len, size_t *cap)
{
	struct audit_event *copy = NULL;
	uint64_t first, seq;
	size_t n = 0;
	int count = 0;

	/* Copy the events out so rendering happens without the lock. */
	pthread_mutex_lock(&a->lock);
	first = a->ring_next > a->ring_cap ? a->ring_next - a->ring_cap : 1;
	seq = *cursor < first ? first : *cursor;
	if (seq < a->ring_next) {
		copy = malloc((size_t)(a->ring_next - seq) * sizeof(*copy));
		if (!copy) {
			pthread_mutex_unlock(&a->lock);
			return -ENOMEM;
		}
		for (; seq < a->ring_next; seq++)
			copy[n++] = a->ring[seq % a->ring_cap];
	}
	*cursor = seq;
	pthread_mutex_unlock(&a->lock);

	for (size_t i = 0; i < n; i++) {
		char *line;
		int r;

		if (filter && !filter(filter_ctx, copy[i].tenant))
			continue;
		line = event_json(a, &copy[i]);
		if (!line) {
			/*
			 * Out of memory (events are valid UTF-8 since audit_submit):
			 * skip this one rather than fail every read until it scrolls
			 * out of the ring.
			 */
			continue;
		}
		r = append(buf, len, cap, line, strlen(line));
		if (r == 0)
			r = append(buf, len, cap, "\n", 1);
		free(line);
		if (r < 0) {
			free(copy);
			return r;
		}
		count++;
	}
	free(copy);
	return count;
}
