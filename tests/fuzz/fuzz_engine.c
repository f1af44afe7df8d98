/*
 * fuzz_engine - one whole message through the engine (src/engine/message.c
 * and everything it calls), against the fixed DNS answers of fuzz_dns.c
 *
 * DESCRIPTION
 *	Input layout (tests/fuzz/build_seeds.py writes seeds in it):
 *	  byte 0      bits 0-1 configuration (four engines, see configs[]),
 *	              bits 2-4 body chunk size, bits 5-7 the pct draw;
 *	  line        client IP;
 *	  line        HELO name;
 *	  line        MAIL FROM address ("" = null sender);
 *	  the rest    the message as on the wire: header fields up to an
 *	              empty line (CRLF or LF), continuation lines kept in the
 *	              value as received, then the body.
 *	Header fields are handed over as a milter would (name before the
 *	colon, value after it, leading space included); the body in chunks.
 *	A NUL ends a header value (milter strings are C strings).
 *	Checks on the verdict: every result and the action in range; reason,
 *	explanation and an Authentication-Results value that authres_valid()
 *	accepts; a reply for reject and tempfail; DMARC pass only with an
 *	aligned identifier and DMARC none without one author domain; the
 *	forged A-R positions increasing and within the A-R headers seen;
 *	message_eom() a second time gives the same verdict.
 */
#include "config.h"

#include "engine/authres.h"
#include "engine/message.h"
#include "fuzz.h"
#include "fuzz_dns.h"

#define MAX_HEADER_FIELDS 2000

static const char *const configs[4] = {
    "authserv_id = \"mx.fuzz.test\";\n",
    "authserv_id = \"mx.fuzz.test\";\n"
    "spf = { check_helo = false; };\n"
    "dmarc = { pct = \"ignore\"; };\n"
    "policy = { untrusted_authserv_ids = [ \"example.com\", \"Mx.Example.Org.\" ]; };\n",
    "authserv_id = \"mx.fuzz.test\";\n"
    "dkim = { min_key_bits = 2048; max_signatures = 2; };\n"
    "policy = { mode = \"monitor\"; on_error = \"accept\"; dmarc_reject = \"quarantine\"; };\n",
    "authserv_id = \"mx.fuzz.test\";\n"
    "spf = { lookup_limit = 3; void_lookup_limit = 0; mx_limit = 1; ptr_limit = 1; };\n"
    "policy = { quarantine = \"header\"; no_from = \"accept\";"
    " multiple_from_domains = \"tempfail\"; };\n",
};

static const size_t chunk_sizes[8] = {65536, 1, 2, 3, 64, 1000, 4096, 7};

static struct engine *engines[4];
static unsigned pct_draw;

static unsigned fuzz_rand100(void *arg)
{
	(void)arg;
	return pct_draw % 100;
}

static void engines_init(void)
{
	struct am_err err;
	size_t i;

	for (i = 0; i < 4; i++) {
		struct config *cfg = config_parse(configs[i], "fuzz_engine", &err);

		FUZZ_CHECK(cfg != NULL, "config %zu: %s", i, err.msg);
		engines[i] = engine_new_with_resolver(cfg, dmarc_ctx_new(AM_PSL_FILE, &err),
						      fuzz_dns_resolver(), &err);
		FUZZ_CHECK(engines[i] != NULL, "engine %zu: %s", i, err.msg);
		engine_set_random(engines[i], fuzz_rand100, NULL);
		config_unref(cfg);
	}
}

/* The next line (without "\n" and a "\r" before it) as a new string. */
static char *next_line(const uint8_t **p, size_t *left)
{
	const uint8_t *nl = memchr(*p, '\n', *left);
	size_t n = nl ? (size_t)(nl - *p) : *left, used = n + (nl ? 1 : 0);

	if (n > 0 && (*p)[n - 1] == '\r')
		n--;
	{
		char *s = fuzz_cstr(*p, n);

		*p += used;
		*left -= used;
		return s;
	}
}

/* Length of the header field starting at p: its line and continuation lines,
 * through the last "\n". 0 at the empty line that ends the header. */
static size_t field_len(const uint8_t *p, size_t left)
{
	size_t off = 0;

	if (left == 0 || p[0] == '\n' || (left > 1 && p[0] == '\r' && p[1] == '\n'))
		return 0;
	for (;;) {
		const uint8_t *nl = memchr(p + off, '\n', left - off);

		if (nl == NULL)
			return left;
		off = (size_t)(nl - p) + 1;
		if (off >= left || (p[off] != ' ' && p[off] != '\t'))
			return off;
	}
}

/* Hands one field (len bytes, line end included) to the message. */
static void put_field(struct message *m, const uint8_t *p, size_t len)
{
	char *f = fuzz_cstr(p, len), *colon;

	if (len > 0 && f[len - 1] == '\n')
		f[--len] = '\0';
	if (len > 0 && f[len - 1] == '\r')
		f[--len] = '\0';
	colon = strchr(f, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (colon > f)
			message_header(m, f, colon + 1);
	} else if (f[0] != '\0') {
		message_header(m, f, "");
	}
	free(f);
}

static void check_verdict(struct message *m, const struct verdict *v)
{
	const size_t *forged;
	size_t nf, i;

	FUZZ_CHECK(v->action >= ACTION_ACCEPT && v->action <= ACTION_TEMPFAIL, "action %d",
		   (int)v->action);
	if (v->skipped) {
		/* not ours to check (trusted network, no client address) */
		FUZZ_CHECK(v->action == ACTION_ACCEPT && v->reason != NULL && v->authres == NULL &&
			       !v->checked && message_skip(m) != NULL,
			   "skipped message with action %s", action_name(v->action));
		return;
	}
	FUZZ_CHECK(message_skip(m) == NULL, "a skip without a skipped verdict");
	if (v->override != NULL)
		FUZZ_CHECK(v->action == ACTION_ACCEPT && v->would != ACTION_ACCEPT,
			   "override %s with action %s would %s", v->override,
			   action_name(v->action), action_name(v->would));
	FUZZ_CHECK(v->spf.result <= SPF_RESULT_PERMERROR, "spf %d", (int)v->spf.result);
	FUZZ_CHECK(v->spf_helo.result <= SPF_RESULT_PERMERROR, "spf_helo %d",
		   (int)v->spf_helo.result);
	FUZZ_CHECK(v->dmarc.result <= DMARC_RESULT_PERMERROR, "dmarc %d", (int)v->dmarc.result);
	FUZZ_CHECK(v->author <= AUTHOR_UNPARSEABLE, "author %d", (int)v->author);
	for (i = 0; i < v->n_dkim; i++)
		FUZZ_CHECK(v->dkim[i].result <= DKIMV_PERMERROR && v->dkim[i].domain != NULL &&
			       v->dkim[i].selector != NULL,
			   "dkim[%zu] result %d", i, (int)v->dkim[i].result);
	FUZZ_CHECK(v->reason != NULL, "no reason");
	FUZZ_CHECK(v->explanation != NULL, "no explanation");
	FUZZ_CHECK(v->authres != NULL && authres_valid(v->authres),
		   "Authentication-Results not valid:\n%s", v->authres ? v->authres : "(null)");
	if (v->action == ACTION_REJECT || v->action == ACTION_TEMPFAIL)
		FUZZ_CHECK(v->smtp_rcode != NULL && v->smtp_xcode != NULL && v->smtp_text != NULL,
			   "%s without a reply", action_name(v->action));
	if (v->dmarc.result == DMARC_RESULT_PASS)
		FUZZ_CHECK(v->dmarc.spf_aligned || v->dmarc.dkim_aligned,
			   "dmarc pass without alignment");
	if (v->author != AUTHOR_OK)
		FUZZ_CHECK(v->dmarc.result == DMARC_RESULT_NONE && v->header_from == NULL,
			   "author %s with dmarc %s", author_status_name(v->author),
			   dmarc_result_name(v->dmarc.result));
	forged = message_forged_authres(m, &nf);
	for (i = 0; i < nf; i++)
		FUZZ_CHECK(forged[i] >= 1 && (i == 0 || forged[i] > forged[i - 1]),
			   "forged[%zu] = %zu", i, forged[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size, chunk, n, fields = 0;
	unsigned flags;
	char *ip, *helo, *from;
	struct envelope env;
	struct message *m;
	struct verdict *v;

	if (engines[0] == NULL)
		engines_init();
	if (size == 0)
		return 0;
	flags = *p++;
	left--;
	chunk = chunk_sizes[(flags >> 2) & 7];
	pct_draw = (flags >> 5) * 14u + 1;
	ip = next_line(&p, &left);
	helo = next_line(&p, &left);
	from = next_line(&p, &left);
	memset(&env, 0, sizeof(env));
	env.client_ip = ip;
	env.helo = helo;
	env.mail_from = from;

	m = message_new(engines[flags & 3], &env);
	while ((n = field_len(p, left)) > 0 && fields++ < MAX_HEADER_FIELDS) {
		put_field(m, p, n);
		p += n;
		left -= n;
	}
	if (left > 0 && p[0] == '\r')
		p++, left--;
	if (left > 0 && p[0] == '\n')
		p++, left--;
	message_eoh(m);
	while (left > 0) {
		n = left < chunk ? left : chunk;
		message_body(m, p, n);
		p += n;
		left -= n;
	}
	v = message_eom(m);
	FUZZ_CHECK(v != NULL, "no verdict");
	check_verdict(m, v);
	FUZZ_CHECK(message_eom(m) == v, "second message_eom() differs");
	message_free(m);
	free(ip);
	free(helo);
	free(from);
	return 0;
}
