/*
 * addr - IP addresses and CIDR networks: parsing, matching, printing
 *
 * SYNOPSIS
 *	struct am_addr a;
 *	struct am_cidr net;
 *	if (addr_parse("::ffff:192.0.2.1", &a) && cidr_parse("192.0.2.0/24", &net))
 *		matched = addr_in_cidr(&a, &net);
 *
 * DESCRIPTION
 *	Addresses are IPv4 or IPv6, kept in network byte order. Parsing is
 *	strict: IPv4 only as a dotted quad without leading zeros, IPv6 in any
 *	RFC 4291 text form (including an embedded dotted quad), nothing else
 *	(no ports, brackets, scope ids or surrounding spaces).
 *
 *	An IPv4-mapped IPv6 address (::ffff:a.b.c.d) parses as IPv6;
 *	addr_unmap() turns it into the IPv4 address it stands for, which is
 *	what a client address should be before any check (RFC 7208 section 5).
 *	addr_in_cidr() does this itself when the network is IPv4, so a mapped
 *	client matches an IPv4 network; an IPv4 address never matches an IPv6
 *	network.
 *
 *	A prefix length is decimal without leading zeros, 0..32 for IPv4 and
 *	0..128 for IPv6. No function allocates; none keeps a pointer.
 */
#ifndef AM_ADDR_H
#define AM_ADDR_H

#include <stdbool.h>
#include <stddef.h>

enum { AM_AF_INET = 4, AM_AF_INET6 = 6 };

struct am_addr {
	int family;	     /* AM_AF_INET or AM_AF_INET6 */
	unsigned char b[16]; /* IPv4 uses b[0..3] */
};

struct am_cidr {
	struct am_addr net; /* host bits cleared */
	unsigned prefix;    /* 0..32 or 0..128 */
};

/* Big enough for any address printed by addr_format(). */
#define AM_ADDR_STRLEN 46

/* Parses an address; false (and *a untouched) when it is not one. */
bool addr_parse(const char *s, struct am_addr *a);

/* Fills *a from 4 or 16 raw bytes (an A or AAAA RDATA); false otherwise. */
bool addr_from_bytes(const void *p, size_t len, struct am_addr *a);

/* IPv4-mapped IPv6 -> IPv4 in place; returns true when it changed *a. */
bool addr_unmap(struct am_addr *a);

/* Whether the first `prefix` bits of a and b are equal (same family). */
bool addr_prefix_equal(const struct am_addr *a, const struct am_addr *b, unsigned prefix);

/* Parses a prefix length ("24"; no sign, no leading zero); false if not one or > max. */
bool cidr_parse_prefix(const char *s, size_t len, unsigned max, unsigned *prefix);

/*
 * Parses "ADDR" (a host network, /32 or /128) or "ADDR/LEN". Host bits
 * set below the prefix are cleared ("192.0.2.1/24" is 192.0.2.0/24).
 */
bool cidr_parse(const char *s, struct am_cidr *c);

/* Whether a is inside c; an IPv4-mapped a is compared as IPv4 to an IPv4 c. */
bool addr_in_cidr(const struct am_addr *a, const struct am_cidr *c);

/* Presentation form ("192.0.2.1", "2001:db8::1"); returns buf. */
const char *addr_format(const struct am_addr *a, char *buf, size_t len);

#endif
