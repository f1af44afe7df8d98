/*
 * feedback - the RFC 9990 aggregate report document (XML)
 *
 * SYNOPSIS
 *	struct strbuf doc = STRBUF_INIT;
 *	feedback_begin(&doc, &meta, &policy);
 *	feedback_record(&doc, &row, count);   (one or more)
 *	feedback_end(&doc);
 *
 * DESCRIPTION
 *	Writes one <feedback> document in namespace
 *	urn:ietf:params:xml:ns:dmarc-2.0 that validates against RFC 9990's
 *	schema (dmarc-xml-0.2.xsd): version 1.0, report_metadata,
 *	policy_published, then the records. Elements appear in the order the
 *	RFC's tables give. An optional element is left out when its value
 *	is NULL: extra_contact_info, error and generator in the metadata;
 *	discovery_method, sp, np and fo in policy_published (the caller
 *	fills every tag's discovered or default value, so normally all are
 *	written); envelope_from (but "", a null reverse-path, is written
 *	as an empty element); a reason's comment; the auth_results spf
 *	element when spf_result is NULL (its domain NULL is written as "").
 *	adkim and aspf are written when 'r' or 's', left out otherwise;
 *	testing is always written, "y" or "n". A required value that is
 *	NULL is written as an empty element.
 *
 *	feedback_record() writes at most REPORT_MAX_DKIM DKIM results (the
 *	first ones: the row keeps them in RFC 9990's order of preference)
 *	and at most REPORT_MAX_REASONS reasons, whatever n_dkim and
 *	n_reasons say; count is written as given.
 *
 *	Every text and attribute value goes through xml_escape(): the five
 *	markup characters become entity references, and whatever XML 1.0
 *	cannot carry (control characters other than tab, newline and
 *	carriage return; bytes that are not valid UTF-8; U+FFFE, U+FFFF)
 *	becomes U+FFFD. So no value from mail or DNS can change the
 *	document's structure or make it ill-formed.
 */
#ifndef AM_REPORT_FEEDBACK_H
#define AM_REPORT_FEEDBACK_H

#include <stddef.h>

#include "report/record.h"
#include "util/strbuf.h"

#define FEEDBACK_NS "urn:ietf:params:xml:ns:dmarc-2.0"

struct feedback_meta {
	const char *org_name;	   /* required */
	const char *email;	   /* required */
	const char *extra_contact; /* or NULL */
	const char *report_id;	   /* required */
	long begin, end;	   /* date_range, seconds since the epoch */
	const char *error;	   /* or NULL: problems with the policy record */
	const char *generator;	   /* or NULL: "authmilter 0.1.0" */
};

/* Appends s (NULL: nothing) escaped by the rules above, fit for element
 * text and attribute values alike; tab, newline and carriage return are
 * written as character references so no parser normalises them away. */
void xml_escape(struct strbuf *sb, const char *s);

void feedback_begin(struct strbuf *doc, const struct feedback_meta *m,
		    const struct report_policy *p);
void feedback_record(struct strbuf *doc, const struct report_row *row, long count);
void feedback_end(struct strbuf *doc);

#endif
