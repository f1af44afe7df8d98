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
#include "daemon/metrics.h"
#include "daemon/milter.h"
#include "daemon/recorder.h"
#include "daemon/verdict_log.h"
#include "engine/policy.h"
#include "util/clock.h"
#include "util/xalloc.h"

#define AR_NAME "Authentication-Results"

struct msgctx {
	struct engine *eng; /* the snapshot this message started with */
	struct message *m;
	char *mail_from;
	double start; /* end of message: the checks run from here */
};

struct connctx {
	char ip[AM_ADDR_STRLEN];
	char *helo;
	struct session *session; /* lookups started at connect and HELO */
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
	metrics_in_progress(-1);
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

/* The client address as text (IPv4-mapped IPv6 as IPv4) in conn->ip;
 * "" when the MTA reports no TCP client. */
static void conn_address(struct connctx *conn, const struct sockaddr *sa)
{
	char buf[INET6_ADDRSTRLEN];
	struct am_addr a;
	const void *p;

	conn->ip[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		p = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		p = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return;
	if (inet_ntop(sa->sa_family, p, buf, sizeof(buf)) == NULL || !addr_parse(buf, &a))
		return;
	addr_unmap(&a);
	addr_format(&a, conn->ip, sizeof(conn->ip));
}

/* Connections the engine's policy does not check (no TCP client, trusted
 * networks) are accepted here, so the MTA asks nothing more of them. */
static enum mproto_stat milter_connect(struct mproto *ctx, const char *hostname,
				       const struct sockaddr *hostaddr)
{
	struct connctx *conn = conn_get(ctx);
	struct engine *eng = milter_get_engine();
	const char *skip;

	conn_address(conn, hostaddr);
	skip = policy_skip(engine_config(eng), conn->ip, NULL);
	if (skip == NULL && conn->session == NULL)
		conn->session = session_new(eng, conn->ip);
	engine_free(eng);
	if (skip == NULL)
		return MPROTO_CONTINUE;
	log_msg(LOG_DEBUG, "skip=connection reason=%s ip=%s host=%s", skip,
		conn->ip[0] ? conn->ip : "-", hostname ? hostname : "-");
	return MPROTO_ACCEPT;
}

static enum mproto_stat milter_helo(struct mproto *ctx, const char *helo)
{
	struct connctx *conn = conn_get(ctx);

	free(conn->helo);
	conn->helo = xstrdup(helo != NULL ? helo : "");
	session_helo(conn->session, conn->helo);
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
	struct envelope env;
	struct msgctx *msg;

	msg_free(conn->msg);
	msg = conn->msg = xcalloc(1, sizeof(*msg));
	metrics_in_progress(+1);
	msg->eng = milter_get_engine();
	msg->mail_from = envfrom_address(argv[0] != NULL ? argv[0] : "");
	memset(&env, 0, sizeof(env));
	env.client_ip = conn->ip;
	env.helo = conn->helo != NULL ? conn->helo : "";
	env.mail_from = msg->mail_from;
	env.auth_user = mproto_getsymval(ctx, "{auth_authen}");
	env.no_hold = (mproto_actions(ctx) & MPROTO_ACT_QUARANTINE) == 0;
	env.session = conn->session;
	msg->m = message_new(msg->eng, &env);
	if (message_skip(msg->m) != NULL) {
		verdict_log_skip(mproto_getsymval(ctx, "i"), conn->ip, msg->mail_from,
				 message_skip(msg->m));
		metrics_skip(message_skip(msg->m));
		msg_free(msg);
		conn->msg = NULL;
		return MPROTO_ACCEPT;
	}
	return MPROTO_CONTINUE;
}

/* Every header goes to the engine, which also counts it against the
 * header limits. */
static enum mproto_stat milter_header(struct mproto *ctx, const char *name, const char *value)
{
	struct connctx *conn = conn_get(ctx);
	char *v;

	if (conn->msg == NULL)
		return MPROTO_CONTINUE;
	if (milter_leadspc(ctx)) {
		message_header(conn->msg->m, name, value);
		return MPROTO_CONTINUE;
	}
	/* The MTA stripped the space after the colon: put one back, as the
	 * message most likely had it (DKIM simple c14n). */
	v = xasprintf(" %s", value);
	message_header(conn->msg->m, name, v);
	free(v);
	return MPROTO_CONTINUE;
}

static enum mproto_stat milter_eoh(struct mproto *ctx)
{
	struct connctx *conn = conn_get(ctx);

	if (conn->msg != NULL)
		message_eoh(conn->msg->m);
	return MPROTO_CONTINUE;
}

static enum mproto_stat milter_body(struct mproto *ctx, const unsigned char *buf, size_t len)
{
	struct connctx *conn = conn_get(ctx);

	if (conn->msg != NULL)
		message_body(conn->msg->m, buf, len);
	return MPROTO_CONTINUE;
}

/* Removes untrusted A-R headers, highest position first so the positions
 * of the others do not move, then puts ours at the top. 0 or -1. */
static int milter_stamp(struct mproto *ctx, const struct msgctx *msg, const struct verdict *v)
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

/* Holds the message or adds the quarantine header. 0 or -1. */
static int milter_quarantine(struct mproto *ctx, const struct config *cfg, const struct verdict *v)
{
	char *s, *colon;
	int rc;

	if (cfg->quarantine == QUARANTINE_HEADER) {
		s = xstrdup(cfg->quarantine_header);
		colon = strchr(s, ':');
		*colon = '\0';
		rc = mproto_addheader(ctx, s, colon + 2);
	} else {
		s = xasprintf("authmilter: %s", v->reason ? v->reason : "quarantine");
		rc = mproto_quarantine(ctx, s);
	}
	free(s);
	return rc;
}

/* Carries out the engine's verdict; the engine decides again (under
 * policy.on_error) when the MTA refuses a header change or a hold. */
static enum mproto_stat milter_apply(struct mproto *ctx, const struct msgctx *msg,
				     const struct verdict **vp)
{
	const struct config *cfg = engine_config(msg->eng);
	const struct verdict *v = *vp;

	if (v->action == ACTION_ACCEPT || v->action == ACTION_QUARANTINE) {
		if (milter_stamp(ctx, msg, v) != 0)
			v = *vp = message_error(msg->m, "header_change_failed");
		else if (v->action == ACTION_QUARANTINE && milter_quarantine(ctx, cfg, v) != 0)
			v = *vp = message_error(msg->m, "quarantine_failed");
	}
	switch (v->action) {
	case ACTION_REJECT:
	case ACTION_TEMPFAIL:
		mproto_setreply(ctx, v->smtp_rcode, v->smtp_xcode, v->smtp_text);
		return v->action == ACTION_REJECT ? MPROTO_REJECT : MPROTO_TEMPFAIL;
	case ACTION_QUARANTINE:
	case ACTION_ACCEPT:
		break;
	}
	return MPROTO_CONTINUE;
}

static enum mproto_stat milter_eom(struct mproto *ctx)
{
	struct connctx *conn = conn_get(ctx);
	struct msgctx *msg = conn->msg;
	struct verdict_log vl;
	enum mproto_stat rc;

	if (msg == NULL)
		return MPROTO_CONTINUE;
	/* Time the work we add at end of message, not how fast the client
	 * sent the message. */
	msg->start = clock_now();
	memset(&vl, 0, sizeof(vl));
	vl.qid = mproto_getsymval(ctx, "i");
	vl.ip = conn->ip;
	vl.helo = conn->helo;
	vl.mail_from = msg->mail_from;
	vl.v = message_eom(msg->m);
	rc = milter_apply(ctx, msg, &vl.v);
	vl.ms = (long)((clock_now() - msg->start) * 1000);
	verdict_log_line(&vl);
	metrics_message(vl.v, vl.ms);
	recorder_record(engine_config(msg->eng), vl.v, msg->mail_from);
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
	session_free(conn->session);
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
