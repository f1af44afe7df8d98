/*
 * dmarc_eval_driver - run dmarc_evaluate() or one tree walk through a real
 * resolver
 *
 * SYNOPSIS
 *	dmarc_eval_driver --ns IP@PORT [--timeout S] [--discovery treewalk|psl]
 *	                  --from DOMAIN [--spf DOMAIN:RESULT] [--dkim DOMAIN]...
 *	                  [--pct-ignore]
 *	dmarc_eval_driver --ns IP@PORT [--timeout S] --walk DOMAIN
 *
 * DESCRIPTION
 *	For the script tests (tests/conformance/dmarc_eval_scenarios.py,
 *	tests/integration/dmarc_temperror.sh): points a resolver at the test
 *	DNS server, evaluates DMARC for the given From domain, SPF identity
 *	and result (only the one identity that counts: MAIL FROM, or HELO for
 *	a null sender) and passing DKIM d= domains, and prints
 *	  result=R disposition=D policy=P applied=A spf_aligned=0|1
 *	  dkim_aligned=0|1 policy_domain=X org_domain=O discovery=M queries=N
 *	  align_temperror=0|1
 *	  record=...
 *	  reason=...
 *	where disposition is "none" unless the result is fail, then the
 *	applied policy, "-" stands for none, M is treewalk (the default) or
 *	psl, and N is the number of DNS lookups sent (the resolver keeps no
 *	answers, so each one reaches the server). --walk runs one RFC 9989
 *	tree walk from DOMAIN (tests/conformance/dmarc_treewalk.sh) and prints
 *	  org_domain=O queries=N tempfail=0|1 records=D1,D2,...
 *	Exit status 0, or 2 on a usage error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/resolver.h"
#include "engine/dmarc.h"
#include "engine/dmarc_walk.h"

#define MAX_DKIM 16

static enum spf_result spf_parse(const char *s)
{
	static const char *const names[] = {"none",	"neutral",   "pass",	 "fail",
					    "softfail", "temperror", "permerror"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (enum spf_result)i;
	fprintf(stderr, "unknown SPF result %s\n", s);
	exit(2);
}

static int usage(void)
{
	fprintf(stderr, "usage: dmarc_eval_driver --ns IP@PORT [--timeout S] "
			"[--discovery treewalk|psl] --from DOMAIN [--spf DOMAIN:RESULT] "
			"[--dkim DOMAIN]... [--pct-ignore]\n"
			"       dmarc_eval_driver --ns IP@PORT [--timeout S] --walk DOMAIN\n");
	return 2;
}

static const char *dash(const char *s)
{
	return s != NULL ? s : "-";
}

static void walk(struct resolver *r, const char *name)
{
	struct dmarc_walk w;
	size_t i;

	dmarc_walk_run(r, name, &w);
	printf("org_domain=%s queries=%u tempfail=%d records=", dash(w.org_domain), w.queries,
	       w.tempfail);
	for (i = 0; i < w.n_rec; i++)
		printf("%s%s", i ? "," : "", w.rec[i].domain);
	printf("%s\n", w.n_rec ? "" : "-");
	dmarc_walk_clear(&w);
}

int main(int argc, char **argv)
{
	const char *ns = NULL, *dkim[MAX_DKIM], *walk_from = NULL;
	enum dmarc_discovery how = DMARC_DISCOVERY_TREEWALK;
	struct dmarc_input in = {0};
	struct dmarc_opts opts = {DMARC_PCT_SAMPLE, NULL, NULL};
	struct resolver_opts ro = {0};
	struct dmarc_outcome out;
	struct dmarc_ctx *dc;
	struct resolver *r;
	struct am_err err;
	char *spf = NULL, *colon;
	int i;

	ro.timeout = 3.0;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--pct-ignore")) {
			opts.pct_mode = DMARC_PCT_IGNORE;
			continue;
		}
		if (v == NULL)
			return usage();
		i++;
		if (!strcmp(a, "--ns"))
			ns = v;
		else if (!strcmp(a, "--timeout"))
			ro.timeout = atof(v);
		else if (!strcmp(a, "--from"))
			in.from_domain = v;
		else if (!strcmp(a, "--walk"))
			walk_from = v;
		else if (!strcmp(a, "--discovery") && !strcmp(v, "psl"))
			how = DMARC_DISCOVERY_PSL;
		else if (!strcmp(a, "--discovery") && !strcmp(v, "treewalk"))
			how = DMARC_DISCOVERY_TREEWALK;
		else if (!strcmp(a, "--spf"))
			spf = strdup(v);
		else if (!strcmp(a, "--dkim") && in.n_dkim_pass < MAX_DKIM)
			dkim[in.n_dkim_pass++] = v;
		else
			return usage();
	}
	if (ns == NULL || (in.from_domain == NULL) == (walk_from == NULL))
		return usage();
	if (spf != NULL && (colon = strrchr(spf, ':')) != NULL) {
		*colon = '\0';
		in.spf_domain = spf;
		in.spf_result = spf_parse(colon + 1);
	}
	in.dkim_pass_domains = dkim;
	ro.nameservers = &ns;
	ro.n_nameservers = 1;
	ro.no_cache = true;
	r = resolver_new(&ro, &err);
	dc = r ? dmarc_ctx_new(AM_PSL_FILE, &err) : NULL;
	if (dc == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		resolver_free(r);
		return 1;
	}
	if (walk_from != NULL) {
		walk(r, walk_from);
		dmarc_ctx_free(dc);
		resolver_free(r);
		free(spf);
		return 0;
	}
	dmarc_ctx_set_discovery(dc, how);
	dmarc_evaluate(dc, r, &opts, &in, &out);
	printf("result=%s disposition=%s policy=%s applied=%s spf_aligned=%d dkim_aligned=%d "
	       "policy_domain=%s org_domain=%s discovery=%s queries=%lu align_temperror=%d\n"
	       "record=%s\nreason=%s\n",
	       dmarc_result_name(out.result),
	       out.result == DMARC_RESULT_FAIL ? dmarc_policy_name(out.applied) : "none",
	       dmarc_policy_name(out.policy), dmarc_policy_name(out.applied), out.spf_aligned,
	       out.dkim_aligned, dash(out.policy_domain), dash(out.org_domain),
	       dmarc_discovery_name(out.discovery), resolver_query_count(r), out.align_temperror,
	       dash(out.record), out.reason);
	dmarc_outcome_clear(&out);
	dmarc_ctx_free(dc);
	resolver_free(r);
	free(spf);
	return 0;
}
