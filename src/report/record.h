/*
 * record - what one message contributes to a DMARC aggregate report
 *
 * SYNOPSIS
 *	struct report_record rec;
 *	if (report_record_from_verdict(v, mail_from, time(NULL), &rec, &why) == 0) {
 *		... hand rec to the recorder; report_record_clear(&rec) ...
 *	}
 *
 * DESCRIPTION
 *	A record is RFC 9990's <record> for one message (row, identifiers,
 *	auth_results, count 1) together with the <policy_published> it was
 *	judged under and the day it was judged on. The store adds up records
 *	whose day, policy domain, policy and row are identical
 *	(report_policy_hash(), report_row_hash()).
 *
 *	report_record_from_verdict() reads a verdict and nothing else: the
 *	recorder never reaches into the engine. A message is recorded when
 *	its verdict was checked, DMARC found a policy record whose rua holds
 *	at least one usable mailto: URI (rua.h), and the action is not
 *	tempfail (a tempfailed message comes back and is recorded when it is
 *	judged for good).
 *
 *	The disposition is what was applied, after pct, t=y, the ARC
 *	override, allowlists and monitor mode: none, quarantine or reject for
 *	a DMARC failure (the action taken), pass for a DMARC pass under an
 *	enforcing policy (quarantine or reject), none for a pass under p=none.
 *	Reasons say why it differs from the published policy:
 *	policy_test_mode for t=y, other ("sampled out by pct=N") for pct
 *	sampling, trusted_forwarder for a trusted ARC sealer, local_policy for
 *	allow_networks, allow_domains, monitor mode, the operator's action map
 *	and errors decided by policy.on_error.
 *
 *	DKIM results are ordered as RFC 9990 asks: passing and strictly
 *	aligned with the From domain, passing and relaxed aligned, other
 *	passing, not passing; header order within each class; at most
 *	REPORT_MAX_DKIM.
 *
 *	Strings that come from mail or DNS are kept as they are (they are
 *	escaped where they are written: SQL parameters, XML), but cut to
 *	REPORT_MAX_FIELD bytes.
 *
 * OWNERSHIP
 *	A record owns its strings; report_record_clear() frees them.
 */
#ifndef AM_REPORT_RECORD_H
#define AM_REPORT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "engine/verdict.h"
#include "util/strbuf.h"

#define REPORT_MAX_DKIM 100  /* signatures in one row (RFC 9990 2.1.3) */
#define REPORT_MAX_REASONS 4 /* reason elements in one row */
#define REPORT_MAX_FIELD 255 /* bytes kept of one string from mail or DNS */
#define REPORT_MAX_RUA 2048  /* bytes of rua kept (a DMARC record is at most this) */
#define REPORT_HASH_LEN 16   /* bytes of a policy or row hash */

/* policy_evaluated/disposition (RFC 9990 ActionDispositionType) */
enum report_disposition {
	REPORT_DISP_NONE = 0,
	REPORT_DISP_PASS,
	REPORT_DISP_QUARANTINE,
	REPORT_DISP_REJECT,
};

/* policy_evaluated/reason/type (RFC 9990 PolicyOverrideType) */
enum report_reason_type {
	REPORT_REASON_LOCAL_POLICY = 0,
	REPORT_REASON_MAILING_LIST,
	REPORT_REASON_OTHER,
	REPORT_REASON_POLICY_TEST_MODE,
	REPORT_REASON_TRUSTED_FORWARDER,
};

struct report_reason {
	enum report_reason_type type;
	char *comment; /* plain words, or NULL */
};

struct report_dkim {
	char *domain;	/* d= (A-label form), "" when absent */
	char *selector; /* s=, "" when absent */
	char *result;	/* RFC 8601 2.7.1 name: "pass", "fail", ... */
};

/* <policy_published>: the discovered or default value of every tag. */
struct report_policy {
	char *domain;	   /* the DMARC policy domain (where the record was found) */
	char *p, *sp, *np; /* "none", "quarantine", "reject"; sp defaults to p,
			    * np to sp */
	char adkim, aspf;  /* 'r' or 's' */
	char *fo;	   /* as published, "0" by default */
	bool testing;	   /* t=y */
	char *discovery;   /* "treewalk" or "psl" */
	char *rua;	   /* as published (at most REPORT_MAX_RUA bytes) */
};

/* <row>, <identifiers> and <auth_results> of one <record>. */
struct report_row {
	char *source_ip;
	enum report_disposition disposition;
	bool dkim_pass, spf_pass; /* policy_evaluated dkim and spf: aligned pass */
	struct report_reason reasons[REPORT_MAX_REASONS];
	size_t n_reasons;
	char *header_from;
	char *envelope_from; /* RFC 5321.MailFrom domain; "" for a null
			      * reverse-path */
	struct report_dkim *dkim;
	size_t n_dkim;
	char *spf_domain; /* the domain SPF checked (scope mfrom) */
	char *spf_result; /* RFC 8601 2.7.2 name */
};

struct report_record {
	long day; /* UTC day: seconds since the epoch / 86400 */
	struct report_policy policy;
	struct report_row row;
};

/* 0 and rec filled, or -1 with *why ("not_checked", "no_policy",
 * "no_rua", "tempfail") when the message is not one to record. */
int report_record_from_verdict(const struct verdict *v, const char *mail_from, time_t when,
			       struct report_record *rec, const char **why);
void report_record_clear(struct report_record *rec);
void report_policy_clear(struct report_policy *p);
void report_row_clear(struct report_row *row);
/* Deep copies (dst's old content is not freed). */
void report_policy_copy(struct report_policy *dst, const struct report_policy *src);
void report_row_copy(struct report_row *dst, const struct report_row *src);

/* Hashes (SHA-256, first REPORT_HASH_LEN bytes) of every field of the
 * policy, and of every field of the row: equal hashes, equal content. */
void report_policy_hash(const struct report_policy *p, unsigned char out[REPORT_HASH_LEN]);
void report_row_hash(const struct report_row *row, unsigned char out[REPORT_HASH_LEN]);

/*
 * The DKIM results and the reasons as one text column each, and back.
 * Entries are separated by "\n" and fields by "\t"; '%', tab, newline
 * and every other byte below 0x20 or 0x7f inside a field are written
 * %XX. A reason is "type<TAB>comment" (type: report_reason_name()), a
 * DKIM result "domain<TAB>selector<TAB>result". Decoding returns 0, or
 * -1 for text that is not such a list (the row is then unusable).
 */
void report_dkim_encode(struct strbuf *sb, const struct report_dkim *d, size_t n);
int report_dkim_decode(const char *text, struct report_dkim **d, size_t *n);
void report_reasons_encode(struct strbuf *sb, const struct report_reason *r, size_t n);
int report_reasons_decode(const char *text, struct report_reason *r, size_t *n);

const char *report_disposition_name(enum report_disposition d); /* "none", ... */
const char *report_reason_name(enum report_reason_type t);	/* "local_policy", ... */
/* -1 when name is not one */
int report_disposition_parse(const char *name);
int report_reason_parse(const char *name);

/* The UTC day of t, and the first second of a day. */
long report_day(time_t t);
time_t report_day_start(long day);

#endif
