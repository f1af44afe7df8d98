/*
 * dkim_bodylen - the length of the canonicalized body, simple and relaxed
 * (RFC 6376 3.4.3, 3.4.4), counted as the body streams past (see
 * dkim_internal.h)
 *
 * DESCRIPTION
 *	libopendkim stops hashing after l= bytes and never says how long the
 *	whole canonical body was; this counts it, for both body
 *	canonicalizations at once, without keeping any of the body.
 *
 *	The only uncertain part of a canonical body is its tail: line ends
 *	that may turn out to be trailing empty lines, and (relaxed) a run of
 *	whitespace that may turn out to end its line. So each count keeps the
 *	bytes already certain, plus the number of CRLFs since the last byte
 *	that is content, plus (relaxed) whether a whitespace run is pending.
 *	The next content byte makes them certain; the end of the body keeps
 *	one of the CRLFs. A CR is held until the next byte shows whether it
 *	starts a CRLF or is data.
 */
#include "config.h"

#include "engine/dkim_internal.h"

/* A byte of content (for simple every byte but the CR of a CRLF; for
 * relaxed also not SP or HTAB) makes the pending line ends certain. */
static void bodylen_simple_data(struct dkimv_bodylen *st)
{
	st->simple += 2 * st->simple_crlf + 1;
	st->simple_crlf = 0;
}

/* For relaxed, a pending whitespace run is inside the line: one SP. */
static void bodylen_relaxed_data(struct dkimv_bodylen *st)
{
	st->relaxed += 2 * st->relaxed_crlf + (st->wsp ? 1 : 0) + 1;
	st->relaxed_crlf = 0;
	st->wsp = false;
}

void dkimv_bodylen_feed(struct dkimv_bodylen *st, const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (st->cr) {
			st->cr = false;
			if (c == '\n') {
				st->simple_crlf++;
				st->relaxed_crlf++;
				st->wsp = false; /* whitespace at the end of a line goes */
				continue;
			}
			/* a bare CR is data */
			bodylen_simple_data(st);
			bodylen_relaxed_data(st);
		}
		switch (c) {
		case '\r':
			st->cr = true;
			break;
		case ' ':
		case '\t':
			bodylen_simple_data(st);
			st->wsp = true;
			break;
		default:
			bodylen_simple_data(st);
			bodylen_relaxed_data(st);
			break;
		}
	}
}

unsigned long long dkimv_bodylen_simple(const struct dkimv_bodylen *st)
{
	/* A held CR ends the body with a bare CR: the pending CRLFs are
	 * lines, the CR is data, and a CRLF is added. Otherwise the body
	 * ends with the one CRLF kept of the pending ones, or the one added
	 * (to a last line without one, or to an empty body). */
	if (st->cr)
		return st->simple + 2 * st->simple_crlf + 1 + 2;
	return st->simple + 2;
}

unsigned long long dkimv_bodylen_relaxed(const struct dkimv_bodylen *st)
{
	/* Likewise, but a pending whitespace run ends the last line and goes,
	 * and a body with no content at all stays empty. */
	if (st->cr)
		return st->relaxed + 2 * st->relaxed_crlf + (st->wsp ? 1 : 0) + 1 + 2;
	return st->relaxed == 0 ? 0 : st->relaxed + 2;
}
