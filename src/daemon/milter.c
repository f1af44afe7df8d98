/*
 * milter - the libmilter callbacks (see milter.h)
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
	unsigned n_rcpts;
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
	bool leadspc, nr_helo, nr_rcpt, nr_hdr, nr_body; /* negotiated protocol steps */
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

/* The connection's state, created on first use (negotiate or connect). */
static struct connctx *conn_get(SMFICTX *ctx)
{
	struct connctx *conn = smfi_getpriv(ctx);

	if (conn != NULL)
		return conn;
	conn = xcalloc(1, sizeof(*conn));
	smfi_setpriv(ctx, conn);
	pthread_mutex_lock(&state_mu);
	open_conns++;
	pthread_mutex_unlock(&state_mu);
	return conn;
}

static sfsistat milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
				 unsigned long f3, unsigned long *pf0, unsigned long *pf1,
				 unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long need = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	const unsigned long steps = SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_HELO | SMFIP_NR_RCPT |
				    SMFIP_HDR_LEADSPC | SMFIP_NR_HDR | SMFIP_NR_BODY | SMFIP_NR_EOH;
	struct connctx *conn = conn_get(ctx);

	if ((f0 & need) != need) {
		log_msg(LOG_ERR,
			"error=negotiate reason=\"the MTA does not allow adding and "
			"changing headers\" offered=0x%lx",
			f0);
		return SMFIS_REJECT;
	}
	*pf0 = f0 & (need | SMFIF_QUARANTINE | SMFIF_SETSYMLIST);
	*pf1 = f1 & steps;
	*pf2 = *pf3 = 0;
	log_msg(LOG_DEBUG, "negotiate offered_actions=0x%lx offered_steps=0x%lx steps=0x%lx", f0,
		f1, *pf1);
	conn->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	conn->nr_helo = (*pf1 & SMFIP_NR_HELO) != 0;
	conn->nr_rcpt = (*pf1 & SMFIP_NR_RCPT) != 0;
	conn->nr_hdr = (*pf1 & SMFIP_NR_HDR) != 0;
	conn->nr_body = (*pf1 & SMFIP_NR_BODY) != 0;
	if (*pf0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_CONNECT, "j {daemon_name}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen} {auth_type}");
		smfi_setsymlist(ctx, SMFIM_EOH, "i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
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

static sfsistat milter_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct connctx *conn = conn_get(ctx);
	struct engine *eng = milter_get_engine();
	const struct config *cfg = engine_config(eng);
	sfsistat rc = SMFIS_CONTINUE;

	if (milter_open_connections() > cfg->max_connections) {
		log_msg(LOG_WARNING, "refused=connection reason=max_connections limit=%u",
			cfg->max_connections);
		smfi_setreply(ctx, "421", "4.3.2", "Too many connections; try again later");
		rc = SMFIS_TEMPFAIL;
	} else if (!conn_address(conn, (const struct sockaddr *)hostaddr)) {
		/* Local submission (no TCP peer): nothing to authenticate. */
		log_msg(LOG_DEBUG, "skip=connection reason=no_client_address host=%s",
			hostname ? hostname : "-");
		rc = SMFIS_ACCEPT;
	} else if (netlist_match(&cfg->trusted_networks, &conn->addr)) {
		log_msg(LOG_DEBUG, "skip=connection reason=trusted_network ip=%s", conn->ip);
		rc = SMFIS_ACCEPT;
	} else {
		conn->allow_net = netlist_match(&cfg->allow_networks, &conn->addr);
	}
	engine_free(eng);
	return rc;
}

static sfsistat milter_helo(SMFICTX *ctx, char *helo)
{
	struct connctx *conn = conn_get(ctx);

	free(conn->helo);
	conn->helo = xstrdup(helo != NULL ? helo : "");
	return conn->nr_helo ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* "<a@b>" -> "a@b", "<>" -> "" (the null sender); ESMTP args are separate. */
static char *envfrom_address(const char *arg)
{
	size_t len = strlen(arg);

	if (len >= 2 && arg[0] == '<' && arg[len - 1] == '>')
		return xstrndup(arg + 1, len - 2);
	return xstrdup(arg);
}

static sfsistat milter_envfrom(SMFICTX *ctx, char **argv)
{
	struct connctx *conn = conn_get(ctx);
	const char *auth = smfi_getsymval(ctx, "{auth_authen}");
	struct envelope env;
	struct msgctx *msg;

	msg_free(conn->msg);
	msg = conn->msg = xcalloc(1, sizeof(*msg));
	msg->eng = milter_get_engine();
	msg->mail_from = envfrom_address(argv[0] != NULL ? argv[0] : "");
	if (auth != NULL && *auth != '\0' && engine_config(msg->eng)->skip_authenticated) {
		verdict_log_skip(smfi_getsymval(ctx, "i"), conn->ip, msg->mail_from,
				 "authenticated");
		msg_free(msg);
		conn->msg = NULL;
		return SMFIS_ACCEPT;
	}
	memset(&env, 0, sizeof(env));
	env.client_ip = conn->ip;
	env.helo = conn->helo != NULL ? conn->helo : "";
	env.mail_from = msg->mail_from;
	msg->m = message_new(msg->eng, &env);
	return SMFIS_CONTINUE;
}

static sfsistat milter_envrcpt(SMFICTX *ctx, char **argv)
{
	struct connctx *conn = conn_get(ctx);

	if (conn->msg != NULL)
		conn->msg->n_rcpts++;
	return conn->nr_rcpt ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat milter_header(SMFICTX *ctx, char *name, char *value)
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
		} else if (conn->leadspc) {
			message_header(msg->m, name, value);
		} else {
			/* The MTA stripped the space after the colon: put one back,
			 * as the message most likely had it (DKIM simple c14n). */
			char *v = xasprintf(" %s", value);

			message_header(msg->m, name, v);
			free(v);
		}
	}
	return conn->nr_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat milter_eoh(SMFICTX *ctx)
{
	struct connctx *conn = conn_get(ctx);

	if (conn->msg != NULL && !conn->msg->over_limit)
		message_eoh(conn->msg->m);
	return SMFIS_CONTINUE;
}

static sfsistat milter_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	struct connctx *conn = conn_get(ctx);

	if (conn->msg != NULL && !conn->msg->over_limit)
		message_body(conn->msg->m, buf, len);
	return conn->nr_body ? SMFIS_NOREPLY : SMFIS_CONTINUE;
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
static int milter_stamp(SMFICTX *ctx, const struct connctx *conn, const struct msgctx *msg,
			const struct verdict *v)
{
	size_t n, i;
	const size_t *pos = message_forged_authres(msg->m, &n);
	const char *value = v->authres;

	for (i = n; i > 0; i--)
		if (smfi_chgheader(ctx, AR_NAME, (int)pos[i - 1], NULL) != MI_SUCCESS)
			return -1;
	if (!conn->leadspc)
		while (*value == ' ')
			value++;
	return smfi_insheader(ctx, 0, AR_NAME, (char *)value) == MI_SUCCESS ? 0 : -1;
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

static sfsistat milter_apply(SMFICTX *ctx, const struct config *cfg, const struct verdict *v,
			     enum action act)
{
	char *reason;
	int rc;

	switch (act) {
	case ACTION_REJECT:
	case ACTION_TEMPFAIL:
		smfi_setreply(ctx, v->smtp_rcode, v->smtp_xcode, v->smtp_text);
		return act == ACTION_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	case ACTION_QUARANTINE:
		if (cfg->quarantine == QUARANTINE_HEADER) {
			char *name = xstrdup(cfg->quarantine_header), *colon = strchr(name, ':');

			*colon = '\0';
			rc = smfi_addheader(ctx, name, colon + 2);
			free(name);
		} else {
			reason = xasprintf("authmilter: %s", v->reason ? v->reason : "quarantine");
			rc = smfi_quarantine(ctx, reason);
			free(reason);
		}
		return rc == MI_SUCCESS ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
	case ACTION_ACCEPT:
		break;
	}
	return SMFIS_CONTINUE;
}

/* An internal failure: the operator's on_error decides. */
static sfsistat milter_error(SMFICTX *ctx, const struct config *cfg)
{
	if (cfg->on_error == ON_ERROR_ACCEPT)
		return SMFIS_CONTINUE;
	smfi_setreply(ctx, "451", "4.3.0", "Temporary failure in message authentication");
	return SMFIS_TEMPFAIL;
}

static sfsistat milter_eom(SMFICTX *ctx)
{
	struct connctx *conn = conn_get(ctx);
	struct msgctx *msg = conn->msg;
	struct verdict_log vl;
	const struct config *cfg;
	const struct verdict *v;
	sfsistat rc;

	if (msg == NULL)
		return SMFIS_CONTINUE;
	/* Time the work we add at end of message, not how fast the client
	 * sent the message. */
	clock_gettime(CLOCK_MONOTONIC, &msg->start);
	cfg = engine_config(msg->eng);
	memset(&vl, 0, sizeof(vl));
	vl.qid = smfi_getsymval(ctx, "i");
	vl.ip = conn->ip;
	vl.helo = conn->helo;
	vl.mail_from = msg->mail_from;
	if (msg->over_limit) {
		smfi_setreply(ctx, "552", "5.3.4", "Message header exceeds the size limit");
		vl.final = ACTION_REJECT;
		vl.error = "header_limit";
		rc = SMFIS_REJECT;
	} else {
		v = vl.v = message_eom(msg->m);
		vl.final = milter_local(conn, cfg, v, &vl.override);
		if (vl.final != ACTION_REJECT && vl.final != ACTION_TEMPFAIL &&
		    milter_stamp(ctx, conn, msg, v) != 0) {
			vl.error = "header_change_failed";
			rc = milter_error(ctx, cfg);
			vl.final = rc == SMFIS_TEMPFAIL ? ACTION_TEMPFAIL : ACTION_ACCEPT;
		} else {
			rc = milter_apply(ctx, cfg, v, vl.final);
			if (rc == SMFIS_TEMPFAIL && vl.final == ACTION_QUARANTINE) {
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

static sfsistat milter_abort(SMFICTX *ctx)
{
	struct connctx *conn = smfi_getpriv(ctx);

	if (conn != NULL && conn->msg != NULL) {
		log_msg(LOG_DEBUG, "message aborted ip=%s", conn->ip);
		msg_free(conn->msg);
		conn->msg = NULL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat milter_close(SMFICTX *ctx)
{
	struct connctx *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return SMFIS_CONTINUE;
	smfi_setpriv(ctx, NULL);
	msg_free(conn->msg);
	free(conn->helo);
	free(conn);
	pthread_mutex_lock(&state_mu);
	if (--open_conns == 0)
		pthread_cond_broadcast(&idle_cond);
	pthread_mutex_unlock(&state_mu);
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
    .xxfi_name = "authmilter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
    .xxfi_connect = milter_connect,
    .xxfi_helo = milter_helo,
    .xxfi_envfrom = milter_envfrom,
    .xxfi_envrcpt = milter_envrcpt,
    .xxfi_header = milter_header,
    .xxfi_eoh = milter_eoh,
    .xxfi_body = milter_body,
    .xxfi_eom = milter_eom,
    .xxfi_abort = milter_abort,
    .xxfi_close = milter_close,
    .xxfi_negotiate = milter_negotiate,
};
