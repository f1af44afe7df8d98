/*
 * spf_audit - a domain's SPF record tree, counted as check_host() counts
 * (see spf_audit.h)
 *
 * DESCRIPTION
 *	The walk uses the check's own context (struct spf_ctx) with the void
 *	limit lifted, so that spf_mech_lookup() counts void lookups exactly
 *	as in a check and never stops; the real limits are compared here,
 *	after each term, to say where a check would have stopped. Records are
 *	fetched and parsed by spf_fetch_record(), the function check_host()
 *	uses. Nothing here is used by a check.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/spf_audit.h"
#include "engine/spf_impl.h"
#include "util/xalloc.h"

struct walk {
	struct spf_ctx c;
	struct spf_audit *a;
	const char *path[SPF_MAX_DEPTH + 2]; /* the domains from the top to here */
	bool cut;			     /* SPF_AUDIT_MAX_TERMS reached */
};

static void walk_note(struct walk *w, enum spf_audit_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void walk_note(struct walk *w, enum spf_audit_kind kind, const char *fmt, ...)
{
	struct spf_audit *a = w->a;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	a->notes = xrealloc(a->notes, (a->n_notes + 1) * sizeof(*a->notes));
	a->notes[a->n_notes].kind = kind;
	a->notes[a->n_notes].text = strbuf_detach(&sb);
	a->n_notes++;
}

static size_t walk_node(struct walk *w, const char *domain, const char *via, unsigned depth)
{
	struct spf_audit *a = w->a;
	struct spf_audit_node *n;

	a->nodes = xrealloc(a->nodes, (a->n_nodes + 1) * sizeof(*a->nodes));
	n = &a->nodes[a->n_nodes];
	memset(n, 0, sizeof(*n));
	n->domain = xstrdup(domain);
	n->via = via != NULL ? xstrdup(via) : NULL;
	n->depth = depth;
	return a->n_nodes++;
}

static void node_problem(struct walk *w, size_t node, enum spf_result rc, const char *why)
{
	w->a->nodes[node].problem = xstrdup(why);
	w->a->nodes[node].rc = rc;
}

/* One DNS-querying term: counted as count_term() in spf.c counts it.
 * False when the walk has gone on long enough. */
static bool walk_count(struct walk *w, size_t node, const char *domain, const char *term)
{
	struct spf_audit *a = w->a;

	if (a->dns_terms >= SPF_AUDIT_MAX_TERMS) {
		if (!w->cut)
			walk_note(w, SPF_AUDIT_INFO, "audit stopped counting after %d terms",
				  SPF_AUDIT_MAX_TERMS);
		w->cut = true;
		return false;
	}
	a->nodes[node].dns_terms++;
	if (++a->dns_terms == a->lim.dns_mechanisms + 1)
		a->terms_over = xasprintf("%s in the SPF record of %s", term, domain);
	return true;
}

static void walk_domain(struct walk *w, const char *domain, const char *via, unsigned depth);

/* a, mx, exists: the term's own lookup, void lookups counted by spf_mech.c. */
static void walk_lookup(struct walk *w, const char *domain, const struct spf_term *t,
			const char *target)
{
	struct spf_audit *a = w->a;
	enum spf_result res = SPF_RESULT_NONE;
	unsigned before = w->c.voids;

	strbuf_reset(&w->c.reason);
	if (spf_mech_lookup(&w->c, t, target, &res) < 0)
		walk_note(
		    w, res == SPF_RESULT_TEMPERROR ? SPF_AUDIT_TEMPERROR : SPF_AUDIT_PERMERROR,
		    "%s in the SPF record of %s: %s", t->text, domain, strbuf_str(&w->c.reason));
	if (before <= a->lim.void_lookups && w->c.voids > a->lim.void_lookups)
		a->voids_over =
		    xasprintf("%s (%s in the SPF record of %s)", target, t->text, domain);
}

/* The target of an include, a, mx or exists term, then its lookup. */
static void walk_term(struct walk *w, size_t node, const char *domain, const struct spf_term *t,
		      unsigned depth)
{
	char *target;

	if (!walk_count(w, node, domain, t->text))
		return;
	if (t->mech == SPF_MECH_PTR) {
		walk_note(w, SPF_AUDIT_ADVICE,
			  "%s in the SPF record of %s: ptr is slow and should not be used "
			  "(RFC 7208 5.5); list the addresses with ip4/ip6 or a",
			  t->text, domain);
		return;
	}
	if (t->spec != NULL && strchr(t->spec, '%') != NULL) {
		walk_note(w, SPF_AUDIT_INFO,
			  "%s in the SPF record of %s: its target depends on each message "
			  "(macros), not looked up",
			  t->text, domain);
		return;
	}
	target = t->spec != NULL ? spf_macro_expand(&w->c, domain, t->spec, SPF_MACRO_DOMAIN)
				 : xstrdup(domain);
	if (target == NULL) {
		walk_note(w, SPF_AUDIT_PERMERROR, "%s in the SPF record of %s: bad target", t->text,
			  domain);
		return;
	}
	if (t->mech == SPF_MECH_INCLUDE)
		walk_domain(w, target, t->text, depth + 1);
	else
		walk_lookup(w, domain, t, target);
	free(target);
}

/* Every term a check reads for a client nothing matches. */
static void walk_record(struct walk *w, size_t node, const char *domain,
			const struct spf_record *rec, unsigned depth)
{
	const struct spf_term *all = NULL;
	char *what, *target;
	size_t i;

	for (i = 0; i < rec->n && all == NULL && !w->cut; i++) {
		const struct spf_term *t = &rec->terms[i];

		if (t->mech == SPF_MECH_ALL)
			all = t;
		else if (t->mech != SPF_MECH_IP4 && t->mech != SPF_MECH_IP6)
			walk_term(w, node, domain, t, depth);
	}
	if (all != NULL && i < rec->n)
		walk_note(w, SPF_AUDIT_ADVICE,
			  "terms after %s in the SPF record of %s are never evaluated", all->text,
			  domain);
	if (all != NULL && all->qual == SPF_RESULT_PASS)
		walk_note(w, SPF_AUDIT_ADVICE,
			  "%s in the SPF record of %s lets every host on the internet pass",
			  all->text, domain);
	if (rec->redirect != NULL && all != NULL)
		walk_note(w, SPF_AUDIT_ADVICE,
			  "redirect=%s in the SPF record of %s is ignored: %s comes first",
			  rec->redirect, domain, all->text);
	if (rec->redirect == NULL || all != NULL || w->cut) {
		if (depth == 0 && all == NULL && rec->redirect == NULL)
			walk_note(w, SPF_AUDIT_ADVICE,
				  "the SPF record of %s has no all term and no redirect=: "
				  "hosts it does not list get neutral",
				  domain);
		return;
	}
	what = xasprintf("redirect=%s", rec->redirect);
	if (walk_count(w, node, domain, what)) {
		if (strchr(rec->redirect, '%') != NULL)
			walk_note(w, SPF_AUDIT_INFO,
				  "%s in the SPF record of %s: its target depends on each "
				  "message (macros), not looked up",
				  what, domain);
		else if ((target = spf_macro_expand(&w->c, domain, rec->redirect,
						    SPF_MACRO_DOMAIN)) != NULL) {
			walk_domain(w, target, what, depth + 1);
			free(target);
		}
	}
	free(what);
}

static bool walk_loops(const struct walk *w, const char *domain, unsigned depth)
{
	unsigned i;

	for (i = 0; i < depth; i++)
		if (strcasecmp(w->path[i], domain) == 0)
			return true;
	return false;
}

static void walk_domain(struct walk *w, const char *domain, const char *via, unsigned depth)
{
	size_t node = walk_node(w, domain, via, depth);
	struct spf_record rec;
	enum spf_result res;
	char *text = NULL;

	if (depth > SPF_MAX_DEPTH) {
		node_problem(w, node, SPF_RESULT_PERMERROR, "include/redirect nested too deep");
		return;
	}
	if (walk_loops(w, domain, depth)) {
		node_problem(w, node, SPF_RESULT_PERMERROR,
			     "loop: this domain's record includes itself (a check goes round "
			     "until the lookup limit)");
		return;
	}
	w->path[depth] = domain;
	if (!spf_domain_valid(domain)) {
		node_problem(w, node, SPF_RESULT_NONE, "not a valid domain name");
		return;
	}
	strbuf_reset(&w->c.reason);
	if (!spf_fetch_record(&w->c, domain, &rec, &res, &text)) {
		w->a->nodes[node].record = text;
		node_problem(w, node, res, strbuf_str(&w->c.reason));
		return;
	}
	w->a->nodes[node].record = text;
	walk_record(w, node, domain, &rec, depth);
	spf_record_free(&rec);
}

void spf_audit_run(struct resolver *r, const struct spf_limits *lim, const char *ip,
		   const char *domain, struct spf_audit *a)
{
	static const struct spf_limits defaults = SPF_LIMITS_DEFAULT;
	struct walk w;

	memset(a, 0, sizeof(*a));
	memset(&w, 0, sizeof(w));
	a->lim = lim != NULL ? *lim : defaults;
	w.a = a;
	w.c.r = r;
	w.c.lim = a->lim;
	w.c.lim.void_lookups = UINT_MAX; /* counted here, never stopped at */
	w.c.lim.time_limit = 0;
	if (ip == NULL || !addr_parse(ip, &w.c.ip))
		(void)addr_parse("192.0.2.1", &w.c.ip);
	addr_unmap(&w.c.ip);
	w.c.local = "postmaster";
	w.c.sender_domain = domain;
	w.c.sender = "postmaster";
	walk_domain(&w, domain, NULL, 0);
	a->voids = w.c.voids;
	strbuf_free(&w.c.reason);
	free(w.c.p_domain);
	free(w.c.p_name);
}

void spf_audit_clear(struct spf_audit *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n_nodes; i++) {
		free(a->nodes[i].domain);
		free(a->nodes[i].via);
		free(a->nodes[i].record);
		free(a->nodes[i].problem);
	}
	for (i = 0; i < a->n_notes; i++)
		free(a->notes[i].text);
	free(a->nodes);
	free(a->notes);
	free(a->terms_over);
	free(a->voids_over);
	memset(a, 0, sizeof(*a));
}
