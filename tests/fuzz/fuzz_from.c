/*
 * fuzz_from - the From header parser (src/engine/from.c)
 *
 * DESCRIPTION
 *	Feeds the input to from_parse_n() (bytes, NUL allowed) and, when it has
 *	no NUL, to from_parse() too, and checks what from.h promises: a status
 *	in range; a domain exactly when the status is FROM_OK or
 *	FROM_MULTI_SAME_DOMAIN, in A-label form (printable ASCII, lower case,
 *	non-empty, labels of 1..63 octets, at most 253, no trailing dot), and
 *	so is every address's domain;
 *	one address for FROM_OK, every address's domain equal to it for
 *	FROM_MULTI_SAME_DOMAIN; the address limit; an input with a NUL is
 *	unparseable; both entry points agree.
 */
#include "config.h"

#include <strings.h>

#include "engine/from.h"
#include "fuzz.h"

/* A domain as from.h promises it: the A-label form (util/idna.h). */
static void check_alabel(const char *d)
{
	size_t i, label = 0, len = strlen(d);

	FUZZ_CHECK(len > 0 && len <= 253, "domain of %zu octets", len);
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)d[i] : '.';

		if (c == '.') {
			FUZZ_CHECK(label > 0 && label <= 63, "label of %zu octets in \"%s\"", label,
				   d);
			label = 0;
			continue;
		}
		FUZZ_CHECK(c > ' ' && c < 0x7f && !(c >= 'A' && c <= 'Z'),
			   "byte 0x%02x in domain \"%s\"", c, d);
		label++;
	}
}

static void check_result(const struct from_result *fr)
{
	size_t i;

	FUZZ_CHECK(fr->status >= FROM_OK && fr->status <= FROM_UNPARSEABLE, "status %d",
		   (int)fr->status);
	FUZZ_CHECK(from_status_name(fr->status) != NULL, "no name");
	if (fr->status == FROM_OK || fr->status == FROM_MULTI_SAME_DOMAIN) {
		size_t len;

		FUZZ_CHECK(fr->domain != NULL, "status %s without a domain",
			   from_status_name(fr->status));
		len = strlen(fr->domain);
		FUZZ_CHECK(len > 0, "empty domain");
		FUZZ_CHECK(fr->domain[len - 1] != '.', "trailing dot in \"%s\"", fr->domain);
	} else {
		FUZZ_CHECK(fr->domain == NULL, "status %s with domain \"%s\"",
			   from_status_name(fr->status), fr->domain);
	}
	for (i = 0; i < fr->n_addresses; i++)
		check_alabel(fr->domains[i]);
	if (fr->domain != NULL)
		check_alabel(fr->domain);
	FUZZ_CHECK(fr->n_addresses <= FROM_MAX_ADDRESSES, "%zu addresses", fr->n_addresses);
	if (fr->status == FROM_OK)
		FUZZ_CHECK(fr->n_addresses == 1, "FROM_OK with %zu addresses", fr->n_addresses);
	if (fr->status == FROM_MULTI_SAME_DOMAIN || fr->status == FROM_MULTI_DOMAIN)
		FUZZ_CHECK(fr->n_addresses >= 2, "%s with %zu addresses",
			   from_status_name(fr->status), fr->n_addresses);
	if (fr->status == FROM_MULTI_SAME_DOMAIN)
		for (i = 0; i < fr->n_addresses; i++)
			FUZZ_CHECK(fr->domains[i] != NULL &&
				       strcasecmp(fr->domains[i], fr->domain) == 0,
				   "address %zu domain \"%s\" != \"%s\"", i,
				   fr->domains[i] ? fr->domains[i] : "(null)", fr->domain);
	if (fr->status == FROM_UNPARSEABLE)
		FUZZ_CHECK(fr->error != NULL, "unparseable without an error");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct from_result a, b;
	bool has_nul = memchr(data, '\0', size) != NULL;

	from_parse_n((const char *)data, size, &a);
	check_result(&a);
	if (has_nul) {
		FUZZ_CHECK(a.status == FROM_UNPARSEABLE, "NUL in input gave %s",
			   from_status_name(a.status));
	} else {
		char *s = fuzz_cstr(data, size);

		from_parse(s, &b);
		check_result(&b);
		FUZZ_CHECK(a.status == b.status, "from_parse_n %s, from_parse %s",
			   from_status_name(a.status), from_status_name(b.status));
		FUZZ_CHECK((a.domain == NULL) == (b.domain == NULL) &&
			       (a.domain == NULL || strcmp(a.domain, b.domain) == 0),
			   "domains differ");
		from_result_clear(&b);
		free(s);
	}
	from_result_clear(&a);
	return 0;
}
