/*
 * dkim_utf8 - DKIM-Signature fields that hold UTF-8, verified on OpenSSL
 *
 * SYNOPSIS
 *	struct dkimu *u = dkimu_new(resolver, &opts);      (per message)
 *	dkimu_header(u, name, value);                      (every header field)
 *	dkimu_eoh(u);                                      (key lookups)
 *	dkimu_body(u, chunk, len);
 *	dkimu_eom(u, hdrs, n);                             (all header fields)
 *	const struct dkimv_sig *s = dkimu_result(u, k);    (k-th DKIM-Signature)
 *	dkimu_free(u);
 *
 * DESCRIPTION
 *	RFC 8616 lets a DKIM-Signature's d= and i= be written in U-labels (and
 *	its quoted-printable leave UTF-8 unquoted); libopendkim refuses any
 *	8-bit byte in a signature field. Such fields, and only those, are
 *	verified here, on engine/dsig, by the rules engine/dkim.h documents for
 *	the others (results pass, fail, neutral, policy, permerror,
 *	temperror), with d= and i= compared and looked up in their A-label
 *	form. At most opts.max_signatures of them are verified.
 *
 * OWNERSHIP
 *	Results belong to the handle and live until dkimu_free().
 */
#ifndef AM_DKIM_UTF8_H
#define AM_DKIM_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/resolver.h"
#include "engine/dkim.h"
#include "engine/dsig.h"

struct dkimu;

struct dkimu *dkimu_new(struct resolver *r, const struct dkimv_opts *opts);
void dkimu_header(struct dkimu *u, const char *name, const char *value);
void dkimu_eoh(struct dkimu *u);
void dkimu_body(struct dkimu *u, const unsigned char *buf, size_t len);
/* Verifies, over the message's header fields hdrs[0..n). */
void dkimu_eom(struct dkimu *u, const struct dsig_hdr *hdrs, size_t n);
/* The result for the k-th DKIM-Signature field of the message (0-based,
 * in header order), or NULL when that field held no UTF-8. */
const struct dkimv_sig *dkimu_result(const struct dkimu *u, size_t k);
void dkimu_free(struct dkimu *u);

#endif
