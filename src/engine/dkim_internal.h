/*
 * dkim_internal - the pure parts of the DKIM verifier, shared by dkim.c and
 * its unit tests (not for other modules)
 *
 * dkimv_crlf_*: bare LF -> CRLF across chunk boundaries.
 * dkimv_tag_value, dkimv_b_prefix, dkimv_body_length: tag-list helpers.
 * dkimv_map: libopendkim's per-signature state -> result and reason, the
 * table documented in dkim.h.
 */
#ifndef AM_DKIM_INTERNAL_H
#define AM_DKIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/dkim.h"
#include "util/strbuf.h"

#define DKIMV_B_PREFIX_LEN 8

struct dkimv_crlf {
	bool last_cr; /* the previous chunk ended with CR */
};

/* Appends in[0..len) to out with every LF not preceded by CR (in this chunk
 * or at the end of the previous one) turned into CRLF. */
void dkimv_crlf_conv(struct dkimv_crlf *st, const unsigned char *in, size_t len,
		     struct strbuf *out);
/* The same result without a copy when the chunk has no bare LF (the usual
 * case: MTAs pass CRLF): in itself, else the converted chunk in scratch
 * (reset first). *outlen is its length. */
const unsigned char *dkimv_crlf_view(struct dkimv_crlf *st, const unsigned char *in, size_t len,
				     struct strbuf *scratch, size_t *outlen);

/* The value of tag in a tag=value; list, with surrounding whitespace
 * removed (newly allocated), or NULL when the tag is absent. */
char *dkimv_tag_value(const char *list, const char *tag);

/* First DKIMV_B_PREFIX_LEN non-whitespace characters of b (newly allocated;
 * "" for NULL). */
char *dkimv_b_prefix(const char *b);

/* l= as a number; -1 for NULL, empty, non-digits or overflow. */
long dkimv_body_length(const char *l);

enum dkimv_skip {
	DKIMV_SKIP_NONE = 0,
	DKIMV_SKIP_SHA1,    /* rsa-sha1: not verified (RFC 8301) */
	DKIMV_SKIP_LIMIT,   /* over opts.max_signatures */
	DKIMV_SKIP_BADNAME, /* selector._domainkey.domain is not a DNS name */
};

/* What libopendkim (and our prescreen) left on one signature. */
struct dkimv_facts {
	int sigerror;	   /* DKIM_SIGERROR_* */
	unsigned flags;	   /* DKIM_SIGFLAG_* */
	int bh;		   /* DKIM_SIGBH_* */
	bool rsa;	   /* a= is rsa-* */
	unsigned key_bits; /* 0 when no key was loaded */
	unsigned min_key_bits;
	unsigned max_signatures;
	enum dkimv_skip skip;
	const char *keyname; /* selector._domainkey.domain, for reasons */
};

/* The result for one signature; appends the plain-words reason. */
enum dkimv_result dkimv_map(const struct dkimv_facts *f, struct strbuf *reason);

#endif
