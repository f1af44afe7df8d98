/*
 * arc_verify - the signatures of an ARC chain: keys (looked up once per
 * message), body hashes, ARC-Message-Signature and ARC-Seal verification
 * (see arc.h)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/arc_internal.h"
#include "util/idna.h"
#include "util/xalloc.h"

void arc_ams_canon(const struct dsig_tags *t, enum dsig_canon *header, enum dsig_canon *body)
{
	const char *c = dsig_tag(t, "c");

	if (c == NULL) /* ARC signs relaxed: an AMS without c= is relaxed/relaxed */
		*header = *body = DSIG_RELAXED;
	else
		(void)dsig_parse_canon(c, header, body);
}

int arc_key_get(struct arcv *a, const char *selector, const char *domain)
{
	struct arc_key *k;
	size_t i;

	for (i = 0; i < a->n_keys; i++)
		if (strcmp(a->keys[i].selector, selector) == 0 &&
		    strcasecmp(a->keys[i].domain, domain) == 0)
			return (int)i;
	if (a->n_keys == ARC_KEYS_MAX)
		return -1;
	a->keys = xrealloc(a->keys, (a->n_keys + 1) * sizeof(*a->keys));
	k = &a->keys[a->n_keys];
	k->selector = xstrdup(selector);
	k->domain = xstrdup(domain);
	k->rc = dsig_key_fetch(a->r, selector, domain, a->opts.min_key_bits, &k->key);
	return (int)a->n_keys++;
}

int arc_body_get(struct arcv *a, enum dsig_canon c, long long length)
{
	size_t i;

	for (i = 0; i < a->n_bodies; i++)
		if (dsig_body_canon(a->bodies[i]) == c && dsig_body_length(a->bodies[i]) == length)
			return (int)i;
	if (a->n_bodies == ARC_BODY_HASHES)
		return -1;
	a->bodies[a->n_bodies] = dsig_body_new(c, length);
	return (int)a->n_bodies++;
}

/* The key of a signature, or why it cannot be used. */
static const struct dsig_key *arc_key(const struct arcv *a, int idx, enum dsig_rc *rc,
				      const char **why)
{
	if (idx < 0) {
		*rc = DSIG_FAIL;
		*why = "too many keys in the chain";
		return NULL;
	}
	*rc = a->keys[idx].rc;
	if (*rc != DSIG_OK) {
		*why = a->keys[idx].key.why;
		return NULL;
	}
	return &a->keys[idx].key;
}

/* bh= against the body digest. */
static bool arc_bh_matches(const char *bh, const unsigned char *digest)
{
	size_t len = 0;
	unsigned char *want = bh != NULL ? dsig_base64(bh, &len) : NULL;
	bool same =
	    want != NULL && len == DSIG_DIGEST_LEN && memcmp(want, digest, DSIG_DIGEST_LEN) == 0;

	free(want);
	return same;
}

enum dsig_rc arc_verify_ams(struct arcv *a, unsigned i, const unsigned char *digests,
			    const unsigned long long *totals, const char **why)
{
	const struct arc_set *set = &a->sets[i - 1];
	const struct dsig_tags *t = &set->ams_t;
	const struct dsig_key *key;
	struct strbuf in = STRBUF_INIT;
	enum dsig_canon hc, bc;
	enum dsig_rc rc;
	long long l;

	if (set->body < 0) {
		*why = "more body canonicalizations than are hashed";
		return DSIG_FAIL;
	}
	arc_ams_canon(t, &hc, &bc);
	if (!arc_bh_matches(dsig_tag(t, "bh"), digests + (size_t)set->body * DSIG_DIGEST_LEN)) {
		*why = "the body hash does not match (the body changed)";
		return DSIG_FAIL;
	}
	l = dsig_body_length(a->bodies[set->body]);
	if (a->opts.body_length_strict && l >= 0 && totals[set->body] > (unsigned long long)l) {
		*why = "body extends past l=";
		return DSIG_FAIL;
	}
	key = arc_key(a, set->ams_key, &rc, why);
	if (key == NULL)
		return rc;
	if (dsig_header_input(&in, hc, a->hdrs, a->n_hdrs, dsig_tag(t, "h"), a->hdrs[set->ams].name,
			      a->hdrs[set->ams].value) != DSIG_OK) {
		strbuf_free(&in);
		*why = "h= names too many header fields";
		return DSIG_FAIL;
	}
	rc =
	    dsig_verify(key, dsig_parse_alg(dsig_tag(t, "a")), in.s, in.len, dsig_tag(t, "b"), why);
	strbuf_free(&in);
	return rc;
}

enum dsig_rc arc_verify_as(struct arcv *a, unsigned i, const char **why)
{
	const struct arc_set *set = &a->sets[i - 1];
	const struct dsig_key *key;
	struct strbuf in = STRBUF_INIT;
	enum dsig_rc rc;
	unsigned j;
	char *stripped;

	key = arc_key(a, set->as_key, &rc, why);
	if (key == NULL)
		return rc;
	/* RFC 8617 5.1.1: AAR, AMS, AS of every set up to i, relaxed; the seal
	 * itself last, with b= empty and no CRLF */
	for (j = 1; j <= i; j++) {
		const struct arc_set *s = &a->sets[j - 1];

		dsig_canon_header(&in, DSIG_RELAXED, a->hdrs[s->aar].name, a->hdrs[s->aar].value,
				  true);
		dsig_canon_header(&in, DSIG_RELAXED, a->hdrs[s->ams].name, a->hdrs[s->ams].value,
				  true);
		if (j < i)
			dsig_canon_header(&in, DSIG_RELAXED, a->hdrs[s->as].name,
					  a->hdrs[s->as].value, true);
	}
	stripped = dsig_strip_b(a->hdrs[set->as].value);
	dsig_canon_header(&in, DSIG_RELAXED, a->hdrs[set->as].name, stripped, false);
	free(stripped);
	rc = dsig_verify(key, dsig_parse_alg(dsig_tag(&set->as_t, "a")), in.s, in.len,
			 dsig_tag(&set->as_t, "b"), why);
	strbuf_free(&in);
	return rc;
}
