/*
 * dmarc_record - the DMARC policy record parser (see dmarc.h for the rules)
 *
 * DESCRIPTION
 *	Splits the TXT text at ';' into tag=value elements, checks that the
 *	first is v=DMARC1, and reads the tags RFC 7489 6.3, RFC 9091 and
 *	RFC 9989 define (psd= also on its own, for the tree walk). Values of tags that do not decide
 *whether there is a policy fall back to their defaults when invalid; an invalid or missing policy
 *turns into p=none when rua names a usable report address (RFC 7489 6.6.3), and into "not a record"
 *otherwise. The text is bounded by DMARC_RECORD_MAX; the parse is one pass.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/dmarc.h"
#include "util/xalloc.h"

struct span {
	const char *s;
	size_t len;
};

/* What the tags said before the p/sp/np rules are applied. */
struct raw_policy {
	bool seen_p, seen_sp, seen_np, seen_other[8];
	bool bad_p, bad_sp, bad_np;
};

enum { SEEN_ADKIM, SEEN_ASPF, SEEN_PCT, SEEN_T, SEEN_RUA, SEEN_RUF, SEEN_FO, SEEN_PSD };

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims whitespace, then one trailing backslash and the whitespace before
 * it (the "p=reject\;" zone file mistake). */
static struct span span_trim(const char *s, size_t len)
{
	struct span sp;

	while (len > 0 && is_ws(*s)) {
		s++;
		len--;
	}
	while (len > 0 && is_ws(s[len - 1]))
		len--;
	if (len > 0 && s[len - 1] == '\\') {
		len--;
		while (len > 0 && is_ws(s[len - 1]))
			len--;
	}
	sp.s = s;
	sp.len = len;
	return sp;
}

static bool span_eq(struct span a, const char *lit)
{
	return a.len == strlen(lit) && memcmp(a.s, lit, a.len) == 0;
}

static bool span_ieq(struct span a, const char *lit)
{
	return a.len == strlen(lit) && strncasecmp(a.s, lit, a.len) == 0;
}

/* Splits an element into tag and value at the first '='. */
static bool split_tag(struct span el, struct span *tag, struct span *val)
{
	const char *eq = memchr(el.s, '=', el.len);

	if (eq == NULL)
		return false;
	*tag = span_trim(el.s, (size_t)(eq - el.s));
	*val = span_trim(eq + 1, el.len - (size_t)(eq - el.s) - 1);
	return tag->len > 0;
}

/* The next ';'-separated element from *pos (possibly empty); false after
 * the last one. */
static bool next_element(const char *txt, size_t len, size_t *pos, struct span *el)
{
	const char *semi;

	if (*pos > len)
		return false;
	semi = memchr(txt + *pos, ';', len - *pos);
	if (semi == NULL)
		semi = txt + len;
	*el = span_trim(txt + *pos, (size_t)(semi - (txt + *pos)));
	*pos = (size_t)(semi - txt) + 1;
	return true;
}

static bool first_is_version(const char *txt, size_t len)
{
	size_t pos = 0;
	struct span el, tag, val;

	if (!next_element(txt, len, &pos, &el) || !split_tag(el, &tag, &val))
		return false;
	return span_ieq(tag, "v") && span_eq(val, "DMARC1");
}

bool dmarc_record_is_dmarc(const char *txt, size_t len)
{
	return txt != NULL && len <= DMARC_RECORD_MAX && first_is_version(txt, len);
}

static enum dmarc_policy policy_value(struct span v)
{
	if (span_ieq(v, "none"))
		return DMARC_POLICY_NONE;
	if (span_ieq(v, "quarantine"))
		return DMARC_POLICY_QUARANTINE;
	if (span_ieq(v, "reject"))
		return DMARC_POLICY_REJECT;
	return DMARC_POLICY_UNSET;
}

/* psd = "y" / "n" / "u"; anything else is the default, u. */
static enum dmarc_psd psd_value(struct span v)
{
	if (span_ieq(v, "y"))
		return DMARC_PSD_Y;
	if (span_ieq(v, "n"))
		return DMARC_PSD_N;
	return DMARC_PSD_U;
}

enum dmarc_psd dmarc_record_psd(const char *txt, size_t len)
{
	struct span el, tag, v;
	size_t pos = 0;

	if (!dmarc_record_is_dmarc(txt, len))
		return DMARC_PSD_U;
	next_element(txt, len, &pos, &el); /* v=DMARC1 */
	while (next_element(txt, len, &pos, &el))
		if (split_tag(el, &tag, &v) && span_ieq(tag, "psd"))
			return psd_value(v); /* the first occurrence counts */
	return DMARC_PSD_U;
}

/* pct = 1*3DIGIT, 0..100; -1 when invalid. */
static int pct_value(struct span v)
{
	int n = 0;
	size_t i;

	if (v.len == 0 || v.len > 3)
		return -1;
	for (i = 0; i < v.len; i++) {
		if (v.s[i] < '0' || v.s[i] > '9')
			return -1;
		n = n * 10 + (v.s[i] - '0');
	}
	return n <= 100 ? n : -1;
}

/* fo = ("0" / "1" / "d" / "s") *(*WSP ":" *WSP ("0" / "1" / "d" / "s")) */
static bool fo_valid(struct span v)
{
	size_t i;
	bool want_opt = true;

	for (i = 0; i < v.len; i++) {
		char c = v.s[i];

		if (is_ws(c))
			continue;
		if (want_opt && strchr("01dsDS", c) != NULL && c != 0)
			want_opt = false;
		else if (!want_opt && c == ':')
			want_opt = true;
		else
			return false;
	}
	return !want_opt;
}

/* One usable report URI: mailto:local@domain, optionally "!size". */
static bool uri_usable(struct span u)
{
	const char *at, *end = u.s + u.len;
	const char *bang = memchr(u.s, '!', u.len);

	if (bang != NULL)
		end = bang;
	if (u.len < 7 || strncasecmp(u.s, "mailto:", 7) != 0)
		return false;
	at = memchr(u.s + 7, '@', (size_t)(end - (u.s + 7)));
	return at != NULL && at > u.s + 7 && at + 1 < end && at[1] != '.';
}

/* rua = dmarc-uri *(*WSP "," *WSP dmarc-uri): at least one usable URI. */
static bool rua_usable(const char *rua)
{
	const char *p = rua;

	while (p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (uri_usable(span_trim(p, n)))
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

static void set_policy(enum dmarc_policy *dst, bool *seen, bool *bad, struct span v)
{
	if (*seen)
		return;
	*seen = true;
	*dst = policy_value(v);
	*bad = *dst == DMARC_POLICY_UNSET;
}

static bool once(struct raw_policy *raw, int which)
{
	if (raw->seen_other[which])
		return false;
	raw->seen_other[which] = true;
	return true;
}

static void apply_tag(struct dmarc_record *rec, struct raw_policy *raw, struct span tag,
		      struct span v)
{
	if (span_ieq(tag, "p")) {
		set_policy(&rec->p, &raw->seen_p, &raw->bad_p, v);
	} else if (span_ieq(tag, "sp")) {
		set_policy(&rec->sp, &raw->seen_sp, &raw->bad_sp, v);
	} else if (span_ieq(tag, "np")) {
		set_policy(&rec->np, &raw->seen_np, &raw->bad_np, v);
	} else if (span_ieq(tag, "adkim") && once(raw, SEEN_ADKIM)) {
		rec->adkim_strict = span_ieq(v, "s");
	} else if (span_ieq(tag, "aspf") && once(raw, SEEN_ASPF)) {
		rec->aspf_strict = span_ieq(v, "s");
	} else if (span_ieq(tag, "pct") && once(raw, SEEN_PCT)) {
		int n = pct_value(v);

		rec->pct = n >= 0 ? n : 100;
	} else if (span_ieq(tag, "t") && once(raw, SEEN_T)) {
		rec->testing = span_ieq(v, "y");
	} else if (span_ieq(tag, "psd") && once(raw, SEEN_PSD)) {
		rec->psd = psd_value(v);
	} else if (span_ieq(tag, "rua") && once(raw, SEEN_RUA)) {
		rec->rua = xmemdup0(v.s, v.len);
	} else if (span_ieq(tag, "ruf") && once(raw, SEEN_RUF)) {
		rec->ruf = xmemdup0(v.s, v.len);
	} else if (span_ieq(tag, "fo") && once(raw, SEEN_FO) && fo_valid(v)) {
		size_t i;

		rec->fo = xmemdup0(v.s, v.len);
		for (i = 0; i < v.len; i++)
			if (rec->fo[i] == 'D' || rec->fo[i] == 'S')
				rec->fo[i] = (char)(rec->fo[i] - 'A' + 'a');
	}
	/* rf, ri and unknown tags: nothing the evaluation uses */
}

/* RFC 7489 6.6.3 (and RFC 9989 for np): the record stands as published,
 * acts as p=none, or is not a record. */
static int apply_policy_rules(struct dmarc_record *rec, const struct raw_policy *raw,
			      struct am_err *err)
{
	const char *why = NULL;

	if (!raw->seen_p)
		why = "no p= tag";
	else if (raw->bad_p)
		why = "invalid p= value";
	else if (raw->bad_sp)
		why = "invalid sp= value";
	else if (raw->bad_np)
		why = "invalid np= value";
	if (why == NULL)
		return 0;
	if (!rua_usable(rec->rua)) {
		am_err_set(err, "%s and no usable rua= address (RFC 7489 6.6.3)", why);
		return -1;
	}
	rec->p = DMARC_POLICY_NONE;
	rec->sp = rec->np = DMARC_POLICY_UNSET;
	rec->policy_fallback = true;
	return 0;
}

int dmarc_record_parse(const char *txt, size_t len, struct dmarc_record *rec, struct am_err *err)
{
	struct raw_policy raw;
	struct span el, tag, v;
	size_t pos = 0;

	memset(rec, 0, sizeof(*rec));
	memset(&raw, 0, sizeof(raw));
	rec->pct = 100;
	if (txt == NULL || len == 0) {
		am_err_set(err, "empty record");
		return -1;
	}
	if (len > DMARC_RECORD_MAX) {
		am_err_set(err, "record longer than %d bytes", DMARC_RECORD_MAX);
		return -1;
	}
	if (memchr(txt, 0, len) != NULL) {
		am_err_set(err, "NUL byte in record");
		return -1;
	}
	if (!first_is_version(txt, len)) {
		am_err_set(err, "does not start with v=DMARC1");
		return -1;
	}
	next_element(txt, len, &pos, &el); /* v=DMARC1 */
	while (next_element(txt, len, &pos, &el))
		if (split_tag(el, &tag, &v))
			apply_tag(rec, &raw, tag, v);
	if (apply_policy_rules(rec, &raw, err) == 0)
		return 0;
	dmarc_record_clear(rec);
	return -1;
}

void dmarc_record_clear(struct dmarc_record *rec)
{
	free(rec->rua);
	free(rec->ruf);
	free(rec->fo);
	memset(rec, 0, sizeof(*rec));
	rec->pct = 100;
}
