/*
 * dkim - verify every DKIM signature of a message on libopendkim
 *
 * One DKIM_LIB (struct dkimv_lib) serves every message and thread; each
 * message has its own DKIM handle (struct dkimv). Header fields and body
 * chunks are handed to libopendkim as they arrive. Every DKIM-Signature
 * field we pass is also remembered (its raw value), because libopendkim run
 * with DKIM_LIBFLAGS_BADSIGHANDLES gives one DKIM_SIGINFO per such field, in
 * order, even for fields it cannot parse: the two lists are paired by index
 * at the end, and our copy supplies d=, s=, a=, b= and l= for the report.
 *
 * A prescreen callback (at end of headers, before any key lookup) marks as
 * ignored: rsa-sha1 signatures, signatures whose key name is not a valid DNS
 * name, and every verifiable signature after the first max_signatures.
 * Results are mapped by dkimv_map() (dkim_map.c), documented in dkim.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "dns/dkim_dns.h"
#include "engine/dkim.h"
#include "engine/dkim_internal.h"
#include "util/idna.h"
#include "util/xalloc.h"

#define DKIMV_DEFAULT_MAX_SIGS 5
#define DKIMV_DEFAULT_MIN_BITS 1024
#define ED25519_KEY_BITS 256

struct dkimv_lib {
	DKIM_LIB *dl;
	struct resolver *r;
	struct dkimv_opts opts;
};

/* One DKIM-Signature header field as received. */
struct dkimv_sighdr {
	char *value;   /* raw value, NULL when it was too long to keep */
	int lib_index; /* its index in libopendkim's list, -1 if not passed */
};

struct dkimv {
	struct dkimv_lib *lib;
	DKIM *d;
	bool eoh_done, eom_done;
	bool no_sigs;	   /* no DKIM-Signature reached libopendkim: skip the body */
	char *gave_up;	   /* why the library failed, or NULL */
	unsigned nheaders; /* header fields passed to libopendkim */
	struct dkimv_sighdr *sh;
	size_t nsh, nsh_passed;
	enum dkimv_skip *skips; /* per libopendkim signature, set by the prescreen */
	size_t nskips;
	struct dkimv_crlf crlf;
	bool want_bodylen; /* a signature has l=: count the canonical body */
	struct dkimv_bodylen bodylen;
	struct strbuf scratch;
	struct dkimv_sig *sigs;
	size_t nsigs;
};

static void dkimv_give_up(struct dkimv *v, const char *what, DKIM_STAT st)
{
	const char *detail = v->d != NULL ? dkim_geterror(v->d) : NULL;

	if (v->gave_up != NULL)
		return;
	v->gave_up =
	    xasprintf("%s: %s%s%s", what, dkim_getresultstr(st),
		      detail != NULL && *detail != '\0' ? ": " : "", detail != NULL ? detail : "");
}

/* selector._domainkey.domain, with a UTF-8 d= in its A-label form (as the
 * DNS hooks look it up) when it converts. */
static char *dkimv_key_name(const char *selector, const char *domain)
{
	char *a = idna_has_8bit(domain) ? idna_to_alabel(domain, NULL) : NULL;
	char *name = xasprintf("%s._domainkey.%s", selector, a != NULL ? a : domain);

	free(a);
	return name;
}

/* Prescreen hook: decides, before any key lookup, what is not verified. */
static DKIM_CBSTAT dkimv_prescreen(DKIM *d, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dkimv *v = dkim_get_user_context(d);
	unsigned counted = 0;
	dkim_alg_t alg;
	char *name;
	int i;

	if (v == NULL || nsigs <= 0)
		return DKIM_CBSTAT_CONTINUE;
	v->skips = xcalloc((size_t)nsigs, sizeof(*v->skips));
	v->nskips = (size_t)nsigs;
	for (i = 0; i < nsigs; i++) {
		if (dkim_sig_geterror(sigs[i]) != DKIM_SIGERROR_UNKNOWN)
			continue; /* a parse error: reported as such, no lookup */
		(void)dkim_sig_getsignalg(sigs[i], &alg);
		name = dkimv_key_name((const char *)dkim_sig_getselector(sigs[i]),
				      (const char *)dkim_sig_getdomain(sigs[i]));
		if (alg == DKIM_SIGN_RSASHA1)
			v->skips[i] = DKIMV_SKIP_SHA1;
		else if (!dns_name_valid(name))
			v->skips[i] = DKIMV_SKIP_BADNAME;
		else if (counted >= v->lib->opts.max_signatures)
			v->skips[i] = DKIMV_SKIP_LIMIT;
		else
			counted++;
		if (v->skips[i] != DKIMV_SKIP_NONE)
			dkim_sig_ignore(sigs[i]);
		free(name);
	}
	return DKIM_CBSTAT_CONTINUE;
}

struct dkimv_lib *dkimv_lib_new(struct resolver *r, const struct dkimv_opts *opts,
				struct am_err *err)
{
	struct dkimv_lib *lib;
	unsigned flags = DKIM_LIBFLAGS_BADSIGHANDLES, bits, tmo;

	lib = xcalloc(1, sizeof(*lib));
	lib->r = r;
	lib->opts = *opts;
	if (lib->opts.max_signatures == 0)
		lib->opts.max_signatures = DKIMV_DEFAULT_MAX_SIGS;
	if (lib->opts.min_key_bits == 0)
		lib->opts.min_key_bits = DKIMV_DEFAULT_MIN_BITS;
	lib->dl = dkim_init(NULL, NULL);
	if (lib->dl == NULL) {
		am_err_set(err, "libopendkim: dkim_init() failed");
		free(lib);
		return NULL;
	}
	bits = lib->opts.min_key_bits;
	tmo = lib->opts.dns_timeout >= 1.0 ? (unsigned)(lib->opts.dns_timeout + 0.999) : 1;
	if (dkim_options(lib->dl, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags)) ||
	    dkim_options(lib->dl, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &bits, sizeof(bits)) ||
	    dkim_options(lib->dl, DKIM_OP_SETOPT, DKIM_OPTS_TIMEOUT, &tmo, sizeof(tmo)) ||
	    dkim_set_prescreen(lib->dl, dkimv_prescreen)) { /* DKIM_STAT_OK is 0 */
		am_err_set(err, "libopendkim: cannot set library options");
		dkim_close(lib->dl);
		free(lib);
		return NULL;
	}
	dkim_dns_attach(lib->dl, r);
	return lib;
}

void dkimv_lib_free(struct dkimv_lib *lib)
{
	if (lib == NULL)
		return;
	dkim_close(lib->dl);
	free(lib);
}

struct dkimv *dkimv_new(struct dkimv_lib *lib)
{
	struct dkimv *v = xcalloc(1, sizeof(*v));
	DKIM_STAT st = DKIM_STAT_OK;

	v->lib = lib;
	v->d = dkim_verify(lib->dl, (const unsigned char *)"authmilter", NULL, &st);
	if (v->d == NULL)
		dkimv_give_up(v, "dkim_verify", st);
	else
		dkim_set_user_context(v->d, v);
	return v;
}

/* "Name:value" into v->scratch, line ends CRLF, no trailing line end. */
static void dkimv_build_field(struct dkimv *v, const char *name, const char *value)
{
	struct dkimv_crlf st = {false};
	size_t n = strlen(value);

	while (n > 0 && (value[n - 1] == '\n' || value[n - 1] == '\r'))
		n--;
	strbuf_reset(&v->scratch);
	strbuf_adds(&v->scratch, name);
	strbuf_addc(&v->scratch, ':');
	dkimv_crlf_conv(&st, (const unsigned char *)value, n, &v->scratch);
}

int dkimv_header(struct dkimv *v, const char *name, const char *value)
{
	bool is_sig = strcasecmp(name, DKIM_SIGNHEADER) == 0, passed;
	struct dkimv_sighdr *sh = NULL;
	DKIM_STAT st;

	if (v->eoh_done)
		return -1;
	dkimv_build_field(v, name, value);
	passed = v->gave_up == NULL && v->scratch.len <= DKIMV_MAX_HEADER &&
		 v->nheaders < DKIMV_MAX_HEADERS;
	if (is_sig) {
		v->sh = xrealloc(v->sh, (v->nsh + 1) * sizeof(*v->sh));
		sh = &v->sh[v->nsh++];
		sh->value = strlen(value) <= DKIMV_MAX_HEADER ? xstrdup(value) : NULL;
		sh->lib_index = passed ? (int)v->nsh_passed++ : -1;
	}
	if (!passed)
		return v->gave_up != NULL ? -1 : 0;
	v->nheaders++;
	st = dkim_header(v->d, (unsigned char *)v->scratch.s, v->scratch.len);
	/* SYNTAX: a field libopendkim keeps as a "bad signature" (BADSIGHANDLES),
	 * or a non-signature field with an odd name, which it drops */
	if (st != DKIM_STAT_OK && st != DKIM_STAT_SYNTAX) {
		dkimv_give_up(v, "dkim_header", st);
		return -1;
	}
	return 0;
}

/* Whether a signature field we kept has an l= tag. */
static bool dkimv_any_length(const struct dkimv *v)
{
	size_t i;

	for (i = 0; i < v->nsh; i++) {
		char *l = dkimv_tag_value(v->sh[i].value, "l");

		free(l);
		if (l != NULL)
			return true;
	}
	return false;
}

int dkimv_eoh(struct dkimv *v)
{
	DKIM_STAT st;

	if (v->eoh_done)
		return v->gave_up != NULL ? -1 : 0;
	v->eoh_done = true;
	if (v->gave_up != NULL)
		return -1;
	if (v->nsh_passed == 0) {
		v->no_sigs = true;
		return 0;
	}
	v->want_bodylen = dkimv_any_length(v);
	st = dkim_eoh(v->d); /* key lookups happen here */
	if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG && st != DKIM_STAT_CANTVRFY) {
		dkimv_give_up(v, "dkim_eoh", st);
		return -1;
	}
	return 0;
}

int dkimv_body(struct dkimv *v, const unsigned char *buf, size_t len)
{
	const unsigned char *body;
	DKIM_STAT st;
	size_t n;

	if (!v->eoh_done)
		dkimv_eoh(v);
	if (v->gave_up != NULL)
		return -1;
	if (v->no_sigs || len == 0)
		return 0;
	body = dkimv_crlf_view(&v->crlf, buf, len, &v->scratch, &n);
	if (v->want_bodylen)
		dkimv_bodylen_feed(&v->bodylen, body, n);
	st = dkim_body(v->d, (unsigned char *)body, n);
	if (st != DKIM_STAT_OK) {
		dkimv_give_up(v, "dkim_body", st);
		return -1;
	}
	return 0;
}

static bool dkimv_alg_is_rsa(const char *a)
{
	return a != NULL && strncasecmp(a, "rsa-", 4) == 0;
}

/* Fills out the report fields every signature has, from our own copy. */
static void dkimv_sig_init(struct dkimv_sig *s, const char *value)
{
	char *b = dkimv_tag_value(value, "b"), *l = dkimv_tag_value(value, "l");

	s->domain = dkimv_tag_value(value, "d");
	s->selector = dkimv_tag_value(value, "s");
	s->algorithm = dkimv_tag_value(value, "a");
	if (s->domain == NULL) {
		s->domain = xstrdup("");
	} else if (idna_has_8bit(s->domain)) {
		/* reported, and aligned, in its A-label form (RFC 8616) */
		char *a = idna_to_alabel(s->domain, NULL);

		if (a != NULL) {
			free(s->domain);
			s->domain = a;
		}
	}
	if (s->selector == NULL)
		s->selector = xstrdup("");
	if (s->algorithm == NULL)
		s->algorithm = xstrdup("");
	s->b_prefix = dkimv_b_prefix(b);
	s->body_length = dkimv_body_length(l);
	free(b);
	free(l);
}

/* Key size in bits when the key was loaded and used, else 0. */
static unsigned dkimv_key_bits(DKIM_SIGINFO *si, const struct dkimv_facts *f)
{
	unsigned bits = 0;
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	bool used = (f->flags & DKIM_SIGFLAG_PASSED) != 0 || f->sigerror == DKIM_SIGERROR_BADSIG ||
		    f->sigerror == DKIM_SIGERROR_KEYTOOSMALL || f->bh != DKIM_SIGBH_UNTESTED;

	(void)dkim_sig_getsignalg(si, &alg);
	if (alg == DKIM_SIGN_ED25519SHA256)
		return used ? ED25519_KEY_BITS : 0;
	if (dkim_sig_getkeysize(si, &bits) != DKIM_STAT_OK)
		return 0;
	return bits;
}

/* One signature libopendkim knows about. */
static void dkimv_sig_from_lib(struct dkimv *v, struct dkimv_sig *s, DKIM_SIGINFO *si, int idx)
{
	struct dkimv_facts f = {0};
	struct strbuf reason = STRBUF_INIT;
	char *keyname = dkimv_key_name(s->selector, s->domain);

	f.sigerror = dkim_sig_geterror(si);
	f.flags = dkim_sig_getflags(si);
	f.bh = dkim_sig_getbh(si);
	f.rsa = dkimv_alg_is_rsa(s->algorithm);
	f.min_key_bits = v->lib->opts.min_key_bits;
	f.max_signatures = v->lib->opts.max_signatures;
	f.skip = (size_t)idx < v->nskips ? v->skips[idx] : DKIMV_SKIP_NONE;
	f.keyname = keyname;
	f.key_bits = dkimv_key_bits(si, &f);
	s->key_bits = f.key_bits;
	s->testing = (f.flags & DKIM_SIGFLAG_TESTKEY) != 0;
	s->result = dkimv_map(&f, &reason);
	s->reason = strbuf_detach(&reason);
	free(keyname);
}

/* l= (RFC 6376 8.2): the canonical body bytes after the first l are signed
 * by nobody. Under the strict rule a signature that would pass with such
 * bytes is "policy" instead, so it cannot carry DMARC. */
static void dkimv_body_length_rule(struct dkimv *v, struct dkimv_sig *s, const char *value)
{
	char *c = dkimv_tag_value(value, "c");
	const char *slash = c != NULL ? strchr(c, '/') : NULL;
	bool relaxed = slash != NULL && strcasecmp(slash + 1, "relaxed") == 0;
	unsigned long long total =
	    relaxed ? dkimv_bodylen_relaxed(&v->bodylen) : dkimv_bodylen_simple(&v->bodylen);

	free(c);
	if (s->body_length < 0 || total <= (unsigned long long)s->body_length)
		return;
	s->unsigned_bytes = (long long)(total - (unsigned long long)s->body_length);
	if (s->result != DKIMV_PASS || !v->lib->opts.body_length_strict)
		return;
	s->result = DKIMV_POLICY;
	free(s->reason);
	s->reason = xasprintf("body extends past l=: %lld of %llu canonical body bytes are "
			      "not signed",
			      s->unsigned_bytes, total);
}

/* Builds v->sigs; libopendkim's list (n entries) pairs with ours by index. */
static void dkimv_report(struct dkimv *v, DKIM_SIGINFO **lsigs, int n)
{
	size_t i;
	struct dkimv_sig *s;

	if (v->gave_up == NULL && lsigs != NULL && (size_t)n != v->nsh_passed)
		v->gave_up =
		    xasprintf("libopendkim lists %d signatures, %zu were passed", n, v->nsh_passed);
	v->sigs = xcalloc(v->nsh > 0 ? v->nsh : 1, sizeof(*v->sigs));
	v->nsigs = v->nsh;
	for (i = 0; i < v->nsh; i++) {
		s = &v->sigs[i];
		dkimv_sig_init(s, v->sh[i].value);
		if (v->sh[i].lib_index < 0) {
			s->result = DKIMV_NEUTRAL;
			s->reason = xstrdup(
			    "not verified: header field too long or too many header fields");
		} else if (v->gave_up != NULL) {
			s->result = DKIMV_TEMPERROR;
			s->reason = xasprintf("verifier failed: %s", v->gave_up);
		} else {
			dkimv_sig_from_lib(v, s, lsigs[v->sh[i].lib_index], v->sh[i].lib_index);
			dkimv_body_length_rule(v, s, v->sh[i].value);
			if (s->result == DKIMV_NEUTRAL && idna_has_8bit(v->sh[i].value)) {
				free(s->reason);
				s->reason = xstrdup("the signature field holds UTF-8 (such as a d= "
						    "in U-labels, RFC 8616), which libopendkim "
						    "cannot verify");
			}
		}
	}
}

int dkimv_eom(struct dkimv *v, const struct dkimv_sig **sigs, size_t *n)
{
	DKIM_SIGINFO **lsigs = NULL;
	int nl = 0;
	DKIM_STAT st;

	if (!v->eom_done) {
		v->eom_done = true;
		if (!v->eoh_done)
			dkimv_eoh(v);
		if (v->gave_up == NULL && !v->no_sigs) {
			st = dkim_eom(v->d, NULL);
			switch (st) {
			case DKIM_STAT_OK:
			case DKIM_STAT_BADSIG:
			case DKIM_STAT_NOSIG:
			case DKIM_STAT_NOKEY:
			case DKIM_STAT_CANTVRFY:
			case DKIM_STAT_REVOKED:
			case DKIM_STAT_KEYFAIL:
				break;
			default:
				dkimv_give_up(v, "dkim_eom", st);
			}
			if (v->gave_up == NULL &&
			    dkim_getsiglist(v->d, &lsigs, &nl) != DKIM_STAT_OK)
				dkimv_give_up(v, "dkim_getsiglist", DKIM_STAT_INTERNAL);
		}
		dkimv_report(v, lsigs, nl);
	}
	*sigs = v->sigs;
	*n = v->nsigs;
	return v->gave_up != NULL ? -1 : 0;
}

void dkimv_free(struct dkimv *v)
{
	size_t i;

	if (v == NULL)
		return;
	if (v->d != NULL)
		dkim_free(v->d);
	for (i = 0; i < v->nsigs; i++)
		dkimv_sig_clear(&v->sigs[i]);
	free(v->sigs);
	for (i = 0; i < v->nsh; i++)
		free(v->sh[i].value);
	free(v->sh);
	free(v->skips);
	free(v->gave_up);
	strbuf_free(&v->scratch);
	free(v);
}
