/*
 * addr - IP addresses and CIDR networks (see addr.h)
 *
 * Parsing rides on inet_pton(), whose glibc forms are exactly the strict
 * ones addr.h promises (IPv4 dotted quad with no leading zeros, IPv6 text
 * forms of RFC 4291); everything else here is bit arithmetic.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include "util/addr.h"

static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool addr_parse(const char *s, struct am_addr *a)
{
	struct am_addr tmp;

	memset(&tmp, 0, sizeof(tmp));
	if (s == NULL)
		return false;
	if (inet_pton(AF_INET, s, tmp.b) == 1)
		tmp.family = AM_AF_INET;
	else if (inet_pton(AF_INET6, s, tmp.b) == 1)
		tmp.family = AM_AF_INET6;
	else
		return false;
	*a = tmp;
	return true;
}

bool addr_from_bytes(const void *p, size_t len, struct am_addr *a)
{
	if (len != 4 && len != 16)
		return false;
	memset(a, 0, sizeof(*a));
	memcpy(a->b, p, len);
	a->family = len == 4 ? AM_AF_INET : AM_AF_INET6;
	return true;
}

bool addr_unmap(struct am_addr *a)
{
	if (a->family != AM_AF_INET6 || memcmp(a->b, v4mapped_prefix, 12) != 0)
		return false;
	memmove(a->b, a->b + 12, 4);
	memset(a->b + 4, 0, 12);
	a->family = AM_AF_INET;
	return true;
}

bool addr_prefix_equal(const struct am_addr *a, const struct am_addr *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;
	unsigned char mask;

	if (a->family != b->family || prefix > (a->family == AM_AF_INET ? 32u : 128u))
		return false;
	if (memcmp(a->b, b->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a->b[full] & mask) == (b->b[full] & mask);
}

bool cidr_parse_prefix(const char *s, size_t len, unsigned max, unsigned *prefix)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > 3 || (s[0] == '0' && len > 1))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*prefix = v;
	return true;
}

static void addr_mask(struct am_addr *a, unsigned prefix)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (prefix >= 8) {
			prefix -= 8;
			continue;
		}
		a->b[i] &= (unsigned char)(0xff << (8 - prefix));
		prefix = 0;
	}
}

bool cidr_parse(const char *s, struct am_cidr *c)
{
	char buf[AM_ADDR_STRLEN];
	const char *slash = s != NULL ? strchr(s, '/') : NULL;
	size_t alen = slash != NULL ? (size_t)(slash - s) : (s != NULL ? strlen(s) : 0);
	struct am_cidr tmp;
	unsigned max;

	if (s == NULL || alen == 0 || alen >= sizeof(buf))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (!addr_parse(buf, &tmp.net))
		return false;
	max = tmp.net.family == AM_AF_INET ? 32 : 128;
	tmp.prefix = max;
	if (slash != NULL && !cidr_parse_prefix(slash + 1, strlen(slash + 1), max, &tmp.prefix))
		return false;
	addr_mask(&tmp.net, tmp.prefix);
	*c = tmp;
	return true;
}

bool addr_in_cidr(const struct am_addr *a, const struct am_cidr *c)
{
	struct am_addr u = *a;

	if (c->net.family == AM_AF_INET)
		addr_unmap(&u);
	return addr_prefix_equal(&u, &c->net, c->prefix);
}

const char *addr_format(const struct am_addr *a, char *buf, size_t len)
{
	int af = a->family == AM_AF_INET ? AF_INET : AF_INET6;

	if (len == 0)
		return buf;
	if (inet_ntop(af, a->b, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}
