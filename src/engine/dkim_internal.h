/*
 * dkim_internal - the pure parts of the DKIM verifier, shared by dkim.c and
 * its unit tests (not for other modules)
 *
 * dkimv_crlf_*: bare LF -> CRLF across chunk boundaries.
 * dkimv_tag_value, dkimv_b_prefix, dkimv_body_length: tag-list helpers.
 * dkimv_map: libopendkim's per-signature state -> result and reason, the
 * table documented in dkim.h.
 * dkimv_bodylen_*: length of the canonicalized body, streamed (for l=).
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

/* The length of the canonicalized body, simple (RFC 6376 3.4.3) and relaxed
 * (3.4.4) at once, counted in O(1) memory while the body streams past.
 * Zero-initialised = nothing fed yet. Feed the body with CRLF line ends
 * (after dkimv_crlf_*), in chunks split anywhere, even inside a CRLF.
 * A CR not followed by LF and a LF not preceded by CR are data.
 *
 * simple:  trailing empty lines are removed; a body that does not end with
 *          CRLF (the empty body too) gets one, so the empty body is 2.
 * relaxed: a run of SP/HTAB inside a line counts as one SP; SP/HTAB at the
 *          end of a line (also of a last line without CRLF) is removed; a
 *          line of only SP/HTAB is then empty; trailing empty lines are
 *          removed; a non-empty body without final CRLF gets one; a body
 *          that is empty by then stays empty (0).
 *
 * unsigned bytes after an l= signature = the length for its c= - l.
 * libopendkim 2.11 gives the same lengths on bodies without bare CR; it
 * drops most bare CRs (relaxed) and takes a line of bare CRs for an empty
 * one (simple), so on such bodies the two differ by a few bytes. */
struct dkimv_bodylen {
	unsigned long long simple;	 /* simple: bytes certain so far */
	unsigned long long simple_crlf;	 /* simple: CRLFs since the last content */
	unsigned long long relaxed;	 /* relaxed: bytes certain so far */
	unsigned long long relaxed_crlf; /* relaxed: CRLFs since the last content */
	bool wsp;			 /* relaxed: SP/HTAB since the last content of the line */
	bool cr;			 /* the last byte fed was a CR */
};

void dkimv_bodylen_feed(struct dkimv_bodylen *st, const unsigned char *buf, size_t len);
/* The canonical length of everything fed, as if the body ended now; st is
 * not changed, so feeding may go on. */
unsigned long long dkimv_bodylen_simple(const struct dkimv_bodylen *st);
unsigned long long dkimv_bodylen_relaxed(const struct dkimv_bodylen *st);

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
