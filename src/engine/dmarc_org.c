/*
 * dmarc_org - organizational domains (libpsl), identifier alignment, and
 * the shared context (the list and the discovery method)
 *
 * DESCRIPTION
 *	The dmarc_ctx holds the public suffix list, loaded once from a file
 *	with psl_load_file() and only read afterwards (libpsl lookups on a
 *	loaded context are read-only, so one context serves every thread).
 *	Names are normalized before lookup: ASCII lower-cased, one trailing
 *	dot removed; a name with an empty label, a leading dot or over 253
 *	octets has no organizational domain. libpsl accepts UTF-8 (U-labels)
 *	and A-labels alike and matches the list's IDN rules in both forms, so
 *	IDN names are passed as they are (checked against the official
 *	test_psl.txt vectors by tests/conformance/psl_vectors).
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "engine/dmarc.h"
#include "util/xalloc.h"

#define NAME_MAX_LEN 253

struct dmarc_ctx {
	psl_ctx_t *psl;
	enum dmarc_discovery discovery;
};

struct dmarc_ctx *dmarc_ctx_new(const char *psl_file, struct am_err *err)
{
	struct dmarc_ctx *dc;
	psl_ctx_t *psl;

	if (psl_file == NULL || *psl_file == '\0') {
		am_err_set(err, "no public suffix list file given");
		return NULL;
	}
	psl = psl_load_file(psl_file);
	if (psl == NULL) {
		am_err_set(err, "cannot load the public suffix list %s", psl_file);
		return NULL;
	}
	if (psl_suffix_count(psl) <= 0) {
		am_err_set(err, "public suffix list %s has no rules", psl_file);
		psl_free(psl);
		return NULL;
	}
	dc = xcalloc(1, sizeof(*dc));
	dc->psl = psl;
	dc->discovery = DMARC_DISCOVERY_TREEWALK;
	return dc;
}

void dmarc_ctx_set_discovery(struct dmarc_ctx *dc, enum dmarc_discovery how)
{
	dc->discovery = how;
}

enum dmarc_discovery dmarc_ctx_discovery(const struct dmarc_ctx *dc)
{
	return dc != NULL ? dc->discovery : DMARC_DISCOVERY_TREEWALK;
}

void dmarc_ctx_free(struct dmarc_ctx *dc)
{
	if (dc == NULL)
		return;
	psl_free(dc->psl);
	free(dc);
}

char *dmarc_name_normalize(const char *name)
{
	size_t len, i, label = 0;
	char *s;

	if (name == NULL)
		return NULL;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > NAME_MAX_LEN)
		return NULL;
	s = xmemdup0(name, len);
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				break;
			label = 0;
			continue;
		}
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
		label++;
	}
	if (i < len || label == 0) {
		free(s);
		return NULL;
	}
	return s;
}

char *dmarc_org_domain(const struct dmarc_ctx *dc, const char *name)
{
	char *n = dmarc_name_normalize(name);
	const char *reg;
	char *res = NULL;

	if (n == NULL || dc == NULL) {
		free(n);
		return NULL;
	}
	reg = psl_registrable_domain(dc->psl, n);
	if (reg != NULL)
		res = xstrdup(reg);
	free(n);
	return res;
}

bool dmarc_aligned(const struct dmarc_ctx *dc, const char *a, const char *b, bool strict)
{
	char *na = dmarc_name_normalize(a), *nb = dmarc_name_normalize(b);
	char *oa, *ob;
	bool same;

	if (na == NULL || nb == NULL) {
		free(na);
		free(nb);
		return false;
	}
	same = strcmp(na, nb) == 0;
	if (same || strict) {
		free(na);
		free(nb);
		return same;
	}
	oa = dmarc_org_domain(dc, na);
	ob = dmarc_org_domain(dc, nb);
	same = oa != NULL && ob != NULL && strcmp(oa, ob) == 0;
	free(oa);
	free(ob);
	free(na);
	free(nb);
	return same;
}

const char *dmarc_result_name(enum dmarc_result res)
{
	switch (res) {
	case DMARC_RESULT_NONE:
		return "none";
	case DMARC_RESULT_PASS:
		return "pass";
	case DMARC_RESULT_FAIL:
		return "fail";
	case DMARC_RESULT_TEMPERROR:
		return "temperror";
	case DMARC_RESULT_PERMERROR:
		return "permerror";
	}
	return "unknown";
}

const char *dmarc_discovery_name(enum dmarc_discovery how)
{
	return how == DMARC_DISCOVERY_PSL ? "psl" : "treewalk";
}

const char *dmarc_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_UNSET:
		return "unset";
	case DMARC_POLICY_NONE:
		return "none";
	case DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case DMARC_POLICY_REJECT:
		return "reject";
	}
	return "unknown";
}
