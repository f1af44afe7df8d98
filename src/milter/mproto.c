/*
 * mproto - the filter side of the milter protocol (see mproto.h)
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter/mproto.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Stages in the order they happen in a connection (not wire order). */
static const enum mproto_stage stage_order[MPROTO_M_NSTAGES] = {
    MPROTO_M_CONNECT, MPROTO_M_HELO, MPROTO_M_ENVFROM, MPROTO_M_ENVRCPT,
    MPROTO_M_DATA,    MPROTO_M_EOH,  MPROTO_M_EOM};

struct macros {
	char *blob; /* name NUL value NUL ... */
	size_t len;
};

struct mproto {
	const struct mproto_callbacks *cb;
	void *priv;
	unsigned char *in; /* an incomplete packet carried to the next input */
	size_t in_len, in_cap;
	struct strbuf out;
	const char *error;
	enum mproto_rc done; /* MPROTO_OK while the connection goes on */
	bool negotiated, connected, in_eom, in_msg;
	uint32_t version, mta_actions, actions, steps;
	char *symlist[MPROTO_M_NSTAGES];
	struct macros macros[MPROTO_M_NSTAGES];
	char *reply;	       /* "550 5.7.1 text" for the next refusal */
	enum mproto_stat held; /* a refusal returned on a no-reply step */
};

struct mproto *mproto_new(const struct mproto_callbacks *cb, void *priv)
{
	struct mproto *mp = xcalloc(1, sizeof(*mp));

	mp->cb = cb;
	mp->priv = priv;
	return mp;
}

static void macros_clear_after(struct mproto *mp, enum mproto_stage stage, bool inclusive)
{
	size_t i;
	bool after = false;

	for (i = 0; i < MPROTO_M_NSTAGES; i++) {
		if (stage_order[i] == stage) {
			after = true;
			if (!inclusive)
				continue;
		}
		if (after) {
			free(mp->macros[stage_order[i]].blob);
			mp->macros[stage_order[i]].blob = NULL;
			mp->macros[stage_order[i]].len = 0;
		}
	}
}

static void msg_end(struct mproto *mp)
{
	mp->in_msg = false;
	mp->held = MPROTO_CONTINUE;
}

/* Ends the filter's view of the connection: abort a message in progress,
 * then close. */
static void conn_end(struct mproto *mp)
{
	if (mp->in_msg && mp->cb->abort != NULL)
		mp->cb->abort(mp);
	msg_end(mp);
	if (mp->connected && mp->cb->close != NULL)
		mp->cb->close(mp);
	mp->connected = false;
	macros_clear_after(mp, MPROTO_M_CONNECT, true);
}

void mproto_free(struct mproto *mp)
{
	size_t i;

	if (mp == NULL)
		return;
	conn_end(mp);
	for (i = 0; i < MPROTO_M_NSTAGES; i++)
		free(mp->symlist[i]);
	free(mp->in);
	free(mp->reply);
	strbuf_free(&mp->out);
	free(mp);
}

void *mproto_priv(const struct mproto *mp)
{
	return mp->priv;
}

void mproto_set_priv(struct mproto *mp, void *priv)
{
	mp->priv = priv;
}

bool mproto_negotiated(const struct mproto *mp)
{
	return mp->negotiated;
}

uint32_t mproto_actions(const struct mproto *mp)
{
	return mp->actions;
}

uint32_t mproto_steps(const struct mproto *mp)
{
	return mp->steps;
}

const char *mproto_error(const struct mproto *mp)
{
	return mp->error != NULL ? mp->error : "";
}

const void *mproto_output(const struct mproto *mp, size_t *len)
{
	*len = mp->out.len;
	return mp->out.s;
}

void mproto_output_clear(struct mproto *mp)
{
	strbuf_reset(&mp->out);
}

/* ------------------------------------------------------------ replies */

static void put32(struct strbuf *sb, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};

	strbuf_add(sb, b, 4);
}

/* One reply packet: cmd, then the parts (each followed by a NUL when nul). */
static void reply_packet(struct mproto *mp, char cmd, const uint32_t *num, const char *a,
			 const char *b)
{
	size_t len = 1 + (num ? 4 : 0) + (a ? strlen(a) + 1 : 0) + (b ? strlen(b) + 1 : 0);

	put32(&mp->out, (uint32_t)len);
	strbuf_addc(&mp->out, cmd);
	if (num != NULL)
		put32(&mp->out, *num);
	if (a != NULL)
		strbuf_add(&mp->out, a, strlen(a) + 1);
	if (b != NULL)
		strbuf_add(&mp->out, b, strlen(b) + 1);
}

static void reply_stat(struct mproto *mp, enum mproto_stat st)
{
	char want = st == MPROTO_REJECT ? '5' : st == MPROTO_TEMPFAIL ? '4' : 0;

	if (want != 0 && mp->reply != NULL && mp->reply[0] == want)
		reply_packet(mp, 'y', NULL, mp->reply, NULL);
	else
		reply_packet(mp,
			     st == MPROTO_ACCEPT     ? 'a'
			     : st == MPROTO_REJECT   ? 'r'
			     : st == MPROTO_TEMPFAIL ? 't'
						     : 'c',
			     NULL, NULL, NULL);
	free(mp->reply);
	mp->reply = NULL;
}

void mproto_setreply(struct mproto *mp, const char *rcode, const char *xcode, const char *text)
{
	free(mp->reply);
	mp->reply = NULL;
	if (rcode == NULL || strlen(rcode) != 3 || (rcode[0] != '4' && rcode[0] != '5'))
		return;
	mp->reply =
	    xasprintf("%s %s %s", rcode, xcode != NULL ? xcode : "", text != NULL ? text : "");
	/* One line: the text came from the filter, but a CR or LF in it would
	 * end the SMTP reply early. */
	for (char *p = mp->reply; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
}

static int edit_allowed(const struct mproto *mp, uint32_t action)
{
	return mp->in_eom && (mp->actions & action) != 0 ? 0 : -1;
}

int mproto_insheader(struct mproto *mp, unsigned idx, const char *name, const char *value)
{
	uint32_t i = idx;

	if (edit_allowed(mp, MPROTO_ACT_ADDHDRS) != 0 || name == NULL || value == NULL)
		return -1;
	reply_packet(mp, 'i', &i, name, value);
	return 0;
}

int mproto_chgheader(struct mproto *mp, const char *name, unsigned idx, const char *value)
{
	uint32_t i = idx;

	if (edit_allowed(mp, MPROTO_ACT_CHGHDRS) != 0 || name == NULL)
		return -1;
	reply_packet(mp, 'm', &i, name, value != NULL ? value : "");
	return 0;
}

int mproto_addheader(struct mproto *mp, const char *name, const char *value)
{
	if (edit_allowed(mp, MPROTO_ACT_ADDHDRS) != 0 || name == NULL || value == NULL)
		return -1;
	reply_packet(mp, 'h', NULL, name, value);
	return 0;
}

int mproto_quarantine(struct mproto *mp, const char *reason)
{
	if (edit_allowed(mp, MPROTO_ACT_QUARANTINE) != 0 || reason == NULL || *reason == '\0')
		return -1;
	reply_packet(mp, 'q', NULL, reason, NULL);
	return 0;
}

int mproto_setsymlist(struct mproto *mp, enum mproto_stage stage, const char *macros)
{
	if (mp->negotiated || (mp->mta_actions & MPROTO_ACT_SETSYMLIST) == 0 ||
	    stage >= MPROTO_M_NSTAGES || macros == NULL)
		return -1;
	free(mp->symlist[stage]);
	mp->symlist[stage] = xstrdup(macros);
	return 0;
}

/* ------------------------------------------------------------- macros */

/* "i" and "{i}" name the same macro. */
static bool macro_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 2 && a[0] == '{' && a[la - 1] == '}')
		a++, la -= 2;
	if (lb >= 2 && b[0] == '{' && b[lb - 1] == '}')
		b++, lb -= 2;
	return la == lb && memcmp(a, b, la) == 0;
}

const char *mproto_getsymval(const struct mproto *mp, const char *name)
{
	size_t i;

	for (i = MPROTO_M_NSTAGES; i > 0; i--) {
		const struct macros *m = &mp->macros[stage_order[i - 1]];
		const char *p = m->blob, *end;

		if (p == NULL)
			continue;
		for (end = p + m->len; p < end;) {
			const char *value = p + strlen(p) + 1;

			if (macro_name_eq(p, name))
				return value;
			p = value + strlen(value) + 1;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ parsing */

static enum mproto_rc violation(struct mproto *mp, const char *why)
{
	mp->error = why;
	return MPROTO_ERROR;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Splits data into NUL-terminated strings, the first max of them into
 * argv: their count, or -1 when the data does not end in a NUL. */
static int split_strings(const char *data, size_t len, const char **argv, int max)
{
	int n = 0;
	size_t i = 0;

	if (len == 0 || data[len - 1] != '\0')
		return -1;
	while (i < len) {
		if (n < max)
			argv[n] = data + i;
		n++;
		i += strlen(data + i) + 1;
	}
	return n;
}

static int stage_of(char cmd)
{
	switch (cmd) {
	case 'C':
		return MPROTO_M_CONNECT;
	case 'H':
		return MPROTO_M_HELO;
	case 'M':
		return MPROTO_M_ENVFROM;
	case 'R':
		return MPROTO_M_ENVRCPT;
	case 'T':
		return MPROTO_M_DATA;
	case 'N':
		return MPROTO_M_EOH;
	case 'E':
		return MPROTO_M_EOM;
	default:
		return -1;
	}
}

static enum mproto_rc cmd_macro(struct mproto *mp, const char *data, size_t len)
{
	int stage, n;

	if (len < 1)
		return violation(mp, "empty macro packet");
	stage = stage_of(data[0]);
	if (len == 1)
		n = 0;
	else if ((n = split_strings(data + 1, len - 1, NULL, 0)) < 0 || n % 2 != 0)
		return violation(mp, "malformed macro packet");
	if (stage < 0)
		return MPROTO_OK; /* macros for a stage nobody asks about */
	macros_clear_after(mp, (enum mproto_stage)stage, true);
	if (n > 0) {
		mp->macros[stage].blob = xmemdup0(data + 1, len - 1);
		mp->macros[stage].len = len - 1;
	}
	return MPROTO_OK;
}

static enum mproto_rc cmd_optneg(struct mproto *mp, const unsigned char *data, size_t len)
{
	uint32_t want_actions = 0, want_steps = 0, steps;
	enum mproto_stat st = MPROTO_CONTINUE;
	size_t i;

	if (mp->negotiated)
		return violation(mp, "second option negotiation");
	if (len < 12)
		return violation(mp, "short option negotiation");
	mp->version = get32(data);
	mp->mta_actions = get32(data + 4);
	steps = get32(data + 8);
	if (mp->version < 2)
		return violation(mp, "milter protocol version below 2");
	if (mp->version > MPROTO_VERSION)
		mp->version = MPROTO_VERSION;
	if (mp->cb->negotiate != NULL)
		st = mp->cb->negotiate(mp, mp->mta_actions, steps, &want_actions, &want_steps);
	if (st != MPROTO_CONTINUE)
		return violation(mp, "the filter refused the MTA's options");
	mp->actions = want_actions & mp->mta_actions;
	mp->steps = want_steps & steps;
	mp->negotiated = true;
	{
		struct strbuf body = STRBUF_INIT;

		strbuf_addc(&body, 'O');
		put32(&body, mp->version);
		put32(&body, mp->actions);
		put32(&body, mp->steps);
		for (i = 0; i < MPROTO_M_NSTAGES; i++) {
			if (mp->symlist[i] == NULL || !(mp->actions & MPROTO_ACT_SETSYMLIST))
				continue;
			put32(&body, (uint32_t)i);
			strbuf_add(&body, mp->symlist[i], strlen(mp->symlist[i]) + 1);
		}
		put32(&mp->out, (uint32_t)body.len);
		strbuf_add(&mp->out, body.s, body.len);
		strbuf_free(&body);
	}
	return MPROTO_OK;
}

static enum mproto_rc cmd_connect(struct mproto *mp, const char *data, size_t len,
				  enum mproto_stat *st)
{
	const char *host = data, *addr;
	size_t hl = strnlen(data, len);
	struct sockaddr_storage ss;
	struct sockaddr *sa = NULL;
	char family;

	if (mp->connected)
		conn_end(mp); /* a new connection without QUIT_NC first */
	if (hl + 2 > len)
		return violation(mp, "malformed connect packet");
	family = data[hl + 1];
	memset(&ss, 0, sizeof(ss));
	if (family == '4' || family == '6') {
		/* family, port (2 bytes), address NUL */
		if (hl + 5 > len || data[len - 1] != '\0' || strlen(data + hl + 4) != len - hl - 5)
			return violation(mp, "malformed connect address");
		addr = data + hl + 4;
		if (family == '6' && strncasecmp(addr, "IPv6:", 5) == 0)
			addr += 5;
		if (family == '4') {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			sin->sin_family = AF_INET;
			memcpy(&sin->sin_port, data + hl + 2, 2);
			if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
				return violation(mp, "bad IPv4 address in connect");
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_port, data + hl + 2, 2);
			if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
				return violation(mp, "bad IPv6 address in connect");
		}
		sa = (struct sockaddr *)&ss;
	} else if (family != 'U' && family != 'L') {
		return violation(mp, "unknown address family in connect");
	}
	mp->connected = true;
	*st = mp->cb->connect != NULL ? mp->cb->connect(mp, host, sa) : MPROTO_CONTINUE;
	return MPROTO_OK;
}

/* The message-level commands; *st is the callback's answer. */
static enum mproto_rc cmd_message(struct mproto *mp, char cmd, const char *data, size_t len,
				  enum mproto_stat *st)
{
	const struct mproto_callbacks *cb = mp->cb;
	const char *argv[MPROTO_MAX_ARGS + 1];
	int n;

	switch (cmd) {
	case 'H':
		if (split_strings(data, len, argv, 1) < 1)
			return violation(mp, "malformed HELO packet");
		if (cb->helo != NULL)
			*st = cb->helo(mp, argv[0]);
		return MPROTO_OK;
	case 'M':
	case 'R':
		if ((n = split_strings(data, len, argv, MPROTO_MAX_ARGS)) < 1)
			return violation(mp, "malformed MAIL or RCPT packet");
		argv[n < MPROTO_MAX_ARGS ? n : MPROTO_MAX_ARGS] = NULL; /* the rest unread */
		if (cmd == 'M') {
			if (mp->in_msg && cb->abort != NULL)
				cb->abort(mp);
			msg_end(mp);
			mp->in_msg = true;
			if (cb->envfrom != NULL)
				*st = cb->envfrom(mp, argv);
		} else if (cb->envrcpt != NULL) {
			*st = cb->envrcpt(mp, argv);
		}
		return MPROTO_OK;
	case 'L':
		/* name NUL value NUL; a NUL inside the value ends it there, as
		 * in libmilter (what follows is not part of the header). */
		n = (int)strnlen(data, len);
		if (n == 0 || (size_t)n + 1 >= len ||
		    memchr(data + n + 1, '\0', len - n - 1) == NULL)
			return violation(mp, "malformed header packet");
		if (cb->header != NULL)
			*st = cb->header(mp, data, data + n + 1);
		return MPROTO_OK;
	case 'N':
		if (cb->eoh != NULL)
			*st = cb->eoh(mp);
		return MPROTO_OK;
	case 'B':
		if (cb->body != NULL)
			*st = cb->body(mp, (const unsigned char *)data, len);
		return MPROTO_OK;
	case 'E':
		if (len > 0 && cb->body != NULL)
			*st = cb->body(mp, (const unsigned char *)data, len);
		if (*st == MPROTO_CONTINUE && cb->eom != NULL) {
			mp->in_eom = true;
			*st = cb->eom(mp);
			mp->in_eom = false;
		}
		return MPROTO_OK;
	default: /* 'T' (DATA) and 'U' (unknown SMTP command): nothing to do */
		return MPROTO_OK;
	}
}

/* The SMFIP_NR_* bit that silences the reply to cmd, or 0. */
static uint32_t no_reply_bit(char cmd)
{
	switch (cmd) {
	case 'C':
		return MPROTO_NR_CONN;
	case 'H':
		return MPROTO_NR_HELO;
	case 'M':
		return MPROTO_NR_MAIL;
	case 'R':
		return MPROTO_NR_RCPT;
	case 'T':
		return MPROTO_NR_DATA;
	case 'U':
		return MPROTO_NR_UNKN;
	case 'L':
		return MPROTO_NR_HDR;
	case 'N':
		return MPROTO_NR_EOH;
	case 'B':
		return MPROTO_NR_BODY;
	default:
		return 0;
	}
}

static enum mproto_rc packet(struct mproto *mp, char cmd, const unsigned char *data, size_t len)
{
	enum mproto_stat st = MPROTO_CONTINUE;
	enum mproto_rc rc;
	int stage;

	if (cmd == 'O')
		return cmd_optneg(mp, data, len);
	if (!mp->negotiated)
		return violation(mp, "command before option negotiation");
	switch (cmd) {
	case 'D':
		return cmd_macro(mp, (const char *)data, len);
	case 'Q':
		conn_end(mp);
		return MPROTO_CLOSE;
	case 'K':
		conn_end(mp);
		return MPROTO_OK;
	case 'A':
		if (mp->in_msg && mp->cb->abort != NULL)
			mp->cb->abort(mp);
		msg_end(mp);
		macros_clear_after(mp, MPROTO_M_ENVFROM, true);
		return MPROTO_OK;
	case 'C':
		rc = cmd_connect(mp, (const char *)data, len, &st);
		break;
	case 'H':
	case 'M':
	case 'R':
	case 'T':
	case 'L':
	case 'N':
	case 'B':
	case 'E':
	case 'U':
		if (!mp->connected)
			return violation(mp, "command before connect");
		if ((stage = stage_of(cmd)) >= 0)
			macros_clear_after(mp, (enum mproto_stage)stage, false);
		if (mp->held != MPROTO_CONTINUE && mp->in_msg && cmd != 'M') {
			st = mp->held; /* answered at the next reply */
			rc = MPROTO_OK;
		} else {
			rc = cmd_message(mp, cmd, (const char *)data, len, &st);
		}
		break;
	default:
		return violation(mp, "unknown command");
	}
	if (rc != MPROTO_OK)
		return rc;
	if (no_reply_bit(cmd) & mp->steps) {
		/* A refusal on a step the MTA expects no reply to is the answer
		 * to the message's next command that gets one. */
		if (st != MPROTO_CONTINUE && mp->in_msg)
			mp->held = st;
		return MPROTO_OK;
	}
	reply_stat(mp, st);
	if (cmd == 'E' || (cmd != 'C' && cmd != 'H' && st != MPROTO_CONTINUE))
		msg_end(mp); /* the message is decided */
	return MPROTO_OK;
}

/* Handles the complete packets in buf; returns the bytes used. */
static size_t parse(struct mproto *mp, const unsigned char *buf, size_t n)
{
	size_t off = 0;

	while (mp->done == MPROTO_OK && n - off >= 4) {
		uint32_t len = get32(buf + off);

		if (len == 0 || len > MPROTO_MAX_PACKET) {
			mp->done = violation(mp, len == 0 ? "empty packet" : "packet too long");
			break;
		}
		if (n - off - 4 < len)
			break;
		mp->done = packet(mp, (char)buf[off + 4], buf + off + 5, len - 1);
		off += 4 + len;
	}
	return off;
}

enum mproto_rc mproto_input(struct mproto *mp, const void *buf, size_t n)
{
	size_t used;

	if (mp->done != MPROTO_OK)
		return mp->done;
	if (mp->in_len == 0) {
		used = parse(mp, buf, n);
		buf = (const unsigned char *)buf + used;
		n -= used;
	}
	if (mp->done == MPROTO_OK && n > 0) {
		if (mp->in_len + n > mp->in_cap) {
			/* doubling: a 1 MB packet arrives in many reads */
			mp->in_cap =
			    mp->in_len + n > 2 * mp->in_cap ? mp->in_len + n : 2 * mp->in_cap;
			mp->in = xrealloc(mp->in, mp->in_cap);
		}
		memcpy(mp->in + mp->in_len, buf, n);
		mp->in_len += n;
		used = parse(mp, mp->in, mp->in_len);
		memmove(mp->in, mp->in + used, mp->in_len - used);
		mp->in_len -= used;
	}
	return mp->done;
}
