/*
 * msgread - stream an RFC 5322 message from a file (see msgread.h)
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tools/msgread.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define MSGREAD_CHUNK 65536

/* Hands the header in sb ("Name:value") to the message. */
static void msgread_header(struct message *m, struct strbuf *sb)
{
	char *colon = memchr(sb->s, ':', sb->len);

	*colon = '\0';
	message_header(m, sb->s, colon + 1);
	strbuf_reset(sb);
}

/* True when line (without its end) is "Name:" with a valid field name. */
static bool msgread_is_header(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ':')
			return i > 0;
		if (c <= ' ' || c >= 0x7f)
			return false;
	}
	return false;
}

static size_t msgread_chomp(const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len;
}

int msgread_feed(FILE *fp, struct message *m, size_t max_header, struct am_err *err)
{
	struct strbuf hdr = STRBUF_INIT;
	char *line = NULL, *buf;
	size_t cap = 0, n, len;
	ssize_t got;
	bool first = true;
	int rc = 0;

	while ((got = getline(&line, &cap, fp)) > 0) {
		len = msgread_chomp(line, (size_t)got);
		if (first && got >= 5 && strncmp(line, "From ", 5) == 0) {
			first = false;
			continue;
		}
		first = false;
		if (len > 0 && (line[0] == ' ' || line[0] == '\t') && hdr.len > 0) {
			strbuf_adds(&hdr, "\r\n");
			strbuf_add(&hdr, line, len);
		} else {
			if (hdr.len > 0)
				msgread_header(m, &hdr);
			if (!msgread_is_header(line, len))
				break;
			strbuf_add(&hdr, line, len);
		}
		if (hdr.len > max_header) {
			am_err_set(err, "a header is longer than %zu bytes", max_header);
			rc = -1;
			goto out;
		}
	}
	if (hdr.len > 0)
		msgread_header(m, &hdr);
	message_eoh(m);
	/* A non-header line that ended the header section is body text. */
	if (got > 0 && msgread_chomp(line, (size_t)got) > 0)
		message_body(m, (const unsigned char *)line, (size_t)got);
	buf = xmalloc(MSGREAD_CHUNK);
	while (buf != NULL && (n = fread(buf, 1, MSGREAD_CHUNK, fp)) > 0)
		message_body(m, (const unsigned char *)buf, n);
	free(buf);
	if (ferror(fp)) {
		am_err_set(err, "read error: %m");
		rc = -1;
	}
out:
	free(line);
	strbuf_free(&hdr);
	return rc;
}
