/*
 * lookahead - each check's DNS work, started as soon as its input is known
 *
 * SYNOPSIS
 *	struct session *s = session_new(eng, "192.0.2.1");    (at connect)
 *	session_helo(s, "mail.example.com");                  (at HELO)
 *	env.session = s; m = message_new(eng, &env);          (at MAIL)
 *	... message_header(), message_eoh(), message_eom() ...
 *	message_free(m);
 *	session_free(s);                                     (at close)
 *
 * DESCRIPTION
 *	A session is one SMTP connection as the engine sees it. At connect
 *	it starts the iprev lookups of the client address; at HELO, the HELO
 *	identity's SPF lookups (a new HELO drops the old ones); a message
 *	made with the session starts its own: MAIL FROM SPF at once, the
 *	DMARC policy lookups of the author domain when the first From header
 *	arrives (every name the tree walk will ask, at once), and the key
 *	lookup of each DKIM and ARC signature as its header arrives. The
 *	checks still run where they ran: DMARC discovery first thing at end
 *	of headers, the rest at end of message. All lookups run at the same time
 *	(dns/ahead.h); the checks join them where they always ran, so the
 *	verdict is the one the message would have had without a session.
 *	Nothing is started for a client in policy.trusted_networks or
 *	without an address, nor for a message that is skipped.
 *
 *	A message's lookups end with message_free() (an aborted message, a
 *	new MAIL FROM after RSET); the session's with session_free(). A
 *	session must outlive the messages made with it. After a reload a
 *	message on another engine than its session's looks only in its own
 *	lookups.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/ahead.h"
#include "engine/dmarc.h"
#include "engine/dmarc_walk.h"
#include "engine/dsig.h"
#include "engine/from.h"
#include "engine/iprev.h"
#include "engine/lookahead.h"
#include "engine/message.h"
#include "engine/policy.h"
#include "engine/spf.h"
#include "util/idna.h"
#include "util/xalloc.h"

#define LOOKAHEAD_MAX_ARC_KEYS 10 /* ARC-Seal and ARC-Message-Signature keys */

struct session {
	struct engine *eng;
	char *ip;
	bool off;		 /* trusted network or no address: nothing started */
	struct dns_ahead *iprev; /* started at connect */
	struct dns_ahead *helo;	 /* started at the last HELO */
};

struct session *session_new(struct engine *eng, const char *client_ip)
{
	const struct config *cfg = engine_config(eng);
	struct session *s = xcalloc(1, sizeof(*s));
	const char *skip;

	s->eng = engine_ref(eng);
	s->ip = xstrdup(client_ip != NULL ? client_ip : "");
	skip = policy_skip(cfg, s->ip, NULL);
	s->off = skip != NULL;
	if (!s->off && cfg->iprev_enabled) {
		s->iprev = dns_ahead_new(engine_resolver(eng));
		iprev_ahead(s->iprev, s->ip);
	}
	return s;
}

void session_helo(struct session *s, const char *helo)
{
	const struct config *cfg;

	if (s == NULL || s->off)
		return;
	cfg = engine_config(s->eng);
	dns_ahead_free(s->helo);
	s->helo = NULL;
	if (!cfg->spf_check_helo || helo == NULL || helo[0] == '\0')
		return;
	s->helo = dns_ahead_new(engine_resolver(s->eng));
	spf_ahead_helo(s->helo, &cfg->spf_limits, s->ip, helo, cfg->authserv_id);
}

void session_free(struct session *s)
{
	if (s == NULL)
		return;
	dns_ahead_free(s->iprev);
	dns_ahead_free(s->helo);
	engine_free(s->eng);
	free(s->ip);
	free(s);
}

struct dns_ahead *lookahead_message(struct engine *eng, const struct envelope *env)
{
	const struct config *cfg = engine_config(eng);
	struct dns_ahead *a;

	if (env->session == NULL || env->session->off)
		return NULL;
	a = dns_ahead_new(engine_resolver(eng));
	spf_ahead_mailfrom(a, &cfg->spf_limits, env->client_ip, env->mail_from, env->helo,
			   cfg->authserv_id);
	return a;
}

void lookahead_use(struct dns_ahead *a, const struct session *s, const struct engine *eng)
{
	if (s != NULL && s->eng == eng)
		dns_ahead_use(a, s->iprev, s->helo);
	else
		dns_ahead_use(a, NULL, NULL);
}

/* selector._domainkey.domain of one signature header. */
static void lookahead_key(struct dns_ahead *a, const char *value)
{
	struct dsig_tags t;
	const char *why = NULL, *d, *sel;
	char *alabel = NULL, *name;

	if (dsig_tags_parse(value, &t, &why) != DSIG_OK) {
		dsig_tags_clear(&t);
		return;
	}
	d = dsig_tag(&t, "d");
	sel = dsig_tag(&t, "s");
	if (d != NULL && sel != NULL && !idna_has_8bit(sel)) {
		if (idna_has_8bit(d))
			alabel = idna_to_alabel(d, NULL);
		name = xasprintf("%s._domainkey.%s", sel, alabel != NULL ? alabel : d);
		dns_ahead_start(a, name, DNS_T_TXT, NULL, NULL);
		free(name);
	}
	free(alabel);
	dsig_tags_clear(&t);
}

/* The DMARC policy lookups of the author domain: with the tree walk every
 * name it queries (it always goes down to the top-level domain unless a
 * psd= tag ends it), with the public suffix list the author domain's. */
static void lookahead_dmarc(struct dns_ahead *a, const struct config *cfg, const char *value)
{
	const char *names[DMARC_WALK_MAX];
	struct from_result fr;
	char *start, *q;
	size_t n, i;

	from_parse(value, &fr);
	if ((fr.status == FROM_OK || fr.status == FROM_MULTI_SAME_DOMAIN) &&
	    (start = dmarc_name_normalize(fr.domain)) != NULL) {
		if (cfg->dmarc_discovery == DMARC_DISCOVERY_TREEWALK) {
			n = dmarc_walk_names(start, names);
		} else {
			names[0] = start;
			n = 1;
		}
		for (i = 0; i < n; i++) {
			q = xasprintf("_dmarc.%s", names[i]);
			dns_ahead_start(a, q, DNS_T_TXT, NULL, NULL);
			free(q);
		}
		free(start);
	}
	from_result_clear(&fr);
}

void lookahead_header(struct dns_ahead *a, struct lookahead_counts *n, const struct config *cfg,
		      const char *name, const char *value)
{
	if (a == NULL)
		return;
	if (strcasecmp(name, "From") == 0) {
		if (n->from++ == 0) /* a second From header: no policy is looked up */
			lookahead_dmarc(a, cfg, value);
	} else if (strcasecmp(name, "DKIM-Signature") == 0) {
		if (n->dkim++ < cfg->dkim_max_signatures)
			lookahead_key(a, value);
	} else if (strcasecmp(name, "ARC-Seal") == 0 ||
		   strcasecmp(name, "ARC-Message-Signature") == 0) {
		if (n->arc++ < LOOKAHEAD_MAX_ARC_KEYS)
			lookahead_key(a, value);
	}
}
