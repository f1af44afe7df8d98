/*
 * spf_driver - runs the OpenSPF RFC 7208 suite against the SPF engine (TAP)
 *
 *	spf_driver TESTS_TSV BASE_PORT [TEST_ID...]
 *
 * With SPF_SLOW_BASE set (a second amdns.py serving the same zones with
 * --query-delay 0.2), one more test checks the whole-check time limit.
 *
 * TESTS_TSV is rfc7208-tests.tsv (scenario, id, spec, helo, host, mailfrom,
 * acceptable results, explanation or "-"). Scenario K is served by amdns.py
 * on 127.0.0.1 port BASE_PORT+K (spf_suite.sh starts it). Each scenario
 * gets a fresh resolver with a 1 s timeout, so the suite's TIMEOUT names
 * cost one second each. An empty mailfrom is the null sender: the engine
 * checks postmaster@HELO itself, as the suite and RFC 7208 2.4 define.
 * "DEFAULT" as the explanation means the suite wants no exp= text.
 * One TAP line per test; a failure shows expected and got, and the reason.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/resolver.h"
#include "engine/spf.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

enum { F_SCEN, F_ID, F_SPEC, F_HELO, F_HOST, F_FROM, F_RESULTS, F_EXP, F_N };

/*
 * Differences from the suite that follow a stated rule rather than a bug
 * ({id, rule}). A listed test that fails is reported as TODO with the rule;
 * one that passes is an ordinary pass.
 */
static const struct {
	const char *id, *rule;
} known[] = {
    /* none: every test of the suite passes */
    {NULL, NULL},
};

static const char *known_rule(const char *id)
{
	size_t i;

	for (i = 0; known[i].id != NULL; i++)
		if (strcmp(known[i].id, id) == 0)
			return known[i].rule;
	return NULL;
}

static bool result_ok(const char *want, const char *got)
{
	char *list = xstrdup(want), *save = NULL, *tok;
	bool ok = false;

	for (tok = strtok_r(list, ",", &save); tok != NULL && !ok; tok = strtok_r(NULL, ",", &save))
		ok = strcmp(tok, got) == 0;
	free(list);
	return ok;
}

static bool explanation_ok(const char *want, const char *got)
{
	if (strcmp(want, "-") == 0)
		return true;
	if (strcmp(want, "DEFAULT") == 0)
		return got == NULL;
	return got != NULL && strcmp(want, got) == 0;
}

static struct resolver *scenario_resolver(int port)
{
	char ns[64];
	const char *nss[1] = {ns};
	struct resolver_opts opts = {nss, 1, 1.0, true, 0};
	struct am_err err;
	struct resolver *r;

	snprintf(ns, sizeof(ns), "127.0.0.1@%d", port);
	r = resolver_new(&opts, &err);
	if (r == NULL) {
		printf("Bail out! resolver for %s: %s\n", ns, err.msg);
		exit(1);
	}
	return r;
}

static bool selected(const char *id, int argc, char **argv)
{
	int i;

	if (argc <= 3)
		return true;
	for (i = 3; i < argc; i++)
		if (strcmp(argv[i], id) == 0)
			return true;
	return false;
}

static int run_test(int n, char **f, struct resolver *r)
{
	struct spf_outcome out;
	const char *got, *rule;
	bool ok;

	spf_check_mailfrom(r, NULL, f[F_HOST], f[F_FROM], f[F_HELO], "receiver.example", &out);
	got = spf_result_name(out.result);
	ok = result_ok(f[F_RESULTS], got) && explanation_ok(f[F_EXP], out.explanation);
	rule = ok ? NULL : known_rule(f[F_ID]);
	printf("%s %d - %s (%s)%s%s\n", ok ? "ok" : "not ok", n, f[F_ID], f[F_SPEC],
	       rule != NULL ? " # TODO " : "", rule != NULL ? rule : "");
	if (!ok || getenv("SPF_DRIVER_VERBOSE") != NULL) {
		printf("#   expected: %s, explanation %s\n", f[F_RESULTS], f[F_EXP]);
		printf("#   got:      %s, explanation %s\n", got,
		       out.explanation != NULL ? out.explanation : "DEFAULT");
		printf("#   reason:   %s\n", out.reason);
	}
	spf_outcome_clear(&out);
	return ok;
}

/*
 * spf_limits.time_limit: e6.example.com of scenario 15 has ten DNS terms;
 * with every answer 0.2 s late, a 1 s limit must stop it with temperror.
 */
static int run_time_limit(int n, int slow_base)
{
	struct spf_limits lim = SPF_LIMITS_DEFAULT;
	struct resolver *r = scenario_resolver(slow_base + 15);
	struct spf_outcome out;
	bool ok;

	lim.time_limit = 1;
	spf_check_mailfrom(r, &lim, "1.2.3.4", "foo@e6.example.com", "mail.example.com", NULL,
			   &out);
	ok = out.result == SPF_RESULT_TEMPERROR && strstr(out.reason, "time limit") != NULL;
	printf("%s %d - time limit of 1 s stops a slow check with temperror\n",
	       ok ? "ok" : "not ok", n);
	if (!ok)
		printf("#   got: %s (%s)\n", spf_result_name(out.result), out.reason);
	spf_outcome_clear(&out);
	resolver_free(r);
	return ok;
}

int main(int argc, char **argv)
{
	char line[4096], *rows[512][F_N], *save;
	int nrows = 0, i, k, base, scen = -1, failed = 0, slow;
	struct resolver *r = NULL;
	FILE *fp;

	if (argc < 3 || (fp = fopen(argv[1], "r")) == NULL) {
		printf("Bail out! usage: spf_driver TESTS_TSV BASE_PORT [ID...]\n");
		return 1;
	}
	base = atoi(argv[2]);
	while (fgets(line, sizeof(line), fp) != NULL && nrows < 512) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		save = xstrdup(line);
		for (k = 0; k < F_N; k++) {
			rows[nrows][k] = save;
			save = strchr(save, '\t');
			if (save != NULL)
				*save++ = '\0';
			else
				save = rows[nrows][k] + strlen(rows[nrows][k]);
		}
		if (selected(rows[nrows][F_ID], argc, argv))
			nrows++;
		else
			free(rows[nrows][0]);
	}
	fclose(fp);
	slow = getenv("SPF_SLOW_BASE") != NULL ? atoi(getenv("SPF_SLOW_BASE")) : 0;
	printf("1..%d\n", nrows + (slow > 0));
	for (i = 0; i < nrows; i++) {
		if (atoi(rows[i][F_SCEN]) != scen) {
			resolver_free(r);
			scen = atoi(rows[i][F_SCEN]);
			r = scenario_resolver(base + scen);
		}
		failed += !run_test(i + 1, rows[i], r);
		fflush(stdout);
		free(rows[i][0]);
	}
	resolver_free(r);
	printf("# %d of %d suite tests passed\n", nrows - failed, nrows);
	if (slow > 0)
		run_time_limit(nrows + 1, slow);
	return 0;
}
