/*
 * idna - domain names from mail in one form: ASCII, lower case, A-labels
 *
 * SYNOPSIS
 *	const char *why;
 *	char *a = idna_to_alabel("Bücher.Example.", &why);
 *	... a is "xn--bcher-kva.example", or NULL and why says why ...
 *	free(a);
 *
 * DESCRIPTION
 *	Every domain name taken from mail (the From domain, MAIL FROM, HELO,
 *	DKIM d= and i=) or from the configuration is looked up, compared and
 *	reported in its A-label form (RFC 8616, RFC 5890-5891). Label by
 *	label, split at ASCII dots:
 *	 - an ASCII label that is not an A-label is only lower-cased: DNS
 *	   names hold labels that IDNA would refuse ("_dmarc", "r3--sn-ab"),
 *	   and they are none of IDNA's business;
 *	 - an A-label ("xn--", any case) must decode to a valid U-label that
 *	   encodes back to the same A-label (RFC 5891 5.4); it is lower-cased;
 *	 - a label with non-ASCII bytes must be well-formed UTF-8 and, after
 *	   the UTS #46 non-transitional mapping (case and width folding, NFC,
 *	   as libpsl and browsers apply it), a valid IDNA2008 U-label; it
 *	   becomes its A-label.
 *	Mixed scripts and confusables are valid IDNA2008 and stay valid: this
 *	module converts, it does not judge. One trailing dot is dropped. The
 *	result has no empty label, no label over 63 octets and at most 253
 *	octets in all.
 *
 * OWNERSHIP
 *	Results are new strings the caller frees. why, when set, points to a
 *	static string.
 */
#ifndef AM_IDNA_H
#define AM_IDNA_H

#include <stdbool.h>

/* Longest input accepted (UTF-8 of a name whose A-label form can still be
 * 253 octets); longer input is invalid without conversion. */
#define IDNA_MAX_INPUT 1024

/* The A-label form of name, or NULL (why says why) when name is not a
 * valid domain name under the rules above. */
char *idna_to_alabel(const char *name, const char **why);

/* The U-label form of an A-label name (for people: logs, explanations),
 * or NULL when name has no A-label or does not decode. */
char *idna_to_ulabel(const char *name);

/* Whether s has a byte outside ASCII. */
bool idna_has_8bit(const char *s);

#endif
