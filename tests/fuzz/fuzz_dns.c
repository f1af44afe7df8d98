/*
 * fuzz_dns - the fixed DNS answer set of the fuzz targets (see fuzz_dns.h)
 *
 * DESCRIPTION
 *	One table row per record: name, type, presentation data. TXT text is
 *	cut into 255-byte character-strings; A/AAAA/MX/PTR are written as wire
 *	RDATA and decoded by the resolver like a network answer. Type 0 marks
 *	a name every query of which fails temporarily. The DKIM public keys
 *	belong to tests/fuzz/keys/rsa2048.pem and tests/fuzz/keys/ed25519.key.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "fuzz_dns.h"
#include "util/xalloc.h"

#define RSA_KEY                                                                                    \
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0gTPYxOQ4sIhZX5ihdzLii9ip7N0+s/"              \
	"nQ2TDC+lG0ZPyRPvrhqU7FeAbF9+o2TXkNcXvn/FjlDpwFW5lxTMmzbeN0DtB09093jVDB3iRBGXydixaBKxCD1/" \
	"1SkcJ1gK/ph5Sm0ze5kw63y+bIeGu0L1HCEot/Jm6dmHx2c7Qq/"                                      \
	"9HTCxZjBoERwsWamhEyiDpJNDDU++r0KGIeHSlo1JGnVfHpsg/"                                       \
	"OemyMJqqcBh8ciW01pWxlnoB1Jg4j0sbc9OSVCLaWJzpp+lHlPAYNZFO2t4lOCRmu/"                       \
	"mB4vOXIDKPvCtZX1FyNYA7NMBIxR4i5NY3XQVQhaNGbWfhQQjpwxW9BwIDAQAB"
#define ED_KEY "uSDMGMfcy48rozITo84WZGmWQavmOEnZfFtJVExhiBg="

#define TEMPFAIL 0

struct zrow {
	const char *name;
	int type;
	const char *data; /* MX: "pref name" */
};

static const struct zrow zone[] = {
    {"example.com", DNS_T_TXT,
     "v=spf1 mx:example.com/24 a:mail.example.com include:_spf.example.com "
     "exists:%{ir}.%{l1r-}.ex.%{d} ptr:example.com -all"},
    {"example.com", DNS_T_TXT, "google-site-verification=not-spf"},
    {"example.com", DNS_T_A, "192.0.2.10"},
    {"example.com", DNS_T_AAAA, "2001:db8::10"},
    {"example.com", DNS_T_MX, "10 mail.example.com"},
    {"example.com", DNS_T_MX, "20 mx2.example.com"},
    {"mail.example.com", DNS_T_A, "192.0.2.25"},
    {"mail.example.com", DNS_T_AAAA, "2001:db8::25"},
    {"mail.example.com", DNS_T_TXT, "v=spf1 a ip6:2001:db8::/32 -all"},
    {"mx2.example.com", DNS_T_A, "192.0.2.26"},
    {"_spf.example.com", DNS_T_TXT, "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:1::/48 ~all"},
    {"9.113.0.203.user.ex.example.com", DNS_T_A, "127.0.0.2"},
    {"25.2.0.192.in-addr.arpa", DNS_T_PTR, "mail.example.com"},
    {"9.113.0.203.in-addr.arpa", DNS_T_PTR, "host.example.net"},
    {"9.113.0.203.in-addr.arpa", DNS_T_PTR, "mail.example.com"},
    {"5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", DNS_T_PTR,
     "mail.example.com"},
    {"_dmarc.example.com", DNS_T_TXT,
     "v=DMARC1; p=reject; sp=quarantine; np=reject; pct=100; "
     "rua=mailto:dmarc@example.com; adkim=r; aspf=r"},
    {"sel2048._domainkey.example.com", DNS_T_TXT, "v=DKIM1; k=rsa; p=" RSA_KEY},
    {"ed._domainkey.example.com", DNS_T_TXT, "v=DKIM1; k=ed25519; p=" ED_KEY},
    {"testing._domainkey.example.com", DNS_T_TXT, "v=DKIM1; t=y; k=rsa; p=" RSA_KEY},
    {"revoked._domainkey.example.com", DNS_T_TXT, "v=DKIM1; k=rsa; p="},
    {"bad._domainkey.example.com", DNS_T_TXT, "v=DKIM1; k=rsa; p=AAAA!!"},
    {"tf._domainkey.example.com", TEMPFAIL, NULL},

    {"example.org", DNS_T_TXT, "v=spf1 redirect=example.com"},
    {"example.org", DNS_T_MX, "0 mail.example.com"},
    {"_dmarc.example.org", DNS_T_TXT, "v=DMARC1; p=quarantine; pct=50; adkim=s; aspf=s"},
    {"sel2048._domainkey.example.org", DNS_T_TXT, "v=DKIM1; k=rsa; p=" RSA_KEY},
    {"ed._domainkey.example.org", DNS_T_TXT, "v=DKIM1; k=ed25519; h=sha256; p=" ED_KEY},
    {"sub.example.org", DNS_T_A, "192.0.2.40"},

    {"example.net", DNS_T_TXT, "v=spf1 a:mail.%{d2} -all exp=exp.%{d}"},
    {"exp.example.net", DNS_T_TXT,
     "%{i} is not one of %{d}'s designated mail servers (%{s} %{h} %{v} %{c} %{r} %{t} %{p})"},
    {"host.example.net", DNS_T_A, "203.0.113.9"},
    {"_dmarc.example.net", DNS_T_TXT, "v=DMARC1; p=none; t=y; rua=mailto:a@example.net"},
    {"sel2048._domainkey.example.net", DNS_T_TXT, "v=DKIM1; k=rsa; p=" RSA_KEY},

    {"example.co.uk", DNS_T_TXT, "v=spf1 include:tempfail.example.com -all"},
    {"_dmarc.example.co.uk", DNS_T_TXT, "v=DMARC1; p=reject; sp=none; np=quarantine; t=n"},
    {"sub.example.co.uk", DNS_T_A, "192.0.2.30"},
    {"tempfail.example.com", TEMPFAIL, NULL},
    {"_dmarc.tempfail.example.com", TEMPFAIL, NULL},
    {"twospf.example.com", DNS_T_TXT, "v=spf1 -all"},
    {"twospf.example.com", DNS_T_TXT, "v=spf1 +all"},
    {"_dmarc.twospf.example.com", DNS_T_TXT, "v=DMARC1; p=reject"},
    {"_dmarc.twospf.example.com", DNS_T_TXT, "v=DMARC1; p=none"},
    {"loop.example.com", DNS_T_TXT, "v=spf1 include:loop.example.com -all"},
    {"void.example.com", DNS_T_TXT,
     "v=spf1 a:nx1.example.com a:nx2.example.com a:nx3.example.com -all"},
    {"many.example.com", DNS_T_TXT, "v=spf1 a a a a a a a a a mx mx include:example.org -all"},
    {"_dmarc.bogus.example.com", DNS_T_TXT, "v=DMARC1; p=bogus; rua=mailto:x@example.com"},
    {"bogus.example.com", DNS_T_TXT, "v=spf1 ip4:192.0.2.0/33 -all"},
    {"long.example.com", DNS_T_TXT,
     "v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 ip4:192.0.2.3 ip4:192.0.2.4 ip4:192.0.2.5 "
     "ip4:192.0.2.6 ip4:192.0.2.7 ip4:192.0.2.8 ip4:192.0.2.9 ip4:192.0.2.10 "
     "ip4:192.0.2.11 ip4:192.0.2.12 ip4:192.0.2.13 ip4:192.0.2.14 ip4:192.0.2.15 "
     "ip4:192.0.2.16 ip4:192.0.2.17 ip4:192.0.2.18 ip4:192.0.2.19 ip4:192.0.2.20 ?all"},
};

static char *extra_name;
static char *extra_txt;
static size_t extra_len;

void fuzz_dns_set_extra(const char *name, const char *txt, size_t len)
{
	free(extra_name);
	free(extra_txt);
	extra_name = name ? xstrdup(name) : NULL;
	extra_txt = name ? xmemdup0(txt, len) : NULL;
	extra_len = len;
}

/* TXT RDATA: the text as 255-byte character-strings (one empty one for ""). */
static void put_txt(struct dns_rr *rr, const char *s, size_t len)
{
	size_t n = len / 255 + 1, off = 0, i;
	unsigned char *p = xmalloc(len + n);

	rr->data = p;
	for (i = 0; i < n; i++) {
		size_t k = len - off > 255 ? 255 : len - off;

		*p++ = (unsigned char)k;
		memcpy(p, s + off, k);
		p += k;
		off += k;
	}
	rr->len = (size_t)(p - rr->data);
}

/* A name as wire format (uncompressed); at most 255 bytes. */
static size_t put_name(unsigned char *p, const char *name)
{
	size_t off = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t k = dot ? (size_t)(dot - name) : strlen(name);

		p[off++] = (unsigned char)k;
		memcpy(p + off, name, k);
		off += k;
		name += k + (dot ? 1 : 0);
	}
	p[off++] = 0;
	return off;
}

static void put_rr(struct dns_rr *rr, const struct zrow *z)
{
	unsigned char buf[300];
	size_t n = 0;

	switch (z->type) {
	case DNS_T_TXT:
		put_txt(rr, z->data, strlen(z->data));
		return;
	case DNS_T_A:
		n = inet_pton(AF_INET, z->data, buf) == 1 ? 4 : 0;
		break;
	case DNS_T_AAAA:
		n = inet_pton(AF_INET6, z->data, buf) == 1 ? 16 : 0;
		break;
	case DNS_T_MX: {
		unsigned pref = (unsigned)atoi(z->data);

		buf[0] = (unsigned char)(pref >> 8);
		buf[1] = (unsigned char)pref;
		n = 2 + put_name(buf + 2, strchr(z->data, ' ') + 1);
		break;
	}
	case DNS_T_PTR:
		n = put_name(buf, z->data);
		break;
	}
	rr->data = (unsigned char *)xmemdup0(buf, n);
	rr->len = n;
}

/* name lower-cased without one trailing dot, in buf (names are <= 254). */
static void norm_name(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	if (i > 0 && buf[i - 1] == '.')
		i--;
	buf[i] = '\0';
}

static struct dns_result *fuzz_dns_lookup(void *arg, const char *name, int type)
{
	struct dns_result *res;
	char key[300];
	size_t i, n = 0;
	int exists = 0;

	(void)arg;
	norm_name(name, key, sizeof(key));
	res = xcalloc(1, sizeof(*res));
	res->rr = xcalloc(sizeof(zone) / sizeof(zone[0]) + 1, sizeof(*res->rr));
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (strcmp(zone[i].name, key) != 0)
			continue;
		exists = 1;
		if (zone[i].type == TEMPFAIL) {
			res->status = DNS_TEMPFAIL;
			res->rcode = 2;
			res->error = xstrdup("server answered rcode 2");
			return res;
		}
		if (zone[i].type == type || (type == DNS_T_SPF && zone[i].type == DNS_T_TXT))
			put_rr(&res->rr[n++], &zone[i]);
	}
	if (extra_name != NULL && strcmp(extra_name, key) == 0) {
		exists = 1;
		if (type == DNS_T_TXT)
			put_txt(&res->rr[n++], extra_txt, extra_len);
	}
	res->nrr = n;
	res->rcode = exists ? 0 : 3;
	res->status = n > 0 ? DNS_OK : exists ? DNS_NODATA : DNS_NXDOMAIN;
	return res;
}

struct resolver *fuzz_dns_resolver(void)
{
	return resolver_new_fixed(fuzz_dns_lookup, NULL);
}
