/*
 * audit_dkim - the DKIM key part of a domain audit (see audit.h)
 *
 * DESCRIPTION
 *	For each selector: the CNAME chain of <selector>._domainkey.<domain>
 *	(an ESP's delegation), asked one hop at a time as CNAME queries
 *	through the shared resolver, at most AUDIT_MAX_CNAMES hops; the TXT
 *	records the name answers (the resolver follows the CNAMEs); and the
 *	key as dsig_key_fetch() reads it: the engine's key record parser with
 *	the dkim.min_key_bits of the configuration (RFC 8301), which takes
 *	the first record that parses and accepts whitespace inside p=
 *	(RFC 6376 3.6.1: it is folding whitespace there), but no other
 *	stray character.
 *
 *	Findings: no key, a revoked key (empty p=), a record that does not
 *	parse or decode, and an RSA key under the minimum are errors;
 *	several TXT records at the name and a key under 2048 bits (RFC 8301
 *	recommends them) are warnings; t=y and the CNAME chain are noted.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tools/audit.h"
#include "util/xalloc.h"

/* The CNAME hops of name, as the resolver follows them. */
static void dkim_cnames(struct audit *a, struct audit_key *k)
{
	const char *at = k->name;

	while (k->n_cname < AUDIT_MAX_CNAMES) {
		struct dns_result *res = resolver_query(a->r, at, DNS_T_CNAME);

		if (res->status != DNS_OK || res->nrr == 0 || res->rr[0].text == NULL) {
			dns_result_free(res);
			return;
		}
		k->cname[k->n_cname] = xstrdup(res->rr[0].text);
		at = k->cname[k->n_cname++];
		dns_result_free(res);
	}
}

/* The TXT records at the name: how many, and the one the key parser used. */
static void dkim_records(struct audit *a, struct audit_key *k)
{
	struct dns_result *res = resolver_query(a->r, k->name, DNS_T_TXT);
	size_t i;

	for (i = 0; res->status == DNS_OK && i < res->nrr; i++) {
		const struct dns_rr *rr = &res->rr[i];
		struct dsig_key key;

		k->n_records++;
		if (k->record != NULL || strlen(rr->text) != rr->text_len)
			continue; /* the key parser skips text with NUL bytes too */
		if (k->rc != DSIG_OK) {
			k->record = xstrdup(rr->text);
			continue;
		}
		if (dsig_key_parse(rr->text, a->cfg->dkim_min_key_bits, &key) == DSIG_OK)
			k->record = xstrdup(rr->text);
		dsig_key_clear(&key);
	}
	dns_result_free(res);
}

/* What a copy-paste leaves in a record the parser refuses. */
static const char *dkim_hint(const struct audit_key *k)
{
	if (k->record == NULL || strpbrk(k->record, "\"\\") == NULL)
		return "";
	return "; the record holds a quote or backslash, as when a zone file's "
	       "\"...\" \"...\" strings are pasted as text: publish the key as "
	       "plain text, split into strings only by the DNS tool";
}

static void dkim_findings(struct audit *a, const struct audit_key *k)
{
	const char *via = k->n_cname > 0 ? " (reached through a CNAME to " : "";
	const char *to = k->n_cname > 0 ? k->cname[k->n_cname - 1] : "";
	const char *close = k->n_cname > 0 ? ")" : "";

	if (k->rc == DSIG_TEMPFAIL)
		audit_add(a, AUDIT_WARNING, "dkim", "selector %s: %s", k->selector, k->why);
	else if (k->rc != DSIG_OK && k->too_small)
		audit_add(a, AUDIT_ERROR, "dkim",
			  "selector %s: %s%s%s%s (dkim.min_key_bits): signatures with it never "
			  "pass here; publish a 2048-bit key",
			  k->selector, k->why, via, to, close);
	else if (k->rc != DSIG_OK)
		audit_add(a, AUDIT_ERROR, "dkim", "selector %s: %s%s%s%s%s%s%s", k->selector,
			  k->why, strstr(k->why, k->name) == NULL ? " at " : "",
			  strstr(k->why, k->name) == NULL ? k->name : "", via, to, close,
			  dkim_hint(k));
	if (k->n_records > 1)
		audit_add(a, AUDIT_WARNING, "dkim",
			  "selector %s: %zu TXT records at %s; verifiers may take either",
			  k->selector, k->n_records, k->name);
	if (k->rc != DSIG_OK)
		return;
	if (!k->ed25519 && k->bits < 2048)
		audit_add(a, AUDIT_WARNING, "dkim",
			  "selector %s: %u-bit RSA key; RFC 8301 asks signers for 2048 bits",
			  k->selector, k->bits);
	if (k->testing)
		audit_add(a, AUDIT_INFO, "dkim",
			  "selector %s: t=y, the domain says it is testing DKIM (a failing "
			  "signature with this key is not held against it)",
			  k->selector);
	audit_add(a, AUDIT_INFO, "dkim", "selector %s: %s %u-bit key at %s%s%s%s", k->selector,
		  k->ed25519 ? "ed25519" : "RSA", k->bits, k->name, via, to, close);
}

void audit_dkim(struct audit *a, const char *selector)
{
	struct audit_key *k = &a->keys[a->n_keys++];
	struct dsig_key key;

	k->selector = xstrdup(selector);
	k->name = xasprintf("%s._domainkey.%s", selector, a->domain);
	dkim_cnames(a, k);
	k->rc = dsig_key_fetch(a->r, selector, a->domain, a->cfg->dkim_min_key_bits, &key);
	k->ed25519 = key.ed25519;
	k->testing = key.testing;
	k->too_small = key.too_small;
	k->bits = key.bits;
	memcpy(k->why, key.why, sizeof(k->why));
	dsig_key_clear(&key);
	dkim_records(a, k);
	dkim_findings(a, k);
}

void audit_key_clear(struct audit_key *k)
{
	size_t i;

	free(k->selector);
	free(k->name);
	for (i = 0; i < k->n_cname; i++)
		free(k->cname[i]);
	free(k->record);
}
