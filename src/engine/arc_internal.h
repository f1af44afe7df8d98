/*
 * arc_internal - what arc.c (the chain) and arc_verify.c (signatures and
 * keys) share; not for use outside the ARC module
 */
#ifndef AM_ARC_INTERNAL_H
#define AM_ARC_INTERNAL_H

#include "engine/arc.h"
#include "engine/dsig.h"

#define ARC_NO_HDR ((size_t)-1)
#define ARC_KEYS_MAX (2 * ARC_MAX_SETS)

/* One instance: its three header fields (indexes into arcv.hdrs) and
 * what verifying them needs. */
struct arc_set {
	size_t aar, ams, as;
	unsigned n_aar, n_ams, n_as;
	struct dsig_tags ams_t, as_t; /* parsed at arcv_eoh() */
	int ams_key, as_key;	      /* index into arcv.keys, -1 none */
	int body;		      /* index into arcv.bodies, -1 none */
};

struct arc_key {
	char *selector, *domain;
	enum dsig_rc rc;
	struct dsig_key key;
};

struct arcv {
	struct resolver *r;
	struct arc_opts opts;
	/* every header field, in order: copied into one arena as they come
	 * ("name\0value\0" at offs[k]), pointed at by hdrs from arcv_eoh() */
	struct strbuf arena;
	size_t *offs;
	struct dsig_hdr *hdrs;
	size_t n_hdrs, cap_hdrs;
	bool any_arc, eoh_done;
	/* set when the chain is decided before the signatures */
	enum arc_result early;
	char *why;
	bool dns_error;
	unsigned n_sets;
	struct arc_set *sets; /* sets[i - 1] is instance i */
	struct dsig_body *bodies[ARC_BODY_HASHES];
	size_t n_bodies;
	struct arc_key *keys; /* grown as keys are looked up (ARC_KEYS_MAX) */
	size_t n_keys;
};

/* The canonicalizations of an AMS: its c=, relaxed/relaxed without one
 * (ARC signs relaxed; python3-dkim and the ARC suite read it so). */
void arc_ams_canon(const struct dsig_tags *t, enum dsig_canon *header, enum dsig_canon *body);
/* The key for (selector, domain) looked up once per message: its index
 * in a->keys. */
int arc_key_get(struct arcv *a, const char *selector, const char *domain);
/* The body hash for an AMS's c= and l= (shared with an earlier AMS of the
 * same kind), or -1 when ARC_BODY_HASHES are in use. */
int arc_body_get(struct arcv *a, enum dsig_canon c, long long length);
/* Verifies the AMS of instance i (1-based) once the body is complete:
 * DSIG_OK, or DSIG_FAIL / DSIG_TEMPFAIL with *why. */
enum dsig_rc arc_verify_ams(struct arcv *a, unsigned i, const unsigned char *digests,
			    const unsigned long long *totals, const char **why);
/* Verifies the ARC-Seal of instance i over the sets 1..i. */
enum dsig_rc arc_verify_as(struct arcv *a, unsigned i, const char **why);

#endif
