/*
 * message - one message through every check (see message.h)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "engine/authres.h"
#include "engine/explain.h"
#include "engine/message.h"
#include "engine/policy.h"
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
	struct dkimv *dkim;
	size_t n_from;
	char *from_value;
	size_t n_authres;
	size_t *forged; /* positions of A-R headers with an untrusted authserv-id */
	size_t n_forged;
	struct verdict *v;
	double dns_spent; /* seconds of limits.message_time used before eom */
};

struct engine *engine_new(struct config *cfg, struct am_err *err)
{
	struct resolver_opts ropts = {(const char *const *)cfg->nameservers.v, cfg->nameservers.n,
				      cfg->dns_timeout, false, cfg->dns_cache_size};
	struct resolver *r = resolver_new(&ropts, err);

	if (r == NULL)
		return NULL;
	return engine_new_with_resolver(cfg, r, err);
}

struct engine *engine_new_with_resolver(struct config *cfg, struct resolver *r, struct am_err *err)
{
	struct engine *eng = xcalloc(1, sizeof(*eng));
	struct dkimv_opts dopts = {cfg->dkim_max_signatures, cfg->dkim_min_key_bits,
				   cfg->dns_timeout};

	eng->refs = 1;
	eng->cfg = config_ref(cfg);
	eng->dmarc_opts.pct_mode = cfg->dmarc_pct;
	eng->resolver = r;
	eng->dkim = dkimv_lib_new(eng->resolver, &dopts, err);
	if (eng->dkim == NULL)
		goto fail;
	eng->dmarc = dmarc_ctx_new(AM_PSL_FILE, err);
	if (eng->dmarc == NULL)
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

void engine_set_random(struct engine *eng, unsigned (*rand100)(void *), void *arg)
{
	eng->dmarc_opts.rand100 = rand100;
	eng->dmarc_opts.rand_arg = arg;
}

struct message *message_new(struct engine *eng, const struct envelope *env)
{
	struct message *m = xcalloc(1, sizeof(*m));

	m->eng = eng;
	m->client_ip = xstrdup(env->client_ip ? env->client_ip : "");
	m->helo = xstrdup(env->helo ? env->helo : "");
	m->mail_from = xstrdup(env->mail_from ? env->mail_from : "");
	m->dkim = dkimv_new(eng->dkim);
	return m;
}

void message_free(struct message *m)
{
	if (m == NULL)
		return;
	dkimv_free(m->dkim);
	verdict_free(m->v);
	free(m->client_ip);
	free(m->helo);
	free(m->mail_from);
	free(m->from_value);
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

void message_header(struct message *m, const char *name, const char *value)
{
	(void)dkimv_header(m->dkim, name, value);
	if (strcasecmp(name, "From") == 0) {
		if (m->n_from++ == 0)
			m->from_value = xstrdup(value);
	} else if (strcasecmp(name, "Authentication-Results") == 0) {
		char *id = authres_read_authserv_id(value);

		m->n_authres++;
		if (id != NULL && message_untrusted_id(m->eng->cfg, id)) {
			m->forged = xrealloc(m->forged, (m->n_forged + 1) * sizeof(*m->forged));
			m->forged[m->n_forged++] = m->n_authres;
		}
		free(id);
	}
}

static double message_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The DKIM key lookups happen here, inside the message's time budget. */
void message_eoh(struct message *m)
{
	double t0 = message_clock();

	resolver_set_deadline(m->eng->cfg->message_time - m->dns_spent);
	(void)dkimv_eoh(m->dkim);
	resolver_clear_deadline();
	m->dns_spent += message_clock() - t0;
}

void message_body(struct message *m, const unsigned char *buf, size_t len)
{
	(void)dkimv_body(m->dkim, buf, len);
}

const size_t *message_forged_authres(const struct message *m, size_t *n)
{
	*n = m->n_forged;
	return m->forged;
}

static void message_spf(struct message *m, struct verdict *v)
{
	const struct config *cfg = m->eng->cfg;

	spf_check_mailfrom(m->eng->resolver, &cfg->spf_limits, m->client_ip, m->mail_from, m->helo,
			   cfg->authserv_id, &v->spf);
	if (cfg->spf_check_helo)
		spf_check_helo(m->eng->resolver, &cfg->spf_limits, m->client_ip, m->helo,
			       cfg->authserv_id, &v->spf_helo);
	else
		v->spf_helo.result = SPF_RESULT_NONE;
}

static void message_dkim(struct message *m, struct verdict *v)
{
	const struct dkimv_sig *sigs = NULL;
	size_t n = 0, i;

	(void)dkimv_eom(m->dkim, &sigs, &n);
	v->dkim = xcalloc(n ? n : 1, sizeof(*v->dkim));
	v->n_dkim = n;
	for (i = 0; i < n; i++) {
		v->dkim[i] = sigs[i];
		v->dkim[i].domain = xstrdup(sigs[i].domain);
		v->dkim[i].selector = xstrdup(sigs[i].selector);
		v->dkim[i].algorithm = xstrdup(sigs[i].algorithm);
		v->dkim[i].b_prefix = xstrdup(sigs[i].b_prefix);
		v->dkim[i].reason = xstrdup(sigs[i].reason);
	}
}

static void message_author(struct message *m, struct verdict *v)
{
	struct from_result fr;

	if (m->n_from == 0) {
		v->author = AUTHOR_NO_FROM;
		return;
	}
	if (m->n_from > 1) {
		v->author = AUTHOR_MULTI_FROM;
		return;
	}
	from_parse(m->from_value, &fr);
	switch (fr.status) {
	case FROM_OK:
	case FROM_MULTI_SAME_DOMAIN:
		v->author = AUTHOR_OK;
		v->header_from = xstrdup(fr.domain);
		break;
	case FROM_MULTI_DOMAIN:
		v->author = AUTHOR_MULTI_DOMAIN;
		break;
	default:
		v->author = AUTHOR_UNPARSEABLE;
		break;
	}
	from_result_clear(&fr);
}

static void message_dmarc(struct message *m, struct verdict *v)
{
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
	dmarc_evaluate(m->eng->dmarc, m->eng->resolver, &m->eng->dmarc_opts, &in, &v->dmarc);
	free(pass);
}

struct verdict *message_eom(struct message *m)
{
	const struct config *cfg = m->eng->cfg;
	struct verdict *v;

	if (m->v != NULL)
		return m->v;
	v = m->v = verdict_new();
	/* Every lookup below shares the message's time budget. */
	resolver_set_deadline(cfg->message_time - m->dns_spent);
	message_spf(m, v);
	message_dkim(m, v);
	message_author(m, v);
	if (v->author == AUTHOR_OK)
		message_dmarc(m, v);
	resolver_clear_deadline();
	policy_decide(cfg, m->eng->dmarc, v);
	v->authres = authres_format(cfg->authserv_id, v);
	v->explanation = explain_verdict(v);
	return v;
}
