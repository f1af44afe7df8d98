/*
 * idna - domain names from mail in their A-label form (see idna.h)
 *
 * libidn2 does the IDNA work (UTS #46 mapping, IDNA2008 validity,
 * Punycode); this file only splits names into labels, decides which
 * labels are IDNA's business, and checks the DNS limits of the result.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "util/idna.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define IDNA_LABEL_MAX 63
#define IDNA_NAME_MAX 253
#define IDNA_FLAGS (IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL)

bool idna_has_8bit(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

static bool idna_is_alabel(const char *label, size_t n)
{
	return n >= 4 && strncasecmp(label, "xn--", 4) == 0;
}

static void idna_add_lower(struct strbuf *sb, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		strbuf_addc(sb, c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
	}
}

/* Appends the A-label form of one label (n bytes, not empty) to sb;
 * false with *why set when it is not a valid label. */
static bool idna_label(struct strbuf *sb, const char *label, size_t n, const char **why)
{
	bool eight = false;
	uint8_t *out = NULL;
	char *in;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		eight = eight || (unsigned char)label[i] >= 0x80;
	if (!eight && !idna_is_alabel(label, n)) {
		idna_add_lower(sb, label, n);
		return true;
	}
	in = xmemdup0(label, n);
	if (!eight)
		for (i = 0; i < n; i++)
			in[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i]);
	rc = idn2_lookup_u8((const uint8_t *)in, &out, IDNA_FLAGS);
	free(in);
	if (rc != IDN2_OK) {
		*why = rc == IDN2_ENCODING_ERROR ? "not well-formed UTF-8" : idn2_strerror(rc);
		return false;
	}
	/* UTS #46 maps some code points to ASCII that no DNS label holds
	 * (U+00A0 to a space, U+FF0F to '/'); libidn2's STD3 flag would drop
	 * them silently instead ("a<U+00A0>b" would become "ab"). A label
	 * that came with 8-bit bytes must come out letters, digits and
	 * hyphens only (and dots: U+3002 and its kin separate labels too,
	 * and the whole name is checked after). */
	for (i = 0; out[i] != '\0'; i++)
		if (!((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= 'A' && out[i] <= 'Z') ||
		      (out[i] >= '0' && out[i] <= '9') || out[i] == '-' || out[i] == '.')) {
			idn2_free(out);
			*why = "maps to a character no domain name holds";
			return false;
		}
	idna_add_lower(sb, (const char *)out, strlen((const char *)out));
	idn2_free(out);
	return true;
}

/* The DNS limits: no empty label, labels of at most 63 octets, at most 253
 * octets in all. */
static bool idna_name_ok(const char *s, size_t len, const char **why)
{
	size_t i, label = 0;

	if (len > IDNA_NAME_MAX) {
		*why = "name longer than 253 octets";
		return false;
	}
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (++label > IDNA_LABEL_MAX) {
				*why = "label longer than 63 octets";
				return false;
			}
			continue;
		}
		if (label == 0) {
			*why = "empty label";
			return false;
		}
		label = 0;
	}
	return true;
}

char *idna_to_alabel(const char *name, const char **why)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p, *end, *dot, *dummy;
	size_t len;

	if (why == NULL)
		why = &dummy;
	if (name == NULL || *name == '\0') {
		*why = "empty name";
		return NULL;
	}
	len = strlen(name);
	if (len > IDNA_MAX_INPUT) {
		*why = "name too long";
		return NULL;
	}
	if (name[len - 1] == '.')
		len--;
	for (p = name, end = name + len; p <= end; p = dot + 1) {
		dot = memchr(p, '.', (size_t)(end - p));
		if (dot == NULL)
			dot = end;
		if (dot == p) {
			*why = "empty label";
			goto fail;
		}
		if (p != name)
			strbuf_addc(&sb, '.');
		if (!idna_label(&sb, p, (size_t)(dot - p), why))
			goto fail;
	}
	if (!idna_name_ok(strbuf_str(&sb), sb.len, why))
		goto fail;
	return strbuf_detach(&sb);
fail:
	strbuf_free(&sb);
	return NULL;
}

char *idna_to_ulabel(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p, *dot;
	bool any = false;

	for (p = name; p != NULL && *p != '\0'; p = *dot ? dot + 1 : dot) {
		size_t n;

		dot = strchr(p, '.');
		if (dot == NULL)
			dot = p + strlen(p);
		n = (size_t)(dot - p);
		if (p != name)
			strbuf_addc(&sb, '.');
		if (idna_is_alabel(p, n)) {
			char *label = xmemdup0(p, n), *u = NULL;
			int rc = idn2_to_unicode_8z8z(label, &u, 0);

			free(label);
			if (rc != IDN2_OK) {
				strbuf_free(&sb);
				return NULL;
			}
			strbuf_adds(&sb, u);
			idn2_free(u);
			any = true;
		} else {
			strbuf_add(&sb, p, n);
		}
	}
	if (!any) {
		strbuf_free(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}
