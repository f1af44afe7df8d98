/*
 * recorder - verdicts to the report store, off the message path (see recorder.h)
 *
 * DESCRIPTION
 *	The message threads only build a record and push it (ring.h). The
 *	writer thread aggregates the queue into a batch keyed by (day, policy
 *	hash, row hash) — the store's own key — so a burst of identical
 *	messages costs one UPSERT, and writes the batch with store_add().
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/recorder.h"
#include "report/store.h"
#include "util/clock.h"
#include "util/ring.h"
#include "util/xalloc.h"

#define BATCH_MAX 4096		    /* distinct rows in one transaction */
#define BATCH_SLOTS (2 * BATCH_MAX) /* open addressing, half full at most */
#define WRITE_EVERY 1.0		    /* seconds between writes */
#define TICK_NS 100000000L	    /* the writer's poll interval */
#define DROP_LOG_EVERY 60.0	    /* seconds between drop log lines */

struct batch_key {
	long day;
	unsigned char phash[REPORT_HASH_LEN], rhash[REPORT_HASH_LEN];
};

struct batch {
	struct report_record *recs[BATCH_MAX];
	long counts[BATCH_MAX];
	struct batch_key keys[BATCH_MAX];
	int slots[BATCH_SLOTS]; /* index into recs + 1; 0 = empty */
	size_t n;
	long messages;
};

struct recorder {
	char *spec, *status_file;
	struct ring *q;
	struct batch *b;
	struct store *st;
	pthread_t thread;
	pthread_mutex_t mu; /* guards done (stop handshake only) */
	pthread_cond_t cond;
	bool done;
	int stop;	 /* atomic */
	double deadline; /* set before stop */
	/* counters, atomic where message threads touch them */
	unsigned long recorded, dropped;
	unsigned long written, batches, dropped_logged, unwritten;
	time_t started, last_write; /* wall clock, for the status file */
	double last_droplog, next_try;
	bool up;
	char error[256];
};

static struct recorder *rec_global;

/* ---- the message path ---- */

void recorder_record(const struct config *cfg, const struct verdict *v, const char *mail_from)
{
	struct recorder *r = __atomic_load_n(&rec_global, __ATOMIC_ACQUIRE);
	struct report_record *rec;

	if (r == NULL || !cfg->reporting_enabled || v == NULL)
		return;
	if (cfg->report_exclude.n > 0 &&
	    ((v->dmarc.policy_domain != NULL &&
	      domainlist_match(&cfg->report_exclude, v->dmarc.policy_domain)) ||
	     (v->header_from != NULL && domainlist_match(&cfg->report_exclude, v->header_from))))
		return;
	rec = xmalloc(sizeof(*rec));
	if (report_record_from_verdict(v, mail_from, time(NULL), rec, NULL) != 0) {
		free(rec);
		return;
	}
	if (ring_push(r->q, rec)) {
		__atomic_add_fetch(&r->recorded, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_add_fetch(&r->dropped, 1, __ATOMIC_RELAXED);
	report_record_clear(rec);
	free(rec);
}

void recorder_counts(unsigned long *recorded, unsigned long *dropped)
{
	struct recorder *r = __atomic_load_n(&rec_global, __ATOMIC_ACQUIRE);

	*recorded = r != NULL ? __atomic_load_n(&r->recorded, __ATOMIC_RELAXED) : 0;
	*dropped = r != NULL ? __atomic_load_n(&r->dropped, __ATOMIC_RELAXED) : 0;
}

/* ---- the batch ---- */

static size_t key_slot(const struct batch_key *k)
{
	size_t h;

	memcpy(&h, k->rhash, sizeof(h)); /* already a hash */
	return (h ^ (size_t)k->day ^ (size_t)k->phash[0] << 8) % BATCH_SLOTS;
}

/* Adds rec (taken over) to the batch; false when the batch is full and
 * rec is a new row (the caller keeps it). */
static bool batch_add(struct batch *b, struct report_record *rec)
{
	struct batch_key k;
	size_t s;

	memset(&k, 0, sizeof(k));
	k.day = rec->day;
	report_policy_hash(&rec->policy, k.phash);
	report_row_hash(&rec->row, k.rhash);
	for (s = key_slot(&k); b->slots[s] != 0; s = (s + 1) % BATCH_SLOTS) {
		size_t i = (size_t)b->slots[s] - 1;

		if (memcmp(&b->keys[i], &k, sizeof(k)) == 0) {
			b->counts[i]++;
			b->messages++;
			report_record_clear(rec);
			free(rec);
			return true;
		}
	}
	if (b->n == BATCH_MAX)
		return false;
	b->recs[b->n] = rec;
	b->counts[b->n] = 1;
	b->keys[b->n] = k;
	b->slots[s] = (int)++b->n;
	b->messages++;
	return true;
}

static void batch_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		report_record_clear(b->recs[i]);
		free(b->recs[i]);
	}
	b->n = 0;
	b->messages = 0;
	memset(b->slots, 0, sizeof(b->slots));
}

/* Moves queued records into the batch until it is full. A record that
 * does not fit is kept for the next batch. */
static void recorder_drain(struct recorder *r, struct report_record **held)
{
	struct report_record *rec;

	for (;;) {
		rec = *held != NULL ? *held : ring_pop(r->q);
		*held = NULL;
		if (rec == NULL)
			return;
		if (!batch_add(r->b, rec)) {
			*held = rec;
			return;
		}
	}
}

/* ---- the store ---- */

static void recorder_down(struct recorder *r, const char *error)
{
	if (r->up || strcmp(r->error, error) != 0)
		log_msg(LOG_ERR, "recorder store=down error=\"%s\" retry=%ds", error,
			RECORDER_RETRY);
	r->up = false;
	snprintf(r->error, sizeof(r->error), "%s", error);
	r->next_try = clock_now() + RECORDER_RETRY;
}

static void recorder_up(struct recorder *r)
{
	if (!r->up)
		log_msg(LOG_INFO, "recorder store=up kind=%s", store_kind(r->st));
	r->up = true;
	r->error[0] = '\0';
}

/* Opens the store if needed and writes the batch; true when it is empty
 * afterwards. */
static bool recorder_write(struct recorder *r)
{
	struct am_err err = {""};

	if (clock_now() < r->next_try)
		return false;
	if (r->st == NULL && (r->st = store_open(r->spec, &err)) == NULL) {
		recorder_down(r, err.msg);
		return false;
	}
	if (r->b->n > 0 && store_add(r->st, (const struct report_record *const *)r->b->recs,
				     r->b->counts, r->b->n, &err) != 0) {
		recorder_down(r, err.msg);
		return false;
	}
	recorder_up(r);
	if (r->b->n > 0) {
		r->written += (unsigned long)r->b->messages;
		r->batches++;
		r->last_write = time(NULL);
	}
	batch_clear(r->b);
	return true;
}

/* ---- what --status reads ---- */

static void recorder_status(struct recorder *r)
{
	char *tmp = xasprintf("%s.tmp", r->status_file);
	FILE *fp = fopen(tmp, "w");
	time_t now = time(NULL);

	if (fp == NULL) {
		free(tmp);
		return;
	}
	fprintf(fp,
		"pid=%ld\nupdated=%ld\nstarted=%ld\nstore=%s\nstore_state=%s\nstore_error=%s\n"
		"queue=%zu\nqueue_size=%zu\nbatch=%ld\nrecorded=%lu\nwritten=%lu\n"
		"dropped=%lu\nbatches=%lu\nlast_write=%ld\n",
		(long)getpid(), (long)now, (long)r->started,
		strncmp(r->spec, "sqlite:", 7) == 0 ? "sqlite" : "postgresql",
		r->up ? "up" : "down", r->error, ring_count(r->q), ring_capacity(r->q),
		r->b->messages, __atomic_load_n(&r->recorded, __ATOMIC_RELAXED), r->written,
		__atomic_load_n(&r->dropped, __ATOMIC_RELAXED), r->batches, (long)r->last_write);
	if (fclose(fp) == 0 && rename(tmp, r->status_file) == 0) {
		free(tmp);
		return;
	}
	unlink(tmp);
	free(tmp);
}

static void recorder_droplog(struct recorder *r)
{
	unsigned long d = __atomic_load_n(&r->dropped, __ATOMIC_RELAXED);

	if (d == r->dropped_logged || clock_now() - r->last_droplog < DROP_LOG_EVERY)
		return;
	log_msg(LOG_WARNING,
		"recorder dropped=%lu total_dropped=%lu reason=queue_full store=%s%s%s%s",
		d - r->dropped_logged, d, r->up ? "up" : "down", r->up ? "" : " error=\"",
		r->up ? "" : r->error, r->up ? "" : "\"");
	r->dropped_logged = d;
	r->last_droplog = clock_now();
}

/* ---- the writer thread ---- */

static void *recorder_main(void *arg)
{
	struct recorder *r = arg;
	struct report_record *held = NULL;
	const struct timespec tick = {0, TICK_NS};
	double last = 0; /* open the store at once */

	for (;;) {
		bool stopping = __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) != 0;
		bool idle;

		/* While the store is down nothing leaves the queue: it fills,
		 * and what does not fit is dropped and counted. */
		if (r->up)
			recorder_drain(r, &held);
		if ((r->b->n > 0 || !r->up) &&
		    (stopping || held != NULL || clock_now() - last >= WRITE_EVERY)) {
			if (recorder_write(r))
				recorder_drain(r, &held);
			last = clock_now();
		}
		recorder_droplog(r);
		recorder_status(r);
		idle = r->b->n == 0 && held == NULL && ring_count(r->q) == 0;
		if (stopping && (idle || clock_now() >= r->deadline))
			break;
		nanosleep(&tick, NULL);
	}
	r->unwritten = (unsigned long)r->b->messages + (held != NULL) + ring_count(r->q);
	if (held != NULL) {
		report_record_clear(held);
		free(held);
	}
	pthread_mutex_lock(&r->mu);
	r->done = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int recorder_start(const struct config *cfg, struct am_err *err)
{
	struct recorder *r;

	if (!cfg->reporting_enabled)
		return 0;
	r = xcalloc(1, sizeof(*r));
	r->spec = xstrdup(cfg->report_store);
	r->status_file = xstrdup(cfg->report_status_file);
	r->q = ring_new(cfg->report_queue);
	r->b = xcalloc(1, sizeof(*r->b));
	r->started = time(NULL);
	snprintf(r->error, sizeof(r->error), "not opened yet");
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	if (pthread_create(&r->thread, NULL, recorder_main, r) != 0) {
		am_err_set(err, "recorder: cannot start its thread");
		ring_free(r->q);
		free(r->b);
		free(r->spec);
		free(r->status_file);
		free(r);
		return -1;
	}
	__atomic_store_n(&rec_global, r, __ATOMIC_RELEASE);
	log_msg(LOG_INFO, "recorder start store=%s queue_size=%zu status_file=%s",
		strncmp(r->spec, "sqlite:", 7) == 0 ? r->spec : "postgresql", ring_capacity(r->q),
		r->status_file);
	return 0;
}

unsigned long recorder_stop(unsigned seconds)
{
	struct recorder *r = __atomic_exchange_n(&rec_global, NULL, __ATOMIC_ACQ_REL);
	struct timespec until;
	unsigned long left;
	bool done;

	if (r == NULL)
		return 0;
	r->deadline = clock_now() + seconds;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds + 2; /* the thread checks its deadline every tick */
	pthread_mutex_lock(&r->mu);
	while (!r->done && pthread_cond_timedwait(&r->cond, &r->mu, &until) == 0)
		;
	done = r->done;
	pthread_mutex_unlock(&r->mu);
	if (!done) /* stuck in the store: leave it to process exit */
		return (unsigned long)ring_count(r->q);
	pthread_join(r->thread, NULL);
	left = r->unwritten;
	log_msg(left ? LOG_WARNING : LOG_INFO,
		"recorder stop written=%lu dropped=%lu unwritten=%lu", r->written,
		__atomic_load_n(&r->dropped, __ATOMIC_RELAXED), left);
	store_close(r->st);
	batch_clear(r->b);
	for (;;) {
		struct report_record *rec = ring_pop(r->q);

		if (rec == NULL)
			break;
		report_record_clear(rec);
		free(rec);
	}
	ring_free(r->q);
	free(r->b);
	free(r->spec);
	free(r->status_file);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cond);
	free(r);
	return left;
}
