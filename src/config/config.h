/*
 * config - the configuration: one immutable, reference-counted snapshot
 *
 * SYNOPSIS
 *	struct config *cfg = config_load("/etc/authmilter.conf", &err);
 *	struct config *mine = config_ref(cfg);   (a message keeps its snapshot)
 *	config_unref(mine);
 *
 * DESCRIPTION
 *	Reads a libconfig file. Every key is declared once, in the table in
 *	config.c, with its type, default, minimum and maximum; the sample
 *	conf/authmilter.conf documents them. Unknown keys, wrong types and
 *	out-of-range values are errors naming the key and the line. A missing
 *	key takes its default, and the defaults are safe for a production MX.
 *
 * OWNERSHIP
 *	A loaded config is never modified. config_unref() frees it when the
 *	last reference goes.
 */
#ifndef AM_CONFIG_H
#define AM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "engine/dmarc.h"
#include "engine/spf.h"
#include "engine/verdict.h"
#include "util/addr.h"
#include "util/err.h"

enum on_error {
	ON_ERROR_TEMPFAIL = 0,
	ON_ERROR_ACCEPT,
};

enum dkim_body_length {
	DKIM_BODY_LENGTH_STRICT = 0, /* content past l= keeps a signature from passing */
	DKIM_BODY_LENGTH_ACCEPT,     /* l= honoured; the unsigned bytes are reported */
};

enum policy_mode {
	MODE_ENFORCE = 0,
	MODE_MONITOR, /* stamp and log, never reject, hold or tempfail */
};

enum quarantine_how {
	QUARANTINE_HOLD = 0, /* the MTA's hold queue (smfi_quarantine) */
	QUARANTINE_HEADER,   /* add quarantine_header, deliver */
	QUARANTINE_REJECT,   /* reject instead */
};

struct strlist {
	char **v;
	size_t n;
};

struct netlist {
	struct am_cidr *v;
	size_t n;
};

/* Whether a is inside one of the networks. */
bool netlist_match(const struct netlist *nl, const struct am_addr *a);
/* Whether domain (case-insensitive) is one of the list or a subdomain of one. */
bool domainlist_match(const struct strlist *sl, const char *domain);

struct config {
	char *file;
	char *authserv_id;

	struct strlist nameservers;
	double dns_timeout;
	unsigned dns_cache_size;

	bool spf_check_helo;
	struct spf_limits spf_limits;

	bool iprev_enabled; /* RFC 8601 iprev, informational */

	unsigned dkim_max_signatures;
	unsigned dkim_min_key_bits;
	enum dkim_body_length dkim_body_length;

	unsigned arc_max_sets;		    /* RFC 8617 4.2.1: 50 */
	struct strlist arc_trusted_sealers; /* ARC-Seal d= whose AARs we honour */

	enum dmarc_pct_mode dmarc_pct;
	enum dmarc_discovery dmarc_discovery; /* "treewalk" (RFC 9989) or "psl" */

	/* What each outcome does; enum action values. */
	int act_dmarc_reject;
	int act_dmarc_quarantine;
	int act_no_from;
	int act_multiple_from;
	int act_multiple_domains;
	int act_unparseable_from;
	enum on_error on_error;

	char *reject_reply;   /* "550 5.7.26 text", %{domain} %{policy} expanded */
	char *tempfail_reply; /* "451 4.4.3 text" */

	/* Local policy, applied by the daemon around the engine's verdict. */
	enum policy_mode mode;
	enum quarantine_how quarantine;
	char *quarantine_header; /* "Name: value" */
	struct strlist trusted_networks_text, allow_networks_text;
	struct netlist trusted_networks;       /* skipped: no checks, no header */
	struct netlist allow_networks;	       /* checked and stamped, never refused */
	struct strlist allow_domains;	       /* author domains never refused */
	struct strlist untrusted_authserv_ids; /* A-R headers removed like ours */
	bool skip_authenticated;

	/* Limits on what input can push. */
	unsigned max_headers;
	unsigned max_header_bytes;
	unsigned max_connections;   /* open SMTP connections the milter serves */
	unsigned message_time;	    /* seconds of DNS work one message may take */
	unsigned idle_timeout;	    /* seconds an MTA connection may stay silent */
	unsigned negotiate_timeout; /* seconds a new connection has to negotiate */

	/* DMARC aggregate reports (RFC 9990): the daemon's recorder and
	 * authmilter-report. */
	bool reporting_enabled;
	char *report_store;	  /* "sqlite:PATH" or "postgresql:CONNINFO" */
	unsigned report_queue;	  /* records waiting for the writer thread */
	char *report_status_file; /* the recorder's counters, for --status */
	char *report_org_name, *report_email, *report_contact;
	char *report_domain;   /* our domain (Submitter); "": the email's */
	char *report_sendmail; /* the local MTA's command */
	char *report_smtp;     /* "host:port": SMTP instead of sendmail */
	unsigned report_retry_days, report_keep_days;
	unsigned report_max_reports; /* reports sent by one run */
	unsigned report_max_uris;    /* rua URIs served per report */
	unsigned report_send_timeout;
	struct strlist report_exclude; /* policy domains never recorded or reported */
	char *metrics_listen;	       /* "ADDRESS:PORT" for GET /metrics, "" = off */

	/* The daemon. */
	char *socket;
	unsigned socket_mode;
	char *user, *group;
	bool allow_root;
	int syslog_facility_index; /* the key's value, an index into its names */
	int syslog_facility;	   /* LOG_MAIL, ... (from the index) */
	bool debug;
	unsigned shutdown_timeout;

	int refs; /* atomic */
};

/* NULL on error, with err naming the file, line and key. */
struct config *config_load(const char *file, struct am_err *err);
/* The same from a string (tests); name is used in messages. */
struct config *config_parse(const char *text, const char *name, struct am_err *err);
/* The built-in defaults (no file). */
struct config *config_default(void);
/* One line per key: "path = value; # default|set" (config_dump.c). */
void config_dump(const struct config *cfg, FILE *fp);

struct config *config_ref(struct config *cfg);
void config_unref(struct config *cfg);

#endif
