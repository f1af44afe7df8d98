/*
 * fuzz_authres_format - writing Authentication-Results (src/engine/authres.c)
 *
 * DESCRIPTION
 *	Builds a verdict from the input: results, an authserv-id, and hostile
 *	strings (control bytes, CR/LF, quotes, backslashes, parentheses,
 *	semicolons, 8-bit bytes, over-long values) for every field that comes
 *	from a message or the envelope: identities, domains, selectors,
 *	algorithms, header.b, reasons, the DMARC record. Up to 20 signatures
 *	(more than AUTHRES_DKIM_MAX). Checks that authres_format() writes
 *	7-bit printable text whose only line breaks are folds ("\n" then a
 *	TAB), that authres_valid() accepts it, and that the authserv-id read
 *	back from it is ours when ours is a plain token. Also runs
 *	explain_verdict() and authres_value() on the same verdict and values.
 */
#include "config.h"

#include "engine/authres.h"
#include "engine/explain.h"
#include "fuzz.h"
#include "util/xalloc.h"

#define STR_MAX 400 /* over AUTHRES_VALUE_MAX */

/* A string from the input, or NULL now and then (fields may be absent). */
static char *maybe_string(struct fuzz_in *in)
{
	char *s = fuzz_string(in, STR_MAX);

	if (s[0] == '\0' && (fuzz_byte(in) & 1)) {
		free(s);
		return NULL;
	}
	return s;
}

static void fill_spf(struct fuzz_in *in, struct spf_outcome *o)
{
	o->result = (enum spf_result)(fuzz_byte(in) % (SPF_RESULT_PERMERROR + 1));
	o->identity = maybe_string(in);
	o->domain = maybe_string(in);
	o->explanation = maybe_string(in);
	o->reason = maybe_string(in);
}

static void fill_dkim(struct fuzz_in *in, struct verdict *v)
{
	size_t i;

	v->n_dkim = fuzz_byte(in) % 21;
	v->dkim = xcalloc(v->n_dkim ? v->n_dkim : 1, sizeof(*v->dkim));
	for (i = 0; i < v->n_dkim; i++) {
		struct dkimv_sig *s = &v->dkim[i];

		s->result = (enum dkimv_result)(fuzz_byte(in) % (DKIMV_PERMERROR + 1));
		s->domain = fuzz_string(in, STR_MAX);
		s->selector = fuzz_string(in, STR_MAX);
		s->algorithm = fuzz_string(in, STR_MAX);
		s->b_prefix = fuzz_string(in, STR_MAX);
		s->reason = maybe_string(in);
		s->key_bits = fuzz_byte(in) * 64u;
		s->testing = fuzz_byte(in) & 1;
		s->body_length = (long)fuzz_byte(in) - 1;
		s->unsigned_bytes = s->body_length > 0 ? s->body_length * 3 : 0;
	}
}

static void fill_dmarc(struct fuzz_in *in, struct dmarc_outcome *d)
{
	d->result = (enum dmarc_result)(fuzz_byte(in) % (DMARC_RESULT_PERMERROR + 1));
	d->from_domain = maybe_string(in);
	d->policy_domain = maybe_string(in);
	d->org_domain = maybe_string(in);
	d->record = maybe_string(in);
	d->reason = maybe_string(in);
	d->have_record = fuzz_byte(in) & 1;
	d->rec.p = (enum dmarc_policy)(fuzz_byte(in) % 4);
	d->rec.sp = (enum dmarc_policy)(fuzz_byte(in) % 4);
	d->rec.np = (enum dmarc_policy)(fuzz_byte(in) % 4);
	d->rec.pct = fuzz_byte(in) % 101;
	d->rec.testing = fuzz_byte(in) & 1;
	d->rec.adkim_strict = fuzz_byte(in) & 1;
	d->rec.aspf_strict = fuzz_byte(in) & 1;
	d->policy = (enum dmarc_policy)(fuzz_byte(in) % 4);
	d->applied = (enum dmarc_policy)(fuzz_byte(in) % 4);
	d->sampled_out = fuzz_byte(in) & 1;
	d->spf_aligned = fuzz_byte(in) & 1;
	d->dkim_aligned = fuzz_byte(in) & 1;
}

static bool is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '-'))
			return false;
	return true;
}

static void check_output(const char *id, const char *out)
{
	const char *p;
	char *back;

	for (p = out; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n') {
			FUZZ_CHECK(p[1] == '\t', "LF not followed by TAB at %zu in:\n%s",
				   (size_t)(p - out), out);
			continue;
		}
		FUZZ_CHECK((c >= 0x20 && c < 0x7f) || c == '\t', "byte 0x%02x at %zu in:\n%s", c,
			   (size_t)(p - out), out);
	}
	FUZZ_CHECK(authres_valid(out), "authres_valid() rejects our own:\n%s", out);
	/* An empty id is written as "", which the reader takes for no id. */
	back = authres_read_authserv_id(out);
	if (id[0] != '\0')
		FUZZ_CHECK(back != NULL, "no authserv-id in:\n%s", out);
	if (is_token(id)) { /* kept whole up to AUTHRES_VALUE_MAX bytes */
		size_t keep = strlen(id) < AUTHRES_VALUE_MAX ? strlen(id) : AUTHRES_VALUE_MAX;

		FUZZ_CHECK(strlen(back) == keep && strncmp(back, id, keep) == 0,
			   "authserv-id \"%s\" read as \"%s\"", id, back);
	}
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct verdict *v = verdict_new();
	char *id = fuzz_string(&in, STR_MAX), *out, *val;

	v->checked = true; /* as the engine sets it for every message it checks */
	fill_spf(&in, &v->spf);
	fill_spf(&in, &v->spf_helo);
	fill_dkim(&in, v);
	v->author = (enum author_status)(fuzz_byte(&in) % (AUTHOR_UNPARSEABLE + 1));
	v->header_from = maybe_string(&in);
	if (v->author == AUTHOR_OK && v->header_from == NULL)
		v->header_from = xstrdup(""); /* the engine always sets it then */
	fill_dmarc(&in, &v->dmarc);
	v->action = (enum action)(fuzz_byte(&in) % (ACTION_TEMPFAIL + 1));

	out = authres_format(id, v);
	FUZZ_CHECK(out != NULL, "authres_format returned NULL");
	check_output(id, out);
	free(out);

	out = explain_verdict(v);
	FUZZ_CHECK(out != NULL, "explain_verdict returned NULL");
	free(out);

	val = authres_value(v->header_from);
	FUZZ_CHECK(strchr(val, '\n') == NULL && strchr(val, '\r') == NULL,
		   "line break in authres_value()");
	free(val);

	verdict_free(v);
	free(id);
	return 0;
}
