/*
 * config_check - the checks that span more than one value of a key, run
 * once a file is read (see config_impl.h)
 *
 * DESCRIPTION
 *	The key table (config.c) checks types and ranges; what needs more —
 *	reply codes, name servers, networks, header syntax, domain lists in
 *	A-label form, the reporting settings — is checked here, each with
 *	an error naming the key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <syslog.h>

#include "config/config.h"
#include "config/config_impl.h"
#include "dns/resolver.h"
#include "engine/authres.h"
#include "util/idna.h"
#include "util/xalloc.h"

static int check_reply(const char *reply, char klass, const char *key, const char *name,
		       struct am_err *err)
{
	/* "DDD X.Y.Z text": basic and enhanced status code of the right class */
	if (reply[0] != klass || reply[1] < '0' || reply[1] > '9' || reply[2] < '0' ||
	    reply[2] > '9' || reply[3] != ' ' || reply[4] != klass || reply[5] != '.') {
		am_err_set(err, "%s: %s: must start with a %cxx code and a %c.x.x enhanced code",
			   name, key, klass, klass);
		return -1;
	}
	if (strpbrk(reply, "\r\n") != NULL) {
		am_err_set(err, "%s: %s: must be one line", name, key);
		return -1;
	}
	return 0;
}

static int check_nameserver(const char *ns, const char *name, struct am_err *err)
{
	char host[64];
	const char *at = strchr(ns, '@');
	size_t hl = at ? (size_t)(at - ns) : strlen(ns);
	unsigned char buf[16];
	char *end;
	long port;

	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, ns, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1)
		goto bad;
	if (at != NULL) {
		port = strtol(at + 1, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535)
			goto bad;
	}
	return 0;
bad:
	am_err_set(err, "%s: dns.nameservers: \"%s\" is not IP or IP@PORT", name, ns);
	return -1;
}

static const int facility_codes[] = {LOG_MAIL,	 LOG_DAEMON, LOG_USER,	 LOG_LOCAL0,
				     LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4,
				     LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};

static int check_networks(const struct strlist *text, struct netlist *nl, const char *key,
			  const char *name, struct am_err *err)
{
	size_t i;

	nl->v = xcalloc(text->n + 1, sizeof(*nl->v));
	for (i = 0; i < text->n; i++) {
		if (!cidr_parse(text->v[i], &nl->v[i])) {
			am_err_set(err, "%s: %s: \"%s\" is not an address or CIDR network", name,
				   key, text->v[i]);
			return -1;
		}
		nl->n++;
	}
	return 0;
}

/* "Name: value", a valid field name and a one-line printable value. */
static int check_header(const char *h, const char *name, struct am_err *err)
{
	const char *colon = strchr(h, ':');
	const char *p;

	for (p = h; colon != NULL && p < colon; p++)
		if (*p <= ' ' || *p >= 0x7f)
			break;
	if (colon == NULL || p != colon || colon == h || colon[1] != ' ' || colon[2] == '\0')
		goto bad;
	for (p = colon + 1; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
			goto bad;
	return 0;
bad:
	am_err_set(err, "%s: policy.quarantine_header: \"%s\" is not \"Name: value\"", name, h);
	return -1;
}

/* Domains of a list in their A-label form (util/idna.h), as the engine
 * compares them; an entry that is not a valid domain name is an error. */
static int check_domains(struct strlist *sl, const char *key, const char *name, struct am_err *err)
{
	size_t i;

	for (i = 0; i < sl->n; i++) {
		const char *why = NULL;
		char *a = idna_to_alabel(sl->v[i], &why);

		if (a == NULL) {
			am_err_set(err, "%s: %s: \"%s\" is not a valid domain name (%s)", name, key,
				   sl->v[i], why);
			return -1;
		}
		free(sl->v[i]);
		sl->v[i] = a;
	}
	return 0;
}

/* "local@domain" with nothing that could break a header or a command
 * line: printable ASCII, no blanks, quotes, brackets, commas or
 * semicolons, one '@', a domain of at least two labels. */
static bool check_address(const char *a)
{
	const char *at = strchr(a, '@'), *p;

	if (at == NULL || at == a || strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL ||
	    !dns_name_valid(at + 1))
		return false;
	for (p = a; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("\"(),:;<>[\\]", *p) != NULL)
			return false;
	return true;
}

/* "host:port" or "[v6]:port" */
static bool check_hostport(const char *hp)
{
	const char *colon = strrchr(hp, ':');
	char *end;
	long port;

	if (colon == NULL || colon == hp)
		return false;
	port = strtol(colon + 1, &end, 10);
	return *end == '\0' && colon[1] != '\0' && port >= 1 && port <= 65535;
}

/* metrics.listen: "" (off), "IPv4:PORT" or "[IPv6]:PORT". */
static int check_listen(const char *hp, const char *name, struct am_err *err)
{
	const char *colon = strrchr(hp, ':');
	struct am_addr a;
	char host[64];
	size_t n;

	if (hp[0] == '\0')
		return 0;
	n = colon != NULL ? (size_t)(colon - hp) : 0;
	if (n > 2 && hp[0] == '[' && hp[n - 1] == ']') {
		memcpy(host, hp + 1, n - 2);
		host[n - 2] = '\0';
	} else if (n > 0 && n < sizeof(host)) {
		memcpy(host, hp, n);
		host[n] = '\0';
	} else {
		host[0] = '\0';
	}
	if (!check_hostport(hp) || n >= sizeof(host) || !addr_parse(host, &a) ||
	    (hp[0] == '[') != (a.family == AM_AF_INET6)) {
		am_err_set(err, "%s: metrics.listen: \"%s\" is not IPv4:PORT or [IPv6]:PORT", name,
			   hp);
		return -1;
	}
	return 0;
}

static int check_reporting(struct config *cfg, const char *name, struct am_err *err)
{
	const char *s = cfg->report_store;

	if (strncmp(s, "sqlite:", 7) != 0 && strncmp(s, "postgresql:", 11) != 0) {
		am_err_set(
		    err, "%s: reporting.store: must be \"sqlite:PATH\" or \"postgresql:CONNINFO\"",
		    name);
		return -1;
	}
	if (strncmp(s, "sqlite:", 7) == 0 && s[7] != '/') {
		am_err_set(err, "%s: reporting.store: the SQLite file must be an absolute path",
			   name);
		return -1;
	}
	if (cfg->report_email[0] != '\0' && !check_address(cfg->report_email)) {
		am_err_set(err, "%s: reporting.email: \"%s\" is not an address local@domain", name,
			   cfg->report_email);
		return -1;
	}
	if (cfg->report_domain[0] != '\0' && !dns_name_valid(cfg->report_domain)) {
		am_err_set(err, "%s: reporting.domain: \"%s\" is not a domain name", name,
			   cfg->report_domain);
		return -1;
	}
	if (cfg->report_smtp[0] != '\0' && !check_hostport(cfg->report_smtp)) {
		am_err_set(err, "%s: reporting.smtp: \"%s\" is not host:port", name,
			   cfg->report_smtp);
		return -1;
	}
	if (cfg->report_sendmail[0] != '/') {
		am_err_set(err,
			   "%s: reporting.sendmail: the command must start with an absolute path",
			   name);
		return -1;
	}
	if (cfg->report_status_file[0] != '/') {
		am_err_set(err, "%s: reporting.status_file: must be an absolute path", name);
		return -1;
	}
	return check_domains(&cfg->report_exclude, "reporting.exclude_domains", name, err);
}

int config_check(struct config *cfg, const char *name, struct am_err *err)
{
	size_t i;

	for (i = 0; i < cfg->nameservers.n; i++)
		if (check_nameserver(cfg->nameservers.v[i], name, err) != 0)
			return -1;
	if (check_networks(&cfg->trusted_networks_text, &cfg->trusted_networks,
			   "policy.trusted_networks", name, err) != 0 ||
	    check_networks(&cfg->allow_networks_text, &cfg->allow_networks, "policy.allow_networks",
			   name, err) != 0 ||
	    check_header(cfg->quarantine_header, name, err) != 0 ||
	    check_domains(&cfg->allow_domains, "policy.allow_domains", name, err) != 0 ||
	    check_domains(&cfg->arc_trusted_sealers, "arc.trusted_sealers", name, err) != 0 ||
	    check_reporting(cfg, name, err) != 0 ||
	    check_listen(cfg->metrics_listen, name, err) != 0)
		return -1;
	cfg->syslog_facility = facility_codes[cfg->syslog_facility_index];
	if (check_reply(cfg->reject_reply, '5', "reply.reject", name, err) != 0 ||
	    check_reply(cfg->tempfail_reply, '4', "reply.tempfail", name, err) != 0)
		return -1;
	if (cfg->authserv_id[0] == '\0') {
		char host[256];

		if (gethostname(host, sizeof(host) - 1) != 0)
			strcpy(host, "localhost");
		host[sizeof(host) - 1] = '\0';
		free(cfg->authserv_id);
		cfg->authserv_id = xstrdup(host);
	}
	for (i = 0; cfg->authserv_id[i] != '\0'; i++) {
		unsigned char c = (unsigned char)cfg->authserv_id[i];

		if (!authres_token_char(c)) {
			am_err_set(err, "%s: authserv_id: \"%s\" must be a token (a host name)",
				   name, cfg->authserv_id);
			return -1;
		}
	}
	return 0;
}
