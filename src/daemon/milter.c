/*
 * milter - the milter callbacks (see milter.h)
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon/log.h"
#include "daemon/milter.h"
#include "daemon/verdict_log.h"
#include "util/xalloc.h"

#define AR_NAME "Authentication-Results"

struct msgctx {
	struct engine *eng; /* the snapshot this message started with */
	struct message *m;
	char *mail_from;
	unsigned n_headers;
	size_t header_bytes;
	bool over_limit;
	struct timespec start; /* end of message: the checks run from here */
};

struct connctx {
	char ip[AM_ADDR_STRLEN];
	struct am_addr addr;
	bool allow_net;
	char *helo;
	struct msgctx *msg;
};

static pthread_mutex_t state_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;
static struct engine *current;
static unsigned open_conns;

void milter_set_engine(struct engine *eng)
{
	struct engine *old;

	pthread_mutex_lock(&state_mu);
	old = current;
	current = engine_ref(eng);
	pthread_mutex_unlock(&state_mu);
	engine_free(old);
}

static struct engine *milter_get_engine(void)
{
	struct engine *eng;

	pthread_mutex_lock(&state_mu);
	eng = engine_ref(current);
	pthread_mutex_unlock(&state_mu);
	return eng;
}

unsigned milter_wait_idle(unsigned seconds)
{
	struct timespec until;
	unsigned left;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&state_mu);
	while (open_conns > 0 && pthread_cond_timedwait(&idle_cond, &state_mu, &until) == 0)
		;
	left = open_conns;
	pthread_mutex_unlock(&state_mu);
	return left;
}

static void msg_free(struct msgctx *msg)
{
	if (msg == NULL)
		return;
	message_free(msg->m);
	engine_free(msg->eng);
	free(msg->mail_from);
	free(msg);
}

/* The connection's state, created on first use (at connect). */
static struct connctx *conn_get(struct mproto *ctx)
{
	struct connctx *conn = mproto_priv(ctx);

	if (conn != NULL)
		return conn;
	conn = xcalloc(1, sizeof(*conn));
	mproto_set_priv(ctx, conn);
	pthread_mutex_lock(&state_mu);
	open_conns++;
	pthread_mutex_unlock(&state_mu);
	return conn;
}

/* Steps asked of the MTA: no RCPT, DATA or unknown commands at all (a
 * verdict needs none of them), and no waiting for a reply where ours is
 * always "continue"; headers keep the space after the colon. */
#define MILTER_STEPS                                                                          \
	(MPROTO_NORCPT | MPROTO_NOUNKNOWN | MPROTO_NODATA | MPROTO_NR_HELO | MPROTO_NR_RCPT | \
	 MPROTO_HDR_LEADSPC | MPROTO_NR_HDR | MPROTO_NR_BODY | MPROTO_NR_EOH)

static enum mproto_stat milter_negotiate(struct mproto *ctx, uint32_t actions, uint32_t steps,
					 uint32_t *want_actions, uint32_t *want_steps)
{
	const uint32_t need = MPROTO_ACT_ADDHDRS | MPROTO_ACT_CHGHDRS;

	if ((actions & need) != need) {
		log_msg(LOG_ERR,
			"error=negotiate reason=\"the MTA does not allow adding and "
			"changing headers\" offered=0x%lx",
			(unsigned long)actions);
		return MPROTO_REJECT;
	}
	*want_actions = actions & (need | MPROTO_ACT_QUARANTINE | MPROTO_ACT_SETSYMLIST);
	*want_steps = steps & MILTER_STEPS;
	log_msg(LOG_DEBUG, "negotiate offered_actions=0x%lx offered_steps=0x%lx steps=0x%lx",
		(unsigned long)actions, (unsigned long)steps, (unsigned long)*want_steps);
	if (*want_actions & MPROTO_ACT_SETSYMLIST) {
		mproto_setsymlist(ctx, MPROTO_M_CONNECT, "j {daemon_name}");
		mproto_setsymlist(ctx, MPROTO_M_ENVFROM, "i {auth_authen} {auth_type}");
		mproto_setsymlist(ctx, MPROTO_M_EOH, "i");
		mproto_setsymlist(ctx, MPROTO_M_EOM, "i");
	}
	return MPROTO_CONTINUE;
}

/* The MTA kept the space after the header colon (SMFIP_HDR_LEADSPC). */
static bool milter_leadspc(struct mproto *ctx)
{
	return (mproto_steps(ctx) & MPROTO_HDR_LEADSPC) != 0;
}

static bool conn_address(struct connctx *conn, const struct sockaddr *sa)
{
	char buf[INET6_ADDRSTRLEN];
	const void *p;

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET)
		p = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return false;
	if (inet_ntop(sa->sa_family, p, buf, sizeof(buf)) == NULL || !addr_parse(buf, &conn->addr))
		return false;
	addr_unmap(&conn->addr);
	addr_format(&conn->addr, conn->ip, sizeof(conn->ip));
	return true;
}

static unsigned milter_open_connections(void)
{
	unsigned n;

	pthread_mutex_lock(&state_mu);
	n = open_conns;
	pthread_mutex_unlock(&state_mu);
	return n;
}

static enum mproto_stat milter_connect(struct mproto *ctx, const char *hostname,
				       const struct sockaddr *hostaddr)
{
	struct connctx *conn = conn_get(ctx);
	struct engine *eng = milter_get_engine();
	const struct config *cfg = engine_config(eng);
	enum mproto_stat rc = MPROTO_CONTINUE;

	if (milter_open_connections() > cfg->max_connections) {
		log_msg(LOG_WARNING, "refused=connection reason=max_connections limit=%u",
			cfg->max_connections);
		mproto_setreply(ctx, "421", "4.3.2", "Too many connections; try again later");
		rc = MPROTO_TEMPFAIL;
	} else if (!conn_address(conn, hostaddr)) {
		/* Local submission (no TCP peer): nothing to authenticate. */
		log_msg(LOG_DEBUG, "skip=connection reason=no_client_address host=%s",
			hostname ? hostname : "-");
		rc = MPROTO_ACCEPT;
	} else if (netlist_match(&cfg->trusted_networks, &conn->addr)) {
		log_msg(LOG_DEBUG, "skip=connection reason=trusted_network ip=%s", conn->ip);
		rc = MPROTO_ACCEPT;
	} else {
		conn->allow_net = netlist_match(&cfg->allow_networks, &conn->addr);
	}
	engine_free(eng);
	return rc;
}

static enum mproto_stat milter_helo(struct mproto *ctx, const char *helo)
{
	struct connctx *conn = conn_get(ctx);

	free(conn->helo);
	conn->helo = xstrdup(helo != NULL ? helo : "");
	return MPROTO_CONTINUE;
}

/* "<a@b>" -> "a@b", "<>" -> "" (the null sender); ESMTP args are separate. */
static char *envfrom_address(const char *arg)
{
	size_t len = strlen(arg);

	if (len >= 2 && arg[0] == '<' && arg[len - 1] == '>')
		return xstrndup(arg + 1, len - 2);
	return xstrdup(arg);
}

static enum mproto_stat milter_envfrom(struct mproto *ctx, const char **argv)
{
	struct connctx *conn = conn_get(ctx);
	const char *auth = mproto_getsymval(ctx, "{auth_authen}");
	struct envelope env;
	struct msgctx *msg;

	msg_free(conn->msg);
	msg = conn->msg = xcalloc(1, sizeof(*msg));
	msg->eng = milter_get_engine();
	msg->mail_from = envfrom_address(argv[0] != NULL ? argv[0] : "");
	if (auth != NULL && *auth != '\0' && engine_config(msg->eng)->skip_authenticated) {
		verdict_log_skip(mproto_getsymval(ctx, "i"), conn->ip, msg->mail_from,
				 "authenticated");
		msg_free(msg);
		conn->msg = NULL;
		return MPROTO_ACCEPT;
	}
	memset(&env, 0, sizeof(env));
	env.client_ip = conn->ip;
	env.helo = conn->helo != NULL ? conn->helo : "";
	env.mail_from = msg->mail_from;
	msg->m = message_new(msg->eng, &env);
	return MPROTO_CONTINUE;
}

static enum mproto_stat milter_header(struct mproto *ctx, const char *name, const char *value)
{
	struct connctx *conn = conn_get(ctx);
	struct msgctx *msg = conn->msg;
	const struct config *cfg;

	if (msg != NULL && !msg->over_limit) {
		cfg = engine_config(msg->eng);
		msg->n_headers++;
		msg->header_bytes += strlen(name) + strlen(value) + 3;
		if (msg->n_headers > cfg->max_headers ||
		    msg->header_bytes > cfg->max_header_bytes) {
			msg->over_limit = true;
		} else if (milter_leadspc(ctx)) {
			message_header(msg->m, name, value);
		} else {
			/* The MTA stripped the space after the colon: put one back,
			 * as the message most likely had it (DKIM simple c14n). */
			char *v = xasprintf(" %s", value);

			message_header(msg->m, name, v);
			free(v);
		}
	}
	return MPROTO_CONTINUE;
}

static enum mproto_stat milter_eoh(struct mproto *ctx)
{
	struct connctx *conn = conn_get(ctx);

	if (conn->msg != NULL && !conn->msg->over_limit)
		message_eoh(conn->msg->m);
	return MPROTO_CONTINUE;
}

static enum mproto_stat milter_body(struct mproto *ctx, const unsigned char *buf, size_t len)
{
	struct connctx *conn = conn_get(ctx);

	if (conn->msg != NULL && !conn->msg->over_limit)
		message_body(conn->msg->m, buf, len);
	return MPROTO_CONTINUE;
}

static long msg_elapsed_ms(const struct msgctx *msg)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - msg->start.tv_sec) * 1000 +
	       (now.tv_nsec - msg->start.tv_nsec) / 1000000;
}

/* Removes untrusted A-R headers, highest position first so the positions
 * of the others do not move, then puts ours at the top. 0 or -1. */
static int milter_stamp(struct mproto *ctx, const struct connctx *conn, const struct msgctx *msg,
			const struct verdict *v)
{
	size_t n, i;
	const size_t *pos = message_forged_authres(msg->m, &n);
	const char *value = v->authres;

	for (i = n; i > 0; i--)
		if (mproto_chgheader(ctx, AR_NAME, (unsigned)pos[i - 1], NULL) != 0)
			return -1;
	if (!milter_leadspc(ctx))
		while (*value == ' ')
			value++;
	return mproto_insheader(ctx, 0, AR_NAME, value);
}

/* The local policy over the engine's action: allowlists and monitor mode
 * never refuse a message; *override says which one changed it. */
static enum action milter_local(const struct connctx *conn, const struct config *cfg,
				const struct verdict *v, const char **override)
{
	*override = NULL;
	if (v->action == ACTION_ACCEPT)
		return ACTION_ACCEPT;
	if (conn->allow_net)
		*override = "allow_network";
	else if (v->header_from != NULL && domainlist_match(&cfg->allow_domains, v->header_from))
		*override = "allow_domain";
	else if (cfg->mode == MODE_MONITOR)
		*override = "monitor";
	return *override != NULL ? ACTION_ACCEPT : v->action;
}

static enum mproto_stat milter_apply(struct mproto *ctx, const struct config *cfg,
				     const struct verdict *v, enum action act)
{
	char *reason;
	int rc;

	switch (act) {
	case ACTION_REJECT:
	case ACTION_TEMPFAIL:
		mproto_setreply(ctx, v->smtp_rcode, v->smtp_xcode, v->smtp_text);
		return act == ACTION_REJECT ? MPROTO_REJECT : MPROTO_TEMPFAIL;
	case ACTION_QUARANTINE:
		if (cfg->quarantine == QUARANTINE_HEADER) {
			char *name = xstrdup(cfg->quarantine_header), *colon = strchr(name, ':');

			*colon = '\0';
			rc = mproto_addheader(ctx, name, colon + 2);
			free(name);
		} else {
			reason = xasprintf("authmilter: %s", v->reason ? v->reason : "quarantine");
			rc = mproto_quarantine(ctx, reason);
			free(reason);
		}
		return rc == 0 ? MPROTO_CONTINUE : MPROTO_TEMPFAIL;
	case ACTION_ACCEPT:
		break;
	}
	return MPROTO_CONTINUE;
}

/* An internal failure: the operator's on_error decides. */
static enum mproto_stat milter_error(struct mproto *ctx, const struct config *cfg)
{
	if (cfg->on_error == ON_ERROR_ACCEPT)
		return MPROTO_CONTINUE;
	mproto_setreply(ctx, "451", "4.3.0", "Temporary failure in message authentication");
	return MPROTO_TEMPFAIL;
}

static enum mproto_stat milter_eom(struct mproto *ctx)
{
	struct connctx *conn = conn_get(ctx);
	struct msgctx *msg = conn->msg;
	struct verdict_log vl;
	const struct config *cfg;
	const struct verdict *v;
	enum mproto_stat rc;

	if (msg == NULL)
		return MPROTO_CONTINUE;
	/* Time the work we add at end of message, not how fast the client
	 * sent the message. */
	clock_gettime(CLOCK_MONOTONIC, &msg->start);
	cfg = engine_config(msg->eng);
	memset(&vl, 0, sizeof(vl));
	vl.qid = mproto_getsymval(ctx, "i");
	vl.ip = conn->ip;
	vl.helo = conn->helo;
	vl.mail_from = msg->mail_from;
	if (msg->over_limit) {
		mproto_setreply(ctx, "552", "5.3.4", "Message header exceeds the size limit");
		vl.final = ACTION_REJECT;
		vl.error = "header_limit";
		rc = MPROTO_REJECT;
	} else {
		v = vl.v = message_eom(msg->m);
		vl.final = milter_local(conn, cfg, v, &vl.override);
		if (vl.final != ACTION_REJECT && vl.final != ACTION_TEMPFAIL &&
		    milter_stamp(ctx, conn, msg, v) != 0) {
			vl.error = "header_change_failed";
			rc = milter_error(ctx, cfg);
			vl.final = rc == MPROTO_TEMPFAIL ? ACTION_TEMPFAIL : ACTION_ACCEPT;
		} else {
			rc = milter_apply(ctx, cfg, v, vl.final);
			if (rc == MPROTO_TEMPFAIL && vl.final == ACTION_QUARANTINE) {
				vl.error = "quarantine_failed";
				vl.final = ACTION_TEMPFAIL;
			}
		}
	}
	vl.ms = msg_elapsed_ms(msg);
	verdict_log_line(&vl);
	msg_free(msg);
	conn->msg = NULL;
	return rc;
}

static void milter_abort(struct mproto *ctx)
{
	struct connctx *conn = mproto_priv(ctx);

	if (conn != NULL && conn->msg != NULL) {
		log_msg(LOG_DEBUG, "message aborted ip=%s", conn->ip);
		msg_free(conn->msg);
		conn->msg = NULL;
	}
}

static void milter_close(struct mproto *ctx)
{
	struct connctx *conn = mproto_priv(ctx);

	if (conn == NULL)
		return;
	mproto_set_priv(ctx, NULL);
	msg_free(conn->msg);
	free(conn->helo);
	free(conn);
	pthread_mutex_lock(&state_mu);
	if (--open_conns == 0)
		pthread_cond_broadcast(&idle_cond);
	pthread_mutex_unlock(&state_mu);
}

const struct mproto_callbacks milter_callbacks = {
    .negotiate = milter_negotiate,
    .connect = milter_connect,
    .helo = milter_helo,
    .envfrom = milter_envfrom,
    .header = milter_header,
    .eoh = milter_eoh,
    .body = milter_body,
    .eom = milter_eom,
    .abort = milter_abort,
    .close = milter_close,
};
