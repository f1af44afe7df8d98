/*
 * config - the configuration snapshot (see config.h)
 *
 * DESCRIPTION
 *	config_keys[] is the one place a setting is declared: its path in the
 *	file, type, default, range and where it lands in struct config. Loading
 *	is: defaults from the table, then every setting of the file checked
 *	against the table (unknown keys are errors), then values stored.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libconfig.h>
#include <strings.h>
#include <syslog.h>

#include "config/config.h"
#include "config/config_impl.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char *const actions[] = {"accept", "quarantine", "reject", "tempfail", NULL};
static const char *const on_errors[] = {"tempfail", "accept", NULL};
static const char *const pct_modes[] = {"sample", "ignore", NULL};
/* Indexes match enum dmarc_discovery. */
static const char *const discoveries[] = {"treewalk", "psl", NULL};
static const char *const body_lengths[] = {"strict", "accept", NULL};
static const char *const modes[] = {"enforce", "monitor", NULL};
static const char *const quarantines[] = {"hold", "header", "reject", NULL};
/* Indexes match facility_codes[] in config_check(). */
static const char *const facilities[] = {"mail",   "daemon", "user",   "local0", "local1", "local2",
					 "local3", "local4", "local5", "local6", "local7", NULL};

#define OFF(field) offsetof(struct config, field)

const struct config_key config_keys[] = {
    {"authserv_id", KT_STRING, OFF(authserv_id), "", 0, 0, 255, NULL},
    {"dns.nameservers", KT_STRLIST, OFF(nameservers), NULL, 0, 0, 16, NULL},
    {"dns.timeout", KT_FLOAT, OFF(dns_timeout), NULL, 2.0, 0.05, 30, NULL},
    {"dns.cache_size", KT_UINT, OFF(dns_cache_size), NULL, 10000, 0, 1000000, NULL},
    {"spf.check_helo", KT_BOOL, OFF(spf_check_helo), NULL, 1, 0, 1, NULL},
    {"spf.lookup_limit", KT_UINT, OFF(spf_limits.dns_mechanisms), NULL, 10, 1, 50, NULL},
    {"spf.void_lookup_limit", KT_UINT, OFF(spf_limits.void_lookups), NULL, 2, 0, 20, NULL},
    {"spf.mx_limit", KT_UINT, OFF(spf_limits.mx_names), NULL, 10, 1, 50, NULL},
    {"spf.ptr_limit", KT_UINT, OFF(spf_limits.ptr_names), NULL, 10, 1, 50, NULL},
    {"spf.time_limit", KT_UINT, OFF(spf_limits.time_limit), NULL, 20, 1, 300, NULL},
    {"iprev.enabled", KT_BOOL, OFF(iprev_enabled), NULL, 1, 0, 1, NULL},
    {"dkim.max_signatures", KT_UINT, OFF(dkim_max_signatures), NULL, 5, 1, 50, NULL},
    {"dkim.min_key_bits", KT_UINT, OFF(dkim_min_key_bits), NULL, 1024, 1024, 16384, NULL},
    {"dkim.body_length", KT_ENUM, OFF(dkim_body_length), "strict", 0, 0, 0, body_lengths},
    {"arc.max_sets", KT_UINT, OFF(arc_max_sets), NULL, 50, 1, 50, NULL},
    {"arc.trusted_sealers", KT_STRLIST, OFF(arc_trusted_sealers), NULL, 0, 0, 1000, NULL},
    {"dmarc.pct", KT_ENUM, OFF(dmarc_pct), "sample", 0, 0, 0, pct_modes},
    {"dmarc.discovery", KT_ENUM, OFF(dmarc_discovery), "treewalk", 0, 0, 0, discoveries},
    {"policy.dmarc_reject", KT_ENUM, OFF(act_dmarc_reject), "reject", 0, 0, 0, actions},
    {"policy.dmarc_quarantine", KT_ENUM, OFF(act_dmarc_quarantine), "quarantine", 0, 0, 0, actions},
    {"policy.no_from", KT_ENUM, OFF(act_no_from), "reject", 0, 0, 0, actions},
    {"policy.multiple_from", KT_ENUM, OFF(act_multiple_from), "reject", 0, 0, 0, actions},
    {"policy.multiple_from_domains", KT_ENUM, OFF(act_multiple_domains), "reject", 0, 0, 0,
     actions},
    {"policy.unparseable_from", KT_ENUM, OFF(act_unparseable_from), "reject", 0, 0, 0, actions},
    {"policy.on_error", KT_ENUM, OFF(on_error), "tempfail", 0, 0, 0, on_errors},
    {"policy.mode", KT_ENUM, OFF(mode), "enforce", 0, 0, 0, modes},
    {"policy.quarantine", KT_ENUM, OFF(quarantine), "hold", 0, 0, 0, quarantines},
    {"policy.quarantine_header", KT_STRING, OFF(quarantine_header), "X-Spam-Flag: YES", 0, 4, 400,
     NULL},
    {"policy.trusted_networks", KT_STRLIST, OFF(trusted_networks_text), "127.0.0.0/8,::1", 0, 0,
     1000, NULL},
    {"policy.allow_networks", KT_STRLIST, OFF(allow_networks_text), NULL, 0, 0, 1000, NULL},
    {"policy.allow_domains", KT_STRLIST, OFF(allow_domains), NULL, 0, 0, 1000, NULL},
    {"policy.untrusted_authserv_ids", KT_STRLIST, OFF(untrusted_authserv_ids), NULL, 0, 0, 100,
     NULL},
    {"policy.skip_authenticated", KT_BOOL, OFF(skip_authenticated), NULL, 1, 0, 1, NULL},
    {"limits.max_headers", KT_UINT, OFF(max_headers), NULL, 1000, 10, 100000, NULL},
    {"limits.max_header_bytes", KT_UINT, OFF(max_header_bytes), NULL, 1048576, 1024, 67108864,
     NULL},
    {"limits.max_connections", KT_UINT, OFF(max_connections), NULL, 1000, 1, 100000, NULL},
    {"limits.message_time", KT_UINT, OFF(message_time), NULL, 30, 1, 600, NULL},
    {"limits.idle_timeout", KT_UINT, OFF(idle_timeout), NULL, 7210, 10, 86400, NULL},
    {"limits.negotiate_timeout", KT_UINT, OFF(negotiate_timeout), NULL, 10, 1, 600, NULL},
    {"reporting.enabled", KT_BOOL, OFF(reporting_enabled), NULL, 0, 0, 1, NULL},
    {"reporting.store", KT_STRING, OFF(report_store), "sqlite:/var/lib/authmilter/reports.db", 0, 8,
     1024, NULL},
    {"reporting.queue_size", KT_UINT, OFF(report_queue), NULL, 10000, 100, 1000000, NULL},
    {"reporting.status_file", KT_STRING, OFF(report_status_file), "/run/authmilter/recorder.status",
     0, 1, 1024, NULL},
    {"reporting.org_name", KT_STRING, OFF(report_org_name), "", 0, 0, 255, NULL},
    {"reporting.email", KT_STRING, OFF(report_email), "", 0, 0, 254, NULL},
    {"reporting.contact", KT_STRING, OFF(report_contact), "", 0, 0, 255, NULL},
    {"reporting.domain", KT_STRING, OFF(report_domain), "", 0, 0, 253, NULL},
    {"reporting.sendmail", KT_STRING, OFF(report_sendmail), "/usr/sbin/sendmail -t -oi", 0, 2, 1024,
     NULL},
    {"reporting.smtp", KT_STRING, OFF(report_smtp), "", 0, 0, 300, NULL},
    {"reporting.retry_days", KT_UINT, OFF(report_retry_days), NULL, 3, 0, 30, NULL},
    {"reporting.keep_days", KT_UINT, OFF(report_keep_days), NULL, 14, 1, 3660, NULL},
    {"reporting.max_reports_per_run", KT_UINT, OFF(report_max_reports), NULL, 10000, 1, 10000000,
     NULL},
    {"reporting.max_uris", KT_UINT, OFF(report_max_uris), NULL, 5, 1, 100, NULL},
    {"reporting.send_timeout", KT_UINT, OFF(report_send_timeout), NULL, 120, 5, 3600, NULL},
    {"reporting.exclude_domains", KT_STRLIST, OFF(report_exclude), NULL, 0, 0, 10000, NULL},
    {"metrics.listen", KT_STRING, OFF(metrics_listen), "", 0, 0, 64, NULL},
    {"socket", KT_STRING, OFF(socket), "local:/run/authmilter/authmilter.sock", 0, 6, 200, NULL},
    {"socket_mode", KT_MODE, OFF(socket_mode), "0660", 0, 0, 0777, NULL},
    {"user", KT_STRING, OFF(user), "authmilter", 0, 1, 64, NULL},
    {"group", KT_STRING, OFF(group), "authmilter", 0, 1, 64, NULL},
    {"allow_root", KT_BOOL, OFF(allow_root), NULL, 0, 0, 1, NULL},
    {"syslog_facility", KT_ENUM, OFF(syslog_facility_index), "mail", 0, 0, 0, facilities},
    {"debug", KT_BOOL, OFF(debug), NULL, 0, 0, 1, NULL},
    {"shutdown_timeout", KT_UINT, OFF(shutdown_timeout), NULL, 30, 1, 3600, NULL},
    {"reply.reject", KT_STRING, OFF(reject_reply),
     "550 5.7.26 Unauthenticated email from %{domain} is not accepted due to the domain's "
     "DMARC policy (p=%{policy})",
     0, 12, 400, NULL},
    {"reply.tempfail", KT_STRING, OFF(tempfail_reply),
     "451 4.4.3 Temporary failure checking message authentication; try again later", 0, 12, 400,
     NULL},
};

#define N_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))
const size_t config_n_keys = N_KEYS;

static void *field(struct config *cfg, const struct config_key *k)
{
	return (char *)cfg + k->offset;
}

static int enum_index(const char *const *names, const char *s)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static void strlist_clear(struct strlist *sl)
{
	size_t i;

	for (i = 0; i < sl->n; i++)
		free(sl->v[i]);
	free(sl->v);
	sl->v = NULL;
	sl->n = 0;
}

/* A list default is written "a,b,c" in the table. */
static void strlist_set_default(struct strlist *sl, const char *def)
{
	const char *p = def, *comma;

	if (def == NULL)
		return;
	sl->v = xcalloc(strlen(def) + 2, sizeof(char *));
	while (*p != '\0') {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		sl->v[sl->n++] = xstrndup(p, (size_t)(comma - p));
		p = *comma ? comma + 1 : comma;
	}
}

static void config_set_defaults(struct config *cfg)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];
		void *f = field(cfg, k);

		switch (k->type) {
		case KT_STRING:
			*(char **)f = xstrdup(k->def_str);
			break;
		case KT_FLOAT:
			*(double *)f = k->def_num;
			break;
		case KT_UINT:
			*(unsigned *)f = (unsigned)k->def_num;
			break;
		case KT_BOOL:
			*(bool *)f = k->def_num != 0;
			break;
		case KT_ENUM:
			*(int *)f = enum_index(k->names, k->def_str);
			break;
		case KT_MODE:
			*(unsigned *)f = (unsigned)strtoul(k->def_str, NULL, 8);
			break;
		case KT_STRLIST:
			strlist_set_default(f, k->def_str);
			break;
		}
	}
}

static const struct config_key *config_find(const char *path)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (strcmp(config_keys[i].path, path) == 0)
			return &config_keys[i];
	return NULL;
}

/* True when path names a group that some key lives under. */
static bool config_is_group(const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; i < N_KEYS; i++)
		if (strncmp(config_keys[i].path, path, n) == 0 && config_keys[i].path[n] == '.')
			return true;
	return false;
}

static int config_fail(struct am_err *err, const char *name, const config_setting_t *s,
		       const char *path, const char *what)
{
	am_err_set(err, "%s:%d: %s: %s", name, config_setting_source_line(s), path, what);
	return -1;
}

static int store_number(struct config *cfg, const struct config_key *k, const config_setting_t *s,
			const char *name, const char *path, struct am_err *err)
{
	int t = config_setting_type(s);
	double v;
	char what[128];

	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else if (t == CONFIG_TYPE_FLOAT && k->type == KT_FLOAT)
		v = config_setting_get_float(s);
	else
		return config_fail(err, name, s, path,
				   k->type == KT_FLOAT ? "expected a number"
						       : "expected an integer");
	if (v < k->min || v > k->max) {
		snprintf(what, sizeof(what), "%g is out of range [%g, %g]", v, k->min, k->max);
		return config_fail(err, name, s, path, what);
	}
	if (k->type == KT_FLOAT)
		*(double *)field(cfg, k) = v;
	else
		*(unsigned *)field(cfg, k) = (unsigned)v;
	return 0;
}

static int store_string(struct config *cfg, const struct config_key *k, const config_setting_t *s,
			const char *name, const char *path, struct am_err *err)
{
	const char *v = config_setting_get_string(s);
	char what[160];
	int idx;

	if (v == NULL)
		return config_fail(err, name, s, path, "expected a string");
	if (k->type == KT_ENUM) {
		idx = enum_index(k->names, v);
		if (idx < 0) {
			struct strbuf sb = STRBUF_INIT;
			const char *const *n;

			for (n = k->names; *n != NULL; n++)
				strbuf_addf(&sb, "%s\"%s\"", n == k->names ? "" : ", ", *n);
			snprintf(what, sizeof(what), "\"%.40s\" is not one of %s", v,
				 strbuf_str(&sb));
			strbuf_free(&sb);
			return config_fail(err, name, s, path, what);
		}
		*(int *)field(cfg, k) = idx;
		return 0;
	}
	if (strlen(v) < (size_t)k->min || strlen(v) > (size_t)k->max) {
		snprintf(what, sizeof(what), "length must be %g to %g characters", k->min, k->max);
		return config_fail(err, name, s, path, what);
	}
	free(*(char **)field(cfg, k));
	*(char **)field(cfg, k) = xstrdup(v);
	return 0;
}

static int store_list(struct config *cfg, const struct config_key *k, const config_setting_t *s,
		      const char *name, const char *path, struct am_err *err)
{
	int n = config_setting_length(s), i;
	struct strlist *list = field(cfg, k);

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return config_fail(err, name, s, path, "expected a list of strings [\"...\", ...]");
	if (n > (int)k->max)
		return config_fail(err, name, s, path, "too many entries");
	strlist_clear(list);
	list->v = xcalloc((size_t)n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(s, (unsigned)i);

		if (v == NULL || *v == '\0')
			return config_fail(err, name, s, path, "entries must be non-empty strings");
		list->v[list->n++] = xstrdup(v);
	}
	return 0;
}

static int store_mode(struct config *cfg, const struct config_key *k, const config_setting_t *s,
		      const char *name, const char *path, struct am_err *err)
{
	const char *v = config_setting_get_string(s);
	char *end;
	unsigned long mode;

	if (v == NULL || *v != '0' || (mode = strtoul(v, &end, 8), *end != '\0') ||
	    mode > (unsigned long)k->max)
		return config_fail(err, name, s, path,
				   "expected an octal mode string like \"0660\"");
	if (mode & 07)
		return config_fail(err, name, s, path,
				   "must not give access to others (last digit 0)");
	*(unsigned *)field(cfg, k) = (unsigned)mode;
	return 0;
}

static int config_store(struct config *cfg, const struct config_key *k, const config_setting_t *s,
			const char *name, const char *path, struct am_err *err)
{
	switch (k->type) {
	case KT_FLOAT:
	case KT_UINT:
		return store_number(cfg, k, s, name, path, err);
	case KT_BOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return config_fail(err, name, s, path, "expected true or false");
		*(bool *)field(cfg, k) = config_setting_get_bool(s) != 0;
		return 0;
	case KT_STRING:
	case KT_ENUM:
		return store_string(cfg, k, s, name, path, err);
	case KT_STRLIST:
		return store_list(cfg, k, s, name, path, err);
	case KT_MODE:
		return store_mode(cfg, k, s, name, path, err);
	}
	return -1;
}

/* Checks and stores every setting under group s, recursively. */
static int config_walk(struct config *cfg, const config_setting_t *grp, const char *prefix,
		       const char *name, struct am_err *err)
{
	int n = config_setting_length(grp), i;

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
		char *path = prefix[0] ? xasprintf("%s.%s", prefix, config_setting_name(s))
				       : xstrdup(config_setting_name(s));
		const struct config_key *k = config_find(path);
		int rc;

		if (k != NULL)
			rc = config_store(cfg, k, s, name, path, err);
		else if (config_setting_is_group(s) && config_is_group(path))
			rc = config_walk(cfg, s, path, name, err);
		else
			rc = config_fail(err, name, s, path, "unknown key");
		free(path);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static struct config *config_alloc(const char *name)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->file = xstrdup(name);
	cfg->refs = 1;
	config_set_defaults(cfg);
	return cfg;
}

static struct config *config_finish(struct config *cfg, config_t *cf, int ok, const char *name,
				    struct am_err *err)
{
	if (!ok) {
		am_err_set(err, "%s:%d: %s", name, config_error_line(cf), config_error_text(cf));
		goto fail;
	}
	if (config_walk(cfg, config_root_setting(cf), "", name, err) != 0 ||
	    config_check(cfg, name, err) != 0)
		goto fail;
	config_destroy(cf);
	return cfg;
fail:
	config_destroy(cf);
	config_unref(cfg);
	return NULL;
}

/*
 * The line (1-based) of the first @include directive of text, or 0.
 * libconfig 1.5 ends the process (exit()) when an included path cannot be
 * read as a file, a directory for one, so a reload could kill the daemon:
 * includes are refused, and every setting is in the one file.
 */
static int config_include_line(const char *text)
{
	const char *p = text, *q;
	int line = 1;

	while (p != NULL && *p != '\0') {
		for (q = p; *q == ' ' || *q == '\t'; q++)
			;
		if (strncmp(q, "@include", 8) == 0)
			return line;
		p = strchr(p, '\n');
		if (p != NULL) {
			p++;
			line++;
		}
	}
	return 0;
}

struct config *config_parse(const char *text, const char *name, struct am_err *err)
{
	struct config *cfg;
	config_t cf;
	int line = config_include_line(text);

	if (line > 0) {
		am_err_set(err, "%s:%d: @include is not supported: put every setting in this file",
			   name, line);
		return NULL;
	}
	cfg = config_alloc(name);
	config_init(&cf);
	return config_finish(cfg, &cf, config_read_string(&cf, text) == CONFIG_TRUE, name, err);
}

#define CONFIG_MAX_FILE (1024 * 1024) /* bytes of a configuration file */

struct config *config_load(const char *file, struct am_err *err)
{
	struct config *cfg;
	FILE *fp = fopen(file, "r");
	char *text;
	size_t n;

	if (fp == NULL) {
		am_err_set(err, "%s: cannot open: %m", file);
		return NULL;
	}
	text = xmalloc(CONFIG_MAX_FILE + 1);
	n = fread(text, 1, CONFIG_MAX_FILE + 1, fp);
	if (ferror(fp)) {
		am_err_set(err, "%s: cannot read: %m", file);
		cfg = NULL;
	} else if (n > CONFIG_MAX_FILE) {
		am_err_set(err, "%s: longer than %d bytes", file, CONFIG_MAX_FILE);
		cfg = NULL;
	} else if (memchr(text, '\0', n) != NULL) {
		am_err_set(err, "%s: holds a NUL byte", file);
		cfg = NULL;
	} else {
		text[n] = '\0';
		cfg = config_parse(text, file, err);
	}
	fclose(fp);
	free(text);
	return cfg;
}

struct config *config_default(void)
{
	return config_parse("", "(defaults)", NULL);
}

struct config *config_ref(struct config *cfg)
{
	__atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
	return cfg;
}

void config_unref(struct config *cfg)
{
	size_t i;

	if (cfg == NULL || __atomic_sub_fetch(&cfg->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (i = 0; i < N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->type == KT_STRING)
			free(*(char **)field(cfg, k));
	}
	for (i = 0; i < N_KEYS; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->type == KT_STRLIST)
			strlist_clear(field(cfg, k));
	}
	free(cfg->trusted_networks.v);
	free(cfg->allow_networks.v);
	free(cfg->file);
	free(cfg);
}

bool netlist_match(const struct netlist *nl, const struct am_addr *a)
{
	size_t i;

	for (i = 0; i < nl->n; i++)
		if (addr_in_cidr(a, &nl->v[i]))
			return true;
	return false;
}

bool domainlist_match(const struct strlist *sl, const char *domain)
{
	size_t dl = strlen(domain), i;

	for (i = 0; i < sl->n; i++) {
		size_t l = strlen(sl->v[i]);

		if (dl == l && strcasecmp(domain, sl->v[i]) == 0)
			return true;
		if (dl > l && domain[dl - l - 1] == '.' &&
		    strcasecmp(domain + dl - l, sl->v[i]) == 0)
			return true;
	}
	return false;
}
