/*
 * message - one message through every check (see message.h)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/authres.h"
#include "engine/budget.h"
#include "engine/dkim_utf8.h"
#include "engine/explain.h"
#include "engine/lookahead.h"
#include "engine/message.h"
#include "engine/policy.h"
#include "util/clock.h"
#include "util/xalloc.h"

struct engine {
	int refs; /* atomic */
	struct config *cfg;
	struct resolver *resolver;
	struct dkimv_lib *dkim;
	struct dmarc_ctx *dmarc;
	struct dmarc_opts dmarc_opts;
};

struct message {
	struct engine *eng;
	char *client_ip, *helo, *mail_from;
	const char *skip; /* policy_skip()'s reason, or NULL */
	struct policy_in pin;
	struct dkimv *dkim;
	struct arcv *arc;
	struct dkimu *dkimu; /* DKIM-Signature fields that hold UTF-8 */
	unsigned long n_headers;
	unsigned long long header_bytes;
	size_t n_from;
	char *from_value;
	size_t n_authres;
	size_t *forged; /* positions of A-R headers with an untrusted authserv-id */
	size_t n_forged;
	bool eoh_done;
	/* found at end of headers */
	enum author_status author;
	char *header_from;
	struct dmarc_outcome dmarc; /* discovered at end of headers */
	struct budget budget;
	struct verdict *v;
	/* lookups started ahead (engine/lookahead.c) */
	struct session *session;
	struct dns_ahead *ahead;
	struct lookahead_counts ahead_n;
};

struct engine *engine_new(struct config *cfg, struct dmarc_ctx *psl, struct am_err *err)
{
	struct resolver_opts ropts = {(const char *const *)cfg->nameservers.v, cfg->nameservers.n,
				      cfg->dns_timeout, false, cfg->dns_cache_size};
	struct resolver *r = resolver_new(&ropts, err);

	if (r == NULL) {
		dmarc_ctx_free(psl);
		return NULL;
	}
	return engine_new_with_resolver(cfg, psl, r, err);
}

struct engine *engine_new_with_resolver(struct config *cfg, struct dmarc_ctx *psl,
					struct resolver *r, struct am_err *err)
{
	struct engine *eng = xcalloc(1, sizeof(*eng));
	struct dkimv_opts dopts = {cfg->dkim_max_signatures, cfg->dkim_min_key_bits,
				   cfg->dns_timeout,
				   cfg->dkim_body_length == DKIM_BODY_LENGTH_STRICT};

	eng->refs = 1;
	eng->cfg = config_ref(cfg);
	eng->dmarc_opts.pct_mode = cfg->dmarc_pct;
	eng->resolver = r;
	eng->dmarc = psl;
	if (psl == NULL) {
		am_err_set(err, "no public suffix list");
		goto fail;
	}
	dmarc_ctx_set_discovery(psl, cfg->dmarc_discovery);
	eng->dkim = dkimv_lib_new(eng->resolver, &dopts, err);
	if (eng->dkim == NULL)
		goto fail;
	return eng;
fail:
	engine_free(eng);
	return NULL;
}

struct engine *engine_ref(struct engine *eng)
{
	__atomic_add_fetch(&eng->refs, 1, __ATOMIC_RELAXED);
	return eng;
}

void engine_free(struct engine *eng)
{
	if (eng == NULL || __atomic_sub_fetch(&eng->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	dmarc_ctx_free(eng->dmarc);
	dkimv_lib_free(eng->dkim);
	resolver_free(eng->resolver);
	config_unref(eng->cfg);
	free(eng);
}

const struct config *engine_config(const struct engine *eng)
{
	return eng->cfg;
}

struct resolver *engine_resolver(const struct engine *eng)
{
	return eng->resolver;
}

void engine_set_random(struct engine *eng, unsigned (*rand100)(void *), void *arg)
{
	eng->dmarc_opts.rand100 = rand100;
	eng->dmarc_opts.rand_arg = arg;
}

struct message *message_new(struct engine *eng, const struct envelope *env)
{
	const struct config *cfg = eng->cfg;
	struct message *m = xcalloc(1, sizeof(*m));

	m->eng = eng;
	m->client_ip = xstrdup(env->client_ip ? env->client_ip : "");
	m->helo = xstrdup(env->helo ? env->helo : "");
	m->mail_from = xstrdup(env->mail_from ? env->mail_from : "");
	m->skip = policy_skip(cfg, m->client_ip, env->auth_user);
	m->pin.allow_net = policy_allow_net(cfg, m->client_ip);
	m->pin.no_hold = env->no_hold;
	budget_init(&m->budget, cfg->message_time);
	if (m->skip == NULL) {
		struct arc_opts ao = {cfg->arc_max_sets, cfg->dkim_min_key_bits,
				      cfg->dkim_body_length == DKIM_BODY_LENGTH_STRICT};

		struct dkimv_opts dopts = {cfg->dkim_max_signatures, cfg->dkim_min_key_bits,
					   cfg->dns_timeout, ao.body_length_strict};

		m->dkim = dkimv_new(eng->dkim);
		m->dkimu = dkimu_new(eng->resolver, &dopts);
		m->arc = arcv_new(eng->resolver, &ao);
		m->session = env->session;
		m->ahead = lookahead_message(eng, env);
	}
	return m;
}

const char *message_skip(const struct message *m)
{
	return m->skip;
}

void message_free(struct message *m)
{
	if (m == NULL)
		return;
	dns_ahead_free(m->ahead);
	dkimv_free(m->dkim);
	arcv_free(m->arc);
	dkimu_free(m->dkimu);
	verdict_free(m->v);
	dmarc_outcome_clear(&m->dmarc);
	free(m->client_ip);
	free(m->helo);
	free(m->mail_from);
	free(m->from_value);
	free(m->header_from);
	free(m->forged);
	free(m);
}

/* Our own authserv-id, or one the configuration says not to trust. */
static bool message_untrusted_id(const struct config *cfg, const char *id)
{
	size_t i;

	if (authres_id_equal(id, cfg->authserv_id))
		return true;
	for (i = 0; i < cfg->untrusted_authserv_ids.n; i++)
		if (authres_id_equal(id, cfg->untrusted_authserv_ids.v[i]))
			return true;
	return false;
}

/* Incoming Authentication-Results headers are followed past the header
 * limits too: forged ones must go whatever the action. */
static void message_authres(struct message *m, const char *value)
{
	char *id = authres_read_authserv_id(value);

	m->n_authres++;
	if (id != NULL && message_untrusted_id(m->eng->cfg, id)) {
		m->forged = xrealloc(m->forged, (m->n_forged + 1) * sizeof(*m->forged));
		m->forged[m->n_forged++] = m->n_authres;
	}
	free(id);
}

/* Counts a header field against the limits; false once they are passed. */
static bool message_within_limits(struct message *m, const char *name, const char *value)
{
	const struct config *cfg = m->eng->cfg;

	if (m->pin.over_limit)
		return false;
	m->n_headers++;
	m->header_bytes += strlen(name) + strlen(value) + 3; /* ":" and CRLF */
	if (m->n_headers > cfg->max_headers || m->header_bytes > cfg->max_header_bytes)
		m->pin.over_limit = true;
	return !m->pin.over_limit;
}

void message_header(struct message *m, const char *name, const char *value)
{
	if (m->skip != NULL || m->eoh_done)
		return;
	if (strcasecmp(name, "Authentication-Results") == 0)
		message_authres(m, value);
	if (!message_within_limits(m, name, value))
		return;
	lookahead_header(m->ahead, &m->ahead_n, m->eng->cfg, name, value);
	(void)dkimv_header(m->dkim, name, value);
	dkimu_header(m->dkimu, name, value);
	arcv_header(m->arc, name, value);
	if (strcasecmp(name, "From") == 0 && m->n_from++ == 0)
		m->from_value = xstrdup(value);
}

/* The author domain from the From header(s). */
static void message_author(struct message *m)
{
	struct from_result fr;

	if (m->n_from == 0) {
		m->author = AUTHOR_NO_FROM;
		return;
	}
	if (m->n_from > 1) {
		m->author = AUTHOR_MULTI_FROM;
		return;
	}
	from_parse(m->from_value, &fr);
	switch (fr.status) {
	case FROM_OK:
	case FROM_MULTI_SAME_DOMAIN:
		m->author = AUTHOR_OK;
		m->header_from = xstrdup(fr.domain);
		break;
	case FROM_MULTI_DOMAIN:
		m->author = AUTHOR_MULTI_DOMAIN;
		break;
	default:
		m->author = AUTHOR_UNPARSEABLE;
		break;
	}
	from_result_clear(&fr);
}

/* Runs fn's lookups within the budget of pool. */
static void message_dns(struct message *m, enum budget_pool pool, double seconds,
			void (*fn)(struct message *))
{
	double t0 = clock_now();

	resolver_set_deadline(seconds);
	lookahead_use(m->ahead, m->session, m->eng);
	fn(m);
	dns_ahead_use(NULL, NULL, NULL);
	resolver_clear_deadline();
	budget_spend(&m->budget, pool, clock_now() - t0);
}

static void message_discover(struct message *m)
{
	dmarc_discover(m->eng->dmarc, m->eng->resolver, m->header_from, &m->dmarc);
}

static void message_dkim_keys(struct message *m)
{
	(void)dkimv_eoh(m->dkim);
	dkimu_eoh(m->dkimu);
}

static void message_arc_keys(struct message *m)
{
	arcv_eoh(m->arc);
}

/* End of headers: the author domain, its DMARC policy first, then the DKIM
 * keys. */
void message_eoh(struct message *m)
{
	if (m->skip != NULL || m->eoh_done)
		return;
	m->eoh_done = true;
	if (m->pin.over_limit)
		return;
	message_author(m);
	if (m->author == AUTHOR_OK)
		message_dns(m, BUDGET_POLICY, budget_policy(&m->budget), message_discover);
	if (!dmarc_needs_exists(&m->dmarc))
		budget_policy_done(&m->budget);
	message_dns(m, BUDGET_OTHER, budget_other(&m->budget), message_dkim_keys);
	message_dns(m, BUDGET_OTHER, budget_other(&m->budget), message_arc_keys);
}

void message_body(struct message *m, const unsigned char *buf, size_t len)
{
	if (m->skip != NULL || m->pin.over_limit)
		return;
	(void)dkimv_body(m->dkim, buf, len);
	dkimu_body(m->dkimu, buf, len);
	arcv_body(m->arc, buf, len);
}

const size_t *message_forged_authres(const struct message *m, size_t *n)
{
	*n = m->n_forged;
	return m->forged;
}

static void message_spf(struct message *m)
{
	const struct config *cfg = m->eng->cfg;
	struct verdict *v = m->v;

	spf_check_mailfrom(m->eng->resolver, &cfg->spf_limits, m->client_ip, m->mail_from, m->helo,
			   cfg->authserv_id, &v->spf);
	if (cfg->spf_check_helo)
		spf_check_helo(m->eng->resolver, &cfg->spf_limits, m->client_ip, m->helo,
			       cfg->authserv_id, &v->spf_helo);
	else
		v->spf_helo.result = SPF_RESULT_NONE;
}

/* iprev is informational: it feeds neither DMARC nor the action. */
static void message_iprev(struct message *m)
{
	iprev_check(m->eng->resolver, m->client_ip, &m->v->iprev);
}

static void message_dkim(struct message *m, struct verdict *v)
{
	const struct dkimv_sig *sigs = NULL;
	size_t n = 0, i, nh = 0;
	const struct dsig_hdr *hdrs = arcv_headers(m->arc, &nh);

	(void)dkimv_eom(m->dkim, &sigs, &n);
	v->dkim = xcalloc(n ? n : 1, sizeof(*v->dkim));
	v->n_dkim = n;
	dkimu_eom(m->dkimu, hdrs, nh);
	for (i = 0; i < n; i++) {
		/* a UTF-8 field libopendkim could not read: our own result */
		const struct dkimv_sig *u = dkimu_result(m->dkimu, i);

		dkimv_sig_copy(&v->dkim[i], u != NULL ? u : &sigs[i]);
	}
}

/* DMARC with SPF and DKIM known; the np= existence check, if any, is a
 * policy lookup. */
static void message_judge(struct message *m)
{
	struct verdict *v = m->v;
	struct dmarc_input in;
	const char **pass = xcalloc(v->n_dkim + 1, sizeof(*pass));
	size_t i;

	memset(&in, 0, sizeof(in));
	in.from_domain = v->header_from;
	in.spf_domain = v->spf.domain;
	in.spf_result = v->spf.result;
	for (i = 0; i < v->n_dkim; i++)
		if (v->dkim[i].result == DKIMV_PASS && v->dkim[i].domain != NULL)
			pass[in.n_dkim_pass++] = v->dkim[i].domain;
	in.dkim_pass_domains = pass;
	v->dmarc = m->dmarc;
	memset(&m->dmarc, 0, sizeof(m->dmarc));
	dmarc_judge(m->eng->dmarc, m->eng->resolver, &m->eng->dmarc_opts, &in, &v->dmarc);
	free(pass);
}

/* The checks, for a message within the limits. */
static void message_check(struct message *m)
{
	struct verdict *v = m->v;

	if (!m->eoh_done)
		message_eoh(m);
	v->checked = true;
	v->client_ip = xstrdup(m->client_ip);
	message_dns(m, BUDGET_OTHER, budget_other(&m->budget), message_spf);
	message_dkim(m, v);
	arcv_eom(m->arc, &v->arc);
	v->author = m->author;
	v->header_from = m->header_from;
	m->header_from = NULL;
	if (v->author == AUTHOR_OK)
		message_dns(m, BUDGET_POLICY, budget_policy(&m->budget), message_judge);
	/* Last: its lookups cannot delay or starve any that decide. */
	if (m->eng->cfg->iprev_enabled)
		message_dns(m, BUDGET_OTHER, budget_other(&m->budget), message_iprev);
}

/* The action, the header and the explanation, from what is known. */
static void message_decide(struct message *m, const char *error)
{
	const struct config *cfg = m->eng->cfg;
	struct verdict *v = m->v;
	struct policy_in in = m->pin;

	in.error = error;
	policy_decide(cfg, m->eng->dmarc, &in, v);
	free(v->authres);
	free(v->explanation);
	v->authres = v->checked
			 ? authres_format(cfg->authserv_id, v)
			 : authres_format_none(cfg->authserv_id,
					       "message header over the limits, not checked");
	v->explanation = explain_verdict(v);
}

struct verdict *message_eom(struct message *m)
{
	struct verdict *v;

	if (m->v != NULL)
		return m->v;
	v = m->v = verdict_new();
	if (m->skip != NULL) {
		v->skipped = true;
		v->reason = xstrdup(m->skip);
		v->explanation = explain_verdict(v);
		return v;
	}
	if (!m->pin.over_limit)
		message_check(m);
	message_decide(m, NULL);
	return v;
}

struct verdict *message_error(struct message *m, const char *error)
{
	struct verdict *v = message_eom(m);

	if (!v->skipped)
		message_decide(m, error);
	return v;
}
