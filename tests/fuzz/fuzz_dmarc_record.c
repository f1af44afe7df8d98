/*
 * fuzz_dmarc_record - DMARC record and name handling (src/engine/dmarc*.c)
 *
 * DESCRIPTION
 *	The input is a TXT record's text (bytes, NUL allowed). Runs
 *	dmarc_record_parse() and dmarc_record_is_dmarc() and checks: a parsed
 *	record started with v=DMARC1; p is a real policy (NONE..REJECT), sp
 *	and np UNSET..REJECT; pct 0..100; psd U, Y or N and the same as
 *	dmarc_record_psd() reads; policy_fallback means p=none; a failed parse
 *	left an error message. Short inputs are also used as a domain name for
 *	dmarc_name_normalize(), dmarc_org_domain(), dmarc_aligned() and
 *	dmarc_walk_names(): a normalized name is lower case, at most 253
 *	octets, without a trailing dot, and aligns with itself; a tree walk
 *	from it asks at most 8 names, the name first, then ever shorter
 *	suffixes of it ending with its top-level domain.
 */
#include "config.h"

#include "engine/dmarc.h"
#include "engine/dmarc_walk.h"
#include "fuzz.h"

static struct dmarc_ctx *dctx;

static void check_record(const struct dmarc_record *rec)
{
	FUZZ_CHECK(rec->p >= DMARC_POLICY_NONE && rec->p <= DMARC_POLICY_REJECT, "p %d",
		   (int)rec->p);
	FUZZ_CHECK(rec->sp >= DMARC_POLICY_UNSET && rec->sp <= DMARC_POLICY_REJECT, "sp %d",
		   (int)rec->sp);
	FUZZ_CHECK(rec->np >= DMARC_POLICY_UNSET && rec->np <= DMARC_POLICY_REJECT, "np %d",
		   (int)rec->np);
	FUZZ_CHECK(rec->pct >= 0 && rec->pct <= 100, "pct %d", rec->pct);
	FUZZ_CHECK(rec->psd == DMARC_PSD_U || rec->psd == DMARC_PSD_Y || rec->psd == DMARC_PSD_N,
		   "psd %d", (int)rec->psd);
	if (rec->policy_fallback)
		FUZZ_CHECK(rec->p == DMARC_POLICY_NONE, "fallback with p %d", (int)rec->p);
	FUZZ_CHECK(dmarc_policy_name(rec->p) != NULL, "no policy name");
}

/* The names of a walk from a normalized name: the name, then suffixes of
 * it with fewer and fewer labels, the last one label; 8 at most. */
static void check_walk_names(const char *norm)
{
	const char *names[DMARC_WALK_MAX];
	size_t n = dmarc_walk_names(norm, names), i, len = strlen(norm);

	FUZZ_CHECK(n >= 1 && n <= DMARC_WALK_MAX, "%zu walk names", n);
	FUZZ_CHECK(names[0] == norm, "the walk does not start at the name");
	for (i = 1; i < n; i++) {
		FUZZ_CHECK(names[i] > names[i - 1] && names[i] <= norm + len && names[i][-1] == '.',
			   "walk name %zu of \"%s\" is not a shorter suffix", i, norm);
	}
	FUZZ_CHECK(strchr(names[n - 1], '.') == NULL, "walk of \"%s\" ends at \"%s\"", norm,
		   names[n - 1]);
}

static void check_name(const uint8_t *data, size_t size)
{
	char *name = fuzz_cstr(data, size);
	char *norm = dmarc_name_normalize(name), *org;
	size_t len, i;

	if (norm != NULL) {
		len = strlen(norm);
		FUZZ_CHECK(len > 0 && len <= 253, "normalized length %zu", len);
		FUZZ_CHECK(norm[len - 1] != '.', "trailing dot in \"%s\"", norm);
		for (i = 0; i < len; i++)
			FUZZ_CHECK(!(norm[i] >= 'A' && norm[i] <= 'Z'), "upper case in \"%s\"",
				   norm);
		FUZZ_CHECK(dmarc_aligned(dctx, name, norm, true), "\"%s\" not aligned with \"%s\"",
			   name, norm);
		check_walk_names(norm);
		org = dmarc_org_domain(dctx, norm);
		if (org != NULL) {
			FUZZ_CHECK(dmarc_aligned(dctx, norm, org, false),
				   "\"%s\" not relaxed-aligned with its org domain \"%s\"", norm,
				   org);
			free(org);
		}
	}
	(void)dmarc_aligned(dctx, name, "example.com", false);
	free(norm);
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record rec;
	struct am_err err;
	int rc;

	if (dctx == NULL) {
		dctx = dmarc_ctx_new(AM_PSL_FILE, &err);
		FUZZ_CHECK(dctx != NULL, "dmarc_ctx_new: %s", err.msg);
	}
	memset(&rec, 0, sizeof(rec));
	err.msg[0] = '\0';
	rc = dmarc_record_parse((const char *)data, size, &rec, &err);
	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	if (rc == 0) {
		FUZZ_CHECK(dmarc_record_is_dmarc((const char *)data, size),
			   "parsed, but not v=DMARC1");
		FUZZ_CHECK(rec.psd == dmarc_record_psd((const char *)data, size),
			   "psd %d, dmarc_record_psd() %d", (int)rec.psd,
			   (int)dmarc_record_psd((const char *)data, size));
		check_record(&rec);
		dmarc_record_clear(&rec);
	} else {
		FUZZ_CHECK(err.msg[0] != '\0', "failed without a reason");
	}
	if (size < 300 && memchr(data, '\0', size) == NULL)
		check_name(data, size);
	return 0;
}
