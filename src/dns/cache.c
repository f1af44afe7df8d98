/*
 * cache - answers the resolver has seen, kept for their TTL (see cache.h)
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/cache.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define CACHE_STRIPES 16
#define CACHE_BUCKETS 4096 /* a power of two */

struct cache_entry {
	struct cache_entry *next;
	char *name; /* lower case, no trailing dot */
	int type;
	time_t expires;
	struct dns_result *res;
};

struct dns_cache {
	struct cache_entry *bucket[CACHE_BUCKETS];
	pthread_mutex_t stripe[CACHE_STRIPES];
	size_t max_entries, entries; /* entries is guarded by count_mu */
	pthread_mutex_t count_mu;
	unsigned max_ttl, max_neg_ttl;
	unsigned sweep; /* next bucket to clear of expired entries (atomic) */
};

static time_t cache_now(void)
{
	return (time_t)clock_now();
}

static char *cache_key(const char *name)
{
	size_t len = strlen(name), i;
	char *k;

	if (len > 0 && name[len - 1] == '.')
		len--;
	k = xmemdup0(name, len);
	for (i = 0; i < len; i++)
		if (k[i] >= 'A' && k[i] <= 'Z')
			k[i] = (char)(k[i] + 32);
	return k;
}

static unsigned cache_hash(const char *key, int type)
{
	unsigned h = 2166136261u ^ (unsigned)type;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h & (CACHE_BUCKETS - 1);
}

struct dns_cache *dns_cache_new(size_t max_entries, unsigned max_ttl, unsigned max_neg_ttl)
{
	struct dns_cache *c = xcalloc(1, sizeof(*c));
	size_t i;

	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&c->stripe[i], NULL);
	pthread_mutex_init(&c->count_mu, NULL);
	c->max_entries = max_entries;
	c->max_ttl = max_ttl;
	c->max_neg_ttl = max_neg_ttl;
	return c;
}

static void entry_free(struct cache_entry *e)
{
	free(e->name);
	dns_result_free(e->res);
	free(e);
}

void dns_cache_free(struct dns_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CACHE_BUCKETS; i++)
		while (c->bucket[i] != NULL) {
			struct cache_entry *e = c->bucket[i];

			c->bucket[i] = e->next;
			entry_free(e);
		}
	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_destroy(&c->stripe[i]);
	pthread_mutex_destroy(&c->count_mu);
	free(c);
}

struct dns_result *dns_result_copy(const struct dns_result *res)
{
	struct dns_result *cp = xcalloc(1, sizeof(*cp));
	size_t i;

	*cp = *res;
	cp->rr = xcalloc(res->nrr ? res->nrr : 1, sizeof(*cp->rr));
	for (i = 0; i < res->nrr; i++) {
		cp->rr[i] = res->rr[i];
		cp->rr[i].data = (unsigned char *)xmemdup0(res->rr[i].data, res->rr[i].len);
		cp->rr[i].text = xmemdup0(res->rr[i].text, res->rr[i].text_len);
	}
	cp->error = xstrdup(res->error);
	cp->packet = res->packet ? (unsigned char *)xmemdup0(res->packet, res->packet_len) : NULL;
	return cp;
}

/* Unlinks expired entries of a bucket (stripe lock held); returns how many. */
static size_t cache_expire(struct cache_entry **head, time_t now)
{
	struct cache_entry **pp = head, *e;
	size_t n = 0;

	while ((e = *pp) != NULL) {
		if (e->expires <= now) {
			*pp = e->next;
			entry_free(e);
			n++;
		} else {
			pp = &e->next;
		}
	}
	return n;
}

/* Each put also clears one bucket, in turn, of expired entries, so answers
 * in buckets no lookup touches again still leave in time. */
static void cache_sweep_one(struct dns_cache *c, time_t now)
{
	unsigned h = __atomic_fetch_add(&c->sweep, 1, __ATOMIC_RELAXED) & (CACHE_BUCKETS - 1);
	pthread_mutex_t *mu = &c->stripe[h % CACHE_STRIPES];
	size_t freed;

	pthread_mutex_lock(mu);
	freed = cache_expire(&c->bucket[h], now);
	pthread_mutex_unlock(mu);
	if (freed > 0) {
		pthread_mutex_lock(&c->count_mu);
		c->entries -= freed;
		pthread_mutex_unlock(&c->count_mu);
	}
}

struct dns_result *dns_cache_get(struct dns_cache *c, const char *name, int type)
{
	char *key = cache_key(name);
	unsigned h = cache_hash(key, type);
	pthread_mutex_t *mu = &c->stripe[h % CACHE_STRIPES];
	struct dns_result *hit = NULL;
	struct cache_entry *e;
	time_t now = cache_now();

	pthread_mutex_lock(mu);
	for (e = c->bucket[h]; e != NULL; e = e->next)
		if (e->type == type && e->expires > now && strcmp(e->name, key) == 0) {
			hit = dns_result_copy(e->res);
			break;
		}
	pthread_mutex_unlock(mu);
	free(key);
	return hit;
}

void dns_cache_put(struct dns_cache *c, const char *name, int type, const struct dns_result *res,
		   unsigned ttl)
{
	bool negative = res->status == DNS_NXDOMAIN || res->status == DNS_NODATA;
	unsigned cap = negative ? c->max_neg_ttl : c->max_ttl;
	struct cache_entry *e, **pp;
	unsigned h;
	pthread_mutex_t *mu;
	time_t now = cache_now();
	size_t freed, full;

	if ((res->status != DNS_OK && !negative) || ttl == 0 || cap == 0 || c->max_entries == 0)
		return;
	e = xcalloc(1, sizeof(*e));
	e->name = cache_key(name);
	e->type = type;
	e->expires = now + (time_t)(ttl < cap ? ttl : cap);
	e->res = dns_result_copy(res);
	h = cache_hash(e->name, type);
	mu = &c->stripe[h % CACHE_STRIPES];
	pthread_mutex_lock(mu);
	freed = cache_expire(&c->bucket[h], now);
	pthread_mutex_lock(&c->count_mu);
	c->entries -= freed;
	full = c->entries >= c->max_entries;
	if (!full)
		c->entries++;
	pthread_mutex_unlock(&c->count_mu);
	if (full && c->bucket[h] != NULL) {
		/* Make room in this bucket: drop its oldest (last) entry. */
		for (pp = &c->bucket[h]; (*pp)->next != NULL; pp = &(*pp)->next)
			;
		entry_free(*pp);
		*pp = NULL;
		full = false;
	}
	if (full) {
		pthread_mutex_unlock(mu);
		entry_free(e);
		return;
	}
	e->next = c->bucket[h];
	c->bucket[h] = e;
	pthread_mutex_unlock(mu);
	cache_sweep_one(c, now);
}
