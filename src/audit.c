/* SPDX-License-Identifier: MIT */
/*
 * Audit queue, writer thread and recent-events ring (see audit.h).
 *
 * Invariants: q_len <= q_cap; ring slots hold events seq (ring_next - n) ..
 * ring_next - 1; everything is protected by a->lock, which is never held
 * across I/O. The writer takes a batch out under the lock and writes it
 * without it.
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
	union {
		struct audit_event ev;
		struct rbac_event rev;
	} u;
};

struct audit {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* the writer: work or stop */
	struct queued *q;		/* circular */
	size_t q_cap, q_head, q_len;
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
	a->q = calloc(a->q_cap, sizeof(*a->q));
	a->ring = calloc(a->ring_cap, sizeof(*a->ring));
	if (!a->q || !a->ring) {
		free(a->q);
		free(a->ring);
		free(a);
		return NULL;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	a->ring_next = 1;
	return a;
}

/* Caller holds the lock. */
static void note_drop(struct audit *a)
{
	time_t now = time(NULL);

	metrics_audit_dropped();
	a->dropped_since_warn++;
	if (now - a->last_warn >= DROP_WARN_INTERVAL_S) {
		pfs_log(LOG_WARNING, "audit queue full: %llu event(s) dropped since the last warning",
			a->dropped_since_warn);
		a->dropped_since_warn = 0;
		a->last_warn = now;
	}
}

static void enqueue(struct audit *a, struct backend *be, const struct queued *item)
{
	if (!be)
		return;
	if (a->q_len == a->q_cap) {
		note_drop(a);
		return;
	}
	a->q[(a->q_head + a->q_len) % a->q_cap] = *item;
	a->q[(a->q_head + a->q_len) % a->q_cap].be = be;
	a->q_len++;
	/* The writer sleeps on an empty queue, or lingers until a batch is full. */
	if (a->q_len == 1 || a->q_len == BATCH_MAX)
		pthread_cond_signal(&a->wake);
}

void audit_submit(struct audit *a, struct backend *be, const struct audit_event *ev)
{
	struct queued item = {.rbac = false};

	if (!a)
		return;
	item.u.ev = *ev;
	pthread_mutex_lock(&a->lock);
	a->ring[a->ring_next % a->ring_cap] = *ev;
	a->ring_next++;
	enqueue(a, be, &item);
	pthread_mutex_unlock(&a->lock);
	metrics_audit_event();
}

void audit_submit_rbac(struct audit *a, struct backend *be, const struct rbac_event *ev)
{
	struct queued item = {.rbac = true};

	if (!a)
		return;
	item.u.rev = *ev;
	pthread_mutex_lock(&a->lock);
	enqueue(a, be, &item);
	pthread_mutex_unlock(&a->lock);
}

/* Writes one batch: consecutive events of one kind for one backend. */
static void write_batch(struct queued *batch, size_t n)
{
	struct audit_event evs[BATCH_MAX];
	struct rbac_event revs[BATCH_MAX];
	size_t i = 0;

	while (i < n) {
		struct backend *be = batch[i].be;
		bool rbac = batch[i].rbac;
		size_t k = 0;
		int r;

		while (i < n && batch[i].be == be && batch[i].rbac == rbac) {
			if (rbac)
				revs[k++] = batch[i].u.rev;
			else
				evs[k++] = batch[i].u.ev;
			i++;
		}
		r = rbac ? backend_rbac_audit_append(be, revs, k) : backend_audit_append(be, evs, k);
		if (r < 0) {
			/* The backend is failing: these are lost, and counted as such. */
			for (size_t j = 0; j < k; j++)
				metrics_audit_dropped();
			pfs_log(LOG_WARNING, "could not write %zu audit event(s) to \"%s\": %s", k,
				backend_name(be), strerror(-r));
		}
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
			batch[n++] = a->q[a->q_head];
			a->q_head = (a->q_head + 1) % a->q_cap;
			a->q_len--;
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
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(o);
	return s;
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
			free(copy);
			return -ENOMEM;
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
