/*
 * dkim_map - libopendkim's per-signature state -> RFC 8601 result and a
 * reason in plain words. The table below is the one dkim.h documents;
 * change both together.
 */
#include "config.h"

#include <opendkim/dkim.h>

#include "engine/dkim_internal.h"

enum stage {
	STAGE_PARSE, /* found while reading the signature field: wins over skips */
	STAGE_KEY,   /* found while fetching or using the key, or at the end */
};

struct map_row {
	int sigerror;
	enum stage stage;
	enum dkimv_result result;
	bool with_key; /* append " at <keyname>" */
	const char *why;
};

static const struct map_row map_rows[] = {
    {DKIM_SIGERROR_VERSION, STAGE_PARSE, DKIMV_NEUTRAL, false,
     "unsupported signature version (v= is not 1)"},
    {DKIM_SIGERROR_MISSING_V, STAGE_PARSE, DKIMV_NEUTRAL, false,
     "v= missing (pre-RFC 4871 draft signature?)"},
    {DKIM_SIGERROR_EMPTY_V, STAGE_PARSE, DKIMV_NEUTRAL, false, "v= empty"},
    {DKIM_SIGERROR_DOMAIN, STAGE_PARSE, DKIMV_NEUTRAL, false, "i= is not d= or a subdomain of it"},
    {DKIM_SIGERROR_TIMESTAMPS, STAGE_PARSE, DKIMV_NEUTRAL, false, "x= is not later than t="},
    {DKIM_SIGERROR_INVALID_HC, STAGE_PARSE, DKIMV_NEUTRAL, false,
     "unsupported header canonicalization (c=)"},
    {DKIM_SIGERROR_INVALID_BC, STAGE_PARSE, DKIMV_NEUTRAL, false,
     "unsupported body canonicalization (c=)"},
    {DKIM_SIGERROR_MISSING_A, STAGE_PARSE, DKIMV_NEUTRAL, false, "a= missing"},
    {DKIM_SIGERROR_INVALID_A, STAGE_PARSE, DKIMV_NEUTRAL, false, "unsupported algorithm (a=)"},
    {DKIM_SIGERROR_MISSING_H, STAGE_PARSE, DKIMV_NEUTRAL, false, "h= missing"},
    {DKIM_SIGERROR_EMPTY_H, STAGE_PARSE, DKIMV_NEUTRAL, false, "h= empty"},
    {DKIM_SIGERROR_INVALID_H, STAGE_PARSE, DKIMV_NEUTRAL, false, "h= does not include From"},
    {DKIM_SIGERROR_INVALID_L, STAGE_PARSE, DKIMV_NEUTRAL, false, "l= malformed"},
    {DKIM_SIGERROR_INVALID_Q, STAGE_PARSE, DKIMV_NEUTRAL, false, "unsupported query method (q=)"},
    {DKIM_SIGERROR_INVALID_QO, STAGE_PARSE, DKIMV_NEUTRAL, false, "unsupported query option (q=)"},
    {DKIM_SIGERROR_MISSING_D, STAGE_PARSE, DKIMV_NEUTRAL, false,
     "d= missing (or the field does not parse)"},
    {DKIM_SIGERROR_EMPTY_D, STAGE_PARSE, DKIMV_NEUTRAL, false, "d= empty"},
    {DKIM_SIGERROR_MISSING_S, STAGE_PARSE, DKIMV_NEUTRAL, false, "s= missing"},
    {DKIM_SIGERROR_EMPTY_S, STAGE_PARSE, DKIMV_NEUTRAL, false, "s= empty"},
    {DKIM_SIGERROR_MISSING_B, STAGE_PARSE, DKIMV_NEUTRAL, false, "b= missing"},
    {DKIM_SIGERROR_EMPTY_B, STAGE_PARSE, DKIMV_NEUTRAL, false, "b= empty"},
    {DKIM_SIGERROR_CORRUPT_B, STAGE_PARSE, DKIMV_NEUTRAL, false, "b= is not base64"},
    {DKIM_SIGERROR_MISSING_BH, STAGE_PARSE, DKIMV_NEUTRAL, false, "bh= missing"},
    {DKIM_SIGERROR_EMPTY_BH, STAGE_PARSE, DKIMV_NEUTRAL, false, "bh= empty"},
    {DKIM_SIGERROR_CORRUPT_BH, STAGE_PARSE, DKIMV_NEUTRAL, false, "bh= is not base64"},
    {DKIM_SIGERROR_CONDITIONAL, STAGE_KEY, DKIMV_NEUTRAL, false,
     "conditional signature not satisfied"},
    {DKIM_SIGERROR_CONDLOOP, STAGE_KEY, DKIMV_NEUTRAL, false, "conditional signatures loop"},
    {DKIM_SIGERROR_EXPIRED, STAGE_PARSE, DKIMV_PERMERROR, false,
     "signature expired (x= is in the past)"},
    {DKIM_SIGERROR_FUTURE, STAGE_PARSE, DKIMV_PERMERROR, false,
     "signature time t= is in the future"},
    {DKIM_SIGERROR_NOKEY, STAGE_KEY, DKIMV_PERMERROR, true, "no key record published"},
    {DKIM_SIGERROR_KEYREVOKED, STAGE_KEY, DKIMV_PERMERROR, true, "key revoked (empty p=)"},
    {DKIM_SIGERROR_DNSSYNTAX, STAGE_KEY, DKIMV_PERMERROR, true, "key record malformed"},
    {DKIM_SIGERROR_MULTIREPLY, STAGE_KEY, DKIMV_PERMERROR, true, "several key records published"},
    {DKIM_SIGERROR_KEYVERSION, STAGE_KEY, DKIMV_PERMERROR, true, "key record v= is not DKIM1"},
    {DKIM_SIGERROR_KEYUNKNOWNHASH, STAGE_KEY, DKIMV_PERMERROR, true,
     "key record h= names no supported hash"},
    {DKIM_SIGERROR_KEYHASHMISMATCH, STAGE_KEY, DKIMV_PERMERROR, true,
     "key record h= does not allow the signature's hash"},
    {DKIM_SIGERROR_NOTEMAILKEY, STAGE_KEY, DKIMV_PERMERROR, true, "key record s= is not for email"},
    {DKIM_SIGERROR_KEYTYPEMISSING, STAGE_KEY, DKIMV_PERMERROR, true, "key record k= missing"},
    {DKIM_SIGERROR_KEYTYPEUNKNOWN, STAGE_KEY, DKIMV_PERMERROR, true,
     "key record k= is not a supported key type"},
    {DKIM_SIGERROR_KEYDECODE, STAGE_KEY, DKIMV_PERMERROR, true,
     "key p= does not decode to a key for a="},
    {DKIM_SIGERROR_SUBDOMAIN, STAGE_KEY, DKIMV_PERMERROR, false,
     "key t=s forbids an i= in a subdomain of d="},
    {DKIM_SIGERROR_KEYFAIL, STAGE_KEY, DKIMV_TEMPERROR, true,
     "key lookup failed temporarily (timeout or server failure)"},
    {DKIM_SIGERROR_TOOLARGE_L, STAGE_KEY, DKIMV_FAIL, false, "body is shorter than l="},
    {DKIM_SIGERROR_MBSFAILED, STAGE_KEY, DKIMV_FAIL, false,
     "a header field that must be signed is not"},
};

static const struct map_row *map_find(int sigerror)
{
	size_t i;

	for (i = 0; i < sizeof(map_rows) / sizeof(map_rows[0]); i++) {
		if (map_rows[i].sigerror == sigerror)
			return &map_rows[i];
	}
	return NULL;
}

static enum dkimv_result map_row_apply(const struct map_row *row, const struct dkimv_facts *f,
				       struct strbuf *reason)
{
	strbuf_adds(reason, row->why);
	if (row->with_key && f->keyname != NULL)
		strbuf_addf(reason, " at %s", f->keyname);
	return row->result;
}

/* Results for signatures libopendkim processed without a table error. */
static enum dkimv_result map_processed(const struct dkimv_facts *f, struct strbuf *reason)
{
	if (f->sigerror == DKIM_SIGERROR_BADSIG || f->bh == DKIM_SIGBH_MISMATCH) {
		if (f->bh == DKIM_SIGBH_MISMATCH)
			strbuf_adds(reason, "body hash did not verify (body changed)");
		else
			strbuf_adds(reason,
				    "signature did not verify (signed header fields changed)");
		return DKIMV_FAIL;
	}
	if (f->sigerror == DKIM_SIGERROR_KEYTOOSMALL) {
		strbuf_addf(reason, "RSA key of %u bits is under the minimum of %u (RFC 8301)",
			    f->key_bits, f->min_key_bits);
		return DKIMV_POLICY;
	}
	if ((f->flags & DKIM_SIGFLAG_PASSED) != 0 && f->bh == DKIM_SIGBH_MATCH) {
		strbuf_adds(reason, "signature verified");
		if ((f->flags & DKIM_SIGFLAG_TESTKEY) != 0)
			strbuf_adds(reason, "; key in testing mode (t=y)");
		return DKIMV_PASS;
	}
	if ((f->flags & DKIM_SIGFLAG_PROCESSED) != 0) {
		strbuf_adds(reason, "signature did not verify");
		return DKIMV_FAIL;
	}
	strbuf_adds(reason, "signature not evaluated");
	return DKIMV_NEUTRAL;
}

enum dkimv_result dkimv_map(const struct dkimv_facts *f, struct strbuf *reason)
{
	const struct map_row *row = map_find(f->sigerror);
	enum dkimv_result res;

	if (row != NULL && row->stage == STAGE_PARSE)
		return map_row_apply(row, f, reason);
	if (f->skip == DKIMV_SKIP_SHA1) {
		strbuf_adds(reason, "rsa-sha1 is not acceptable (RFC 8301); not verified");
		return DKIMV_POLICY;
	}
	if (f->skip == DKIMV_SKIP_BADNAME) {
		strbuf_addf(reason, "key name %s is not a valid DNS name",
			    f->keyname != NULL ? f->keyname : "");
		return DKIMV_PERMERROR;
	}
	if (f->skip == DKIMV_SKIP_LIMIT || (f->flags & DKIM_SIGFLAG_IGNORE) != 0) {
		strbuf_addf(reason, "not verified: over the limit of %u signatures",
			    f->max_signatures);
		return DKIMV_POLICY;
	}
	if (row != NULL)
		res = map_row_apply(row, f, reason);
	else
		res = map_processed(f, reason);
	/* RFC 8301: a weak RSA key is never acceptable, whatever the crypto said */
	if ((res == DKIMV_PASS || res == DKIMV_FAIL) && f->rsa && f->key_bits > 0 &&
	    f->key_bits < f->min_key_bits) {
		strbuf_reset(reason);
		strbuf_addf(reason, "RSA key of %u bits is under the minimum of %u (RFC 8301)",
			    f->key_bits, f->min_key_bits);
		res = DKIMV_POLICY;
	}
	return res;
}

const char *dkimv_result_name(enum dkimv_result res)
{
	switch (res) {
	case DKIMV_NONE:
		return "none";
	case DKIMV_PASS:
		return "pass";
	case DKIMV_FAIL:
		return "fail";
	case DKIMV_NEUTRAL:
		return "neutral";
	case DKIMV_POLICY:
		return "policy";
	case DKIMV_TEMPERROR:
		return "temperror";
	case DKIMV_PERMERROR:
		return "permerror";
	}
	return "unknown";
}
