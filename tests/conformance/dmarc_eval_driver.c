/*
 * dmarc_eval_driver - run dmarc_evaluate() once through a real resolver
 *
 * SYNOPSIS
 *	dmarc_eval_driver --ns IP@PORT [--timeout S] --from DOMAIN
 *	                  [--spf DOMAIN:RESULT] [--dkim DOMAIN]... [--pct-ignore]
 *
 * DESCRIPTION
 *	For the script tests (tests/conformance/dmarc_eval_scenarios.py,
 *	tests/integration/dmarc_temperror.sh): points a resolver at the test
 *	DNS server, evaluates DMARC for the given From domain, SPF identity
 *	and result (only the one identity that counts: MAIL FROM, or HELO for
 *	a null sender) and passing DKIM d= domains, and prints
 *	  result=R disposition=D policy=P applied=A spf_aligned=0|1
 *	  dkim_aligned=0|1 policy_domain=X
 *	  reason=...
 *	where disposition is "none" unless the result is fail, then the
 *	applied policy. Exit status 0, or 2 on a usage error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/resolver.h"
#include "engine/dmarc.h"

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
	fprintf(stderr, "usage: dmarc_eval_driver --ns IP@PORT [--timeout S] --from DOMAIN "
			"[--spf DOMAIN:RESULT] [--dkim DOMAIN]... [--pct-ignore]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *ns = NULL, *dkim[MAX_DKIM];
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
		else if (!strcmp(a, "--spf"))
			spf = strdup(v);
		else if (!strcmp(a, "--dkim") && in.n_dkim_pass < MAX_DKIM)
			dkim[in.n_dkim_pass++] = v;
		else
			return usage();
	}
	if (ns == NULL || in.from_domain == NULL)
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
	dmarc_evaluate(dc, r, &opts, &in, &out);
	printf("result=%s disposition=%s policy=%s applied=%s spf_aligned=%d dkim_aligned=%d "
	       "policy_domain=%s\nreason=%s\n",
	       dmarc_result_name(out.result),
	       out.result == DMARC_RESULT_FAIL ? dmarc_policy_name(out.applied) : "none",
	       dmarc_policy_name(out.policy), dmarc_policy_name(out.applied), out.spf_aligned,
	       out.dkim_aligned, out.policy_domain ? out.policy_domain : "-", out.reason);
	dmarc_outcome_clear(&out);
	dmarc_ctx_free(dc);
	resolver_free(r);
	free(spf);
	return 0;
}
