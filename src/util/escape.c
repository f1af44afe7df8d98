/*
 * escape - write untrusted text safely (see escape.h)
 */
#include "config.h"

#include <string.h>

#include "util/escape.h"

void escape_add(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= ' ' && c < 0x7f && c != '\\')
			strbuf_addc(sb, (char)c);
		else
			strbuf_addf(sb, "\\x%02x", c);
	}
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xed && s[1] > 0x9f) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

void json_add_string(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		strbuf_adds(sb, "null");
		return;
	}
	strbuf_addc(sb, '"');
	while (*p != '\0') {
		size_t n;

		if (*p == '"' || *p == '\\') {
			strbuf_addc(sb, '\\');
			strbuf_addc(sb, (char)*p++);
		} else if (*p == '\n') {
			strbuf_adds(sb, "\\n");
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			strbuf_addf(sb, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			strbuf_addc(sb, (char)*p++);
		} else if ((n = utf8_len(p)) > 0) {
			strbuf_add(sb, p, n);
			p += n;
		} else {
			strbuf_addf(sb, "\\u%04x", *p++);
		}
	}
	strbuf_addc(sb, '"');
}
