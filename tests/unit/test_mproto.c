/*
 * test_mproto - the milter protocol state machine: negotiation, replies
 * and their absence on no-reply steps, macros, header changes at end of
 * message, refusals, and what counts as a protocol violation
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "milter/mproto.h"
#include "util/strbuf.h"

/* What the callbacks saw, as one line per call. */
static struct strbuf seen;
/* What the test wants a callback to answer or do. */
static enum mproto_stat header_answer, eom_answer;
static uint32_t want_steps;
static const char *eom_reply; /* setreply text before the eom answer */
static bool eom_edits, symlist;
static int edit_rc_outside = 0;

static void seen_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void seen_add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&seen, fmt, ap);
	va_end(ap);
	strbuf_addc(&seen, '\n');
}

static enum mproto_stat cb_negotiate(struct mproto *mp, uint32_t actions, uint32_t steps,
				     uint32_t *wa, uint32_t *ws)
{
	seen_add("negotiate 0x%x 0x%x", (unsigned)actions, (unsigned)steps);
	*wa = actions & (MPROTO_ACT_ADDHDRS | MPROTO_ACT_CHGHDRS | MPROTO_ACT_SETSYMLIST);
	*ws = want_steps;
	if (symlist)
		assert_int_equal(mproto_setsymlist(mp, MPROTO_M_EOM, "i"), 0);
	return MPROTO_CONTINUE;
}

static enum mproto_stat cb_connect(struct mproto *mp, const char *host, const struct sockaddr *sa)
{
	char buf[64] = "none";

	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
			  sizeof(buf));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  buf, sizeof(buf));
	seen_add("connect %s %s", host, buf);
	edit_rc_outside = mproto_insheader(mp, 0, "X", "y");
	return MPROTO_CONTINUE;
}

static enum mproto_stat cb_helo(struct mproto *mp, const char *helo)
{
	(void)mp;
	seen_add("helo %s", helo);
	return MPROTO_CONTINUE;
}

static enum mproto_stat cb_envfrom(struct mproto *mp, const char **argv)
{
	const char *i = mproto_getsymval(mp, "i");

	seen_add("mail %s %s i=%s", argv[0], argv[1] ? argv[1] : "-", i ? i : "-");
	return MPROTO_CONTINUE;
}

static enum mproto_stat cb_header(struct mproto *mp, const char *name, const char *value)
{
	(void)mp;
	seen_add("header %s=%s", name, value);
	return header_answer;
}

static enum mproto_stat cb_body(struct mproto *mp, const unsigned char *buf, size_t len)
{
	(void)mp;
	seen_add("body %.*s", (int)len, (const char *)buf);
	return MPROTO_CONTINUE;
}

static enum mproto_stat cb_eom(struct mproto *mp)
{
	const char *i = mproto_getsymval(mp, "{i}");

	seen_add("eom i=%s", i ? i : "-");
	if (eom_edits) {
		assert_int_equal(mproto_chgheader(mp, "Authentication-Results", 2, NULL), 0);
		assert_int_equal(mproto_insheader(mp, 0, "Authentication-Results", " mx; x"), 0);
		/* not negotiated by cb_negotiate */
		assert_int_equal(mproto_quarantine(mp, "why"), -1);
	}
	if (eom_reply != NULL)
		mproto_setreply(mp, eom_reply[0] == '5' ? "550" : "451",
				eom_reply[0] == '5' ? "5.7.1" : "4.3.0", eom_reply + 1);
	return eom_answer;
}

static void cb_abort(struct mproto *mp)
{
	(void)mp;
	seen_add("abort");
}

static void cb_close(struct mproto *mp)
{
	(void)mp;
	seen_add("close");
}

static const struct mproto_callbacks cbs = {
    .negotiate = cb_negotiate,
    .connect = cb_connect,
    .helo = cb_helo,
    .envfrom = cb_envfrom,
    .header = cb_header,
    .body = cb_body,
    .eom = cb_eom,
    .abort = cb_abort,
    .close = cb_close,
};

/* ---------------------------------------------------------- packets */

static void pkt(struct strbuf *sb, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);

	strbuf_add(sb, &n, 4);
	strbuf_addc(sb, cmd);
	strbuf_add(sb, data, len);
}

static void optneg(struct strbuf *sb, uint32_t version, uint32_t actions, uint32_t steps)
{
	uint32_t v[3] = {htonl(version), htonl(actions), htonl(steps)};

	pkt(sb, 'O', v, sizeof(v));
}

/* A packet whose data is given as one C literal with embedded NULs. */
#define PKT(sb, cmd, lit) pkt(sb, cmd, lit, sizeof(lit) - 1)

/* Negotiation (all actions, no steps) and a connect with no address. */
static void opened(struct strbuf *sb)
{
	optneg(sb, 6, 0x1ff, 0);
	PKT(sb, 'C', "h\0U");
}

static void conversation(struct strbuf *sb)
{
	optneg(sb, 6, 0x1ff, 0x1fffff);
	PKT(sb, 'C',
	    "mx.example\0"
	    "4\x00\x19"
	    "192.0.2.1\0");
	PKT(sb, 'H', "helo.example\0");
	PKT(sb, 'D', "Mi\0Q1\0{auth_type}\0\0");
	PKT(sb, 'M', "<a@example.com>\0SIZE=10\0");
	PKT(sb, 'L', "From\0 a@example.com\0");
	PKT(sb, 'L', "Subject\0 hi\0");
	PKT(sb, 'N', "");
	PKT(sb, 'B', "body\r\n");
	PKT(sb, 'D', "Ei\0Q1\0");
	PKT(sb, 'E', "");
}

/* Callbacks back to their defaults and nothing seen. */
static void reset(void)
{
	strbuf_reset(&seen);
	header_answer = MPROTO_CONTINUE;
	eom_answer = MPROTO_CONTINUE;
	eom_reply = NULL;
	eom_edits = false;
	symlist = false;
	want_steps = MPROTO_NR_HDR | MPROTO_NR_BODY | MPROTO_NR_EOH | MPROTO_NR_HELO;
}

static struct mproto *session(void)
{
	reset();
	return mproto_new(&cbs, NULL);
}

/* The reply packets as "cmd:data" lines, data NULs shown as '|'. */
static char *replies(struct mproto *mp)
{
	size_t len, off = 0;
	const unsigned char *p = mproto_output(mp, &len);
	struct strbuf sb = STRBUF_INIT;

	while (off + 5 <= len) {
		uint32_t n = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
			     (uint32_t)p[off + 2] << 8 | p[off + 3];
		size_t i;

		assert_true(n >= 1 && off + 4 + n <= len);
		strbuf_addc(&sb, (char)p[off + 4]);
		strbuf_addc(&sb, ':');
		for (i = 1; i < n; i++) {
			unsigned char c = p[off + 4 + i];

			if (c == 0)
				strbuf_addc(&sb, '|');
			else if (c < 32 || c > 126)
				strbuf_addf(&sb, "\\x%02x", c);
			else
				strbuf_addc(&sb, (char)c);
		}
		strbuf_addc(&sb, '\n');
		off += 4 + n;
	}
	assert_int_equal(off, len);
	mproto_output_clear(mp);
	return strbuf_detach(&sb);
}

/* The replies to in, from a whole session (ended with mproto_free());
 * the callbacks do what the test set after reset(). */
static char *converse(const struct strbuf *in)
{
	struct mproto *mp = mproto_new(&cbs, NULL);
	char *out;

	assert_int_equal(mproto_input(mp, in->s, in->len), MPROTO_OK);
	out = replies(mp);
	mproto_free(mp);
	return out;
}

static char *converse_standard(void)
{
	struct strbuf in = STRBUF_INIT;
	char *out;

	conversation(&in);
	out = converse(&in);
	strbuf_free(&in);
	return out;
}

static void test_conversation(void **state)
{
	struct strbuf in = STRBUF_INIT;
	struct mproto *mp = session();
	char *out;

	(void)state;
	conversation(&in);
	assert_int_equal(mproto_input(mp, in.s, in.len), MPROTO_OK);
	out = replies(mp);
	/* version 6, actions ADDHDRS|CHGHDRS|SETSYMLIST (0x111) of 0x1ff, the
	 * steps asked for; then connect, MAIL and end of message answered;
	 * HELO, headers, EOH, body not (no-reply steps) */
	assert_string_equal(out, "O:|||\\x06||\\x01\\x11|\\x0c \\x80\n"
				 "c:\nc:\nc:\n");
	free(out);
	assert_string_equal(strbuf_str(&seen), "negotiate 0x1ff 0x1fffff\n"
					       "connect mx.example 192.0.2.1\n"
					       "helo helo.example\n"
					       "mail <a@example.com> SIZE=10 i=Q1\n"
					       "header From= a@example.com\n"
					       "header Subject= hi\n"
					       "body body\r\n\n"
					       "eom i=Q1\n");
	assert_int_equal(edit_rc_outside, -1); /* no header changes outside eom */
	mproto_free(mp);
	strbuf_free(&in);
}

/* The same conversation cut into every possible pair of pieces gives the
 * same callbacks and replies as in one piece. */
static void test_any_split(void **state)
{
	struct strbuf in = STRBUF_INIT;
	char *whole_seen, *whole_out;
	struct mproto *mp = session();
	size_t cut;

	(void)state;
	conversation(&in);
	assert_int_equal(mproto_input(mp, in.s, in.len), MPROTO_OK);
	whole_out = replies(mp);
	mproto_free(mp);
	whole_seen = strbuf_detach(&seen);
	for (cut = 1; cut < in.len; cut += 3) {
		char *out;

		mp = session();
		assert_int_equal(mproto_input(mp, in.s, cut), MPROTO_OK);
		assert_int_equal(mproto_input(mp, in.s + cut, in.len - cut), MPROTO_OK);
		out = replies(mp);
		assert_string_equal(out, whole_out);
		mproto_free(mp);
		assert_string_equal(strbuf_str(&seen), whole_seen);
		free(out);
	}
	free(whole_out);
	free(whole_seen);
	strbuf_free(&in);
}

static void test_replies_without_nr(void **state)
{
	char *out;

	(void)state;
	reset();
	want_steps = 0; /* every step answered */
	out = converse_standard();
	assert_string_equal(out, "O:|||\\x06||\\x01\\x11||||\n"
				 "c:\nc:\nc:\nc:\nc:\nc:\nc:\nc:\n");
	free(out);
}

static void test_symlist_and_old_version(void **state)
{
	struct strbuf in = STRBUF_INIT;
	char *out;

	(void)state;
	reset();
	symlist = true;
	optneg(&in, 6, 0x1ff, 0x1fffff);
	out = converse(&in);
	/* the macro list for end of message (stage 5) follows */
	assert_string_equal(out, "O:|||\\x06||\\x01\\x11|\\x0c \\x80"
				 "|||\\x05i|\n");
	free(out);
	/* version 2, no SETSYMLIST offered: no list, version 2 answered */
	strbuf_reset(&in);
	reset();
	optneg(&in, 2, 0x11, 0x7f);
	out = converse(&in);
	assert_string_equal(out, "O:|||\\x02|||\\x11||||\n");
	free(out);
	strbuf_free(&in);
}

static void test_eom_edits_and_reply(void **state)
{
	char *out;

	(void)state;
	reset();
	eom_edits = true;
	eom_answer = MPROTO_REJECT;
	eom_reply = "5Not\r\nauthenticated";
	out = converse_standard();
	/* changes in call order, then the reply with its text on one line */
	assert_string_equal(strstr(out, "c:\nc:\nm:"),
			    "c:\nc:\nm:|||\\x02Authentication-Results||\n"
			    "i:||||Authentication-Results| mx; x|\n"
			    "y:550 5.7.1 Not  authenticated|\n");
	free(out);
}

static void test_reply_code_must_match(void **state)
{
	char *out;

	(void)state;
	reset();
	eom_answer = MPROTO_REJECT;
	eom_reply = "4Try later"; /* a 451 text for a reject: not used */
	out = converse_standard();
	assert_non_null(strstr(out, "c:\nc:\nr:\n"));
	free(out);
}

/* A refusal from a no-reply step is the answer at end of message; the
 * message gets no more callbacks. */
static void test_held_refusal(void **state)
{
	char *out;

	(void)state;
	reset();
	header_answer = MPROTO_TEMPFAIL;
	out = converse_standard();
	assert_string_equal(strstr(out, "c:\nc:\n"), "c:\nc:\nt:\n");
	free(out);
	assert_null(strstr(strbuf_str(&seen), "Subject"));
	assert_null(strstr(strbuf_str(&seen), "eom"));
}

static void test_macros(void **state)
{
	struct strbuf in = STRBUF_INIT;
	struct mproto *mp = session();

	(void)state;
	optneg(&in, 6, 0x1ff, 0);
	PKT(&in, 'D', "Cj\0mx.example\0{daemon_name}\0smtpd\0");
	PKT(&in, 'C', "h\0U");
	PKT(&in, 'D', "Mi\0Q1\0");
	PKT(&in, 'M', "<a@example.com>\0");
	assert_int_equal(mproto_input(mp, in.s, in.len), MPROTO_OK);
	assert_string_equal(mproto_getsymval(mp, "{j}"), "mx.example");
	assert_string_equal(mproto_getsymval(mp, "daemon_name"), "smtpd");
	assert_string_equal(mproto_getsymval(mp, "i"), "Q1");
	assert_null(mproto_getsymval(mp, "{auth_authen}"));
	/* a new MAIL without macros of its own: the last message's are gone */
	strbuf_reset(&in);
	PKT(&in, 'A', "");
	PKT(&in, 'M', "<b@example.com>\0");
	assert_int_equal(mproto_input(mp, in.s, in.len), MPROTO_OK);
	assert_null(mproto_getsymval(mp, "i"));
	assert_string_equal(mproto_getsymval(mp, "j"), "mx.example");
	assert_string_equal(strbuf_str(&seen), "negotiate 0x1ff 0x0\n"
					       "connect h none\n"
					       "mail <a@example.com> - i=Q1\n"
					       "abort\n"
					       "mail <b@example.com> - i=-\n");
	mproto_free(mp);
	/* the session ended inside a message: abort, then close */
	assert_non_null(strstr(strbuf_str(&seen), "i=-\nabort\nclose\n"));
	strbuf_free(&in);
}

static void test_connect_addresses(void **state)
{
	static const struct {
		const char *data;
		size_t len;
		const char *seen; /* NULL: a protocol violation */
	} rows[] = {
#define ROW(lit, want) {lit, sizeof(lit) - 1, want}
	    ROW("h\0"
		"6\0\x19"
		"2001:db8::1\0",
		"connect h 2001:db8::1\n"),
	    ROW("h\0"
		"6\0\x19"
		"IPv6:2001:db8::2\0",
		"connect h 2001:db8::2\n"),
	    ROW("h\0"
		"L\0\0"
		"/run/x\0",
		"connect h none\n"),
	    ROW("h\0"
		"U",
		"connect h none\n"),
	    ROW("h\0"
		"4\0\x19"
		"192.0.2.300\0",
		NULL),
	    ROW("h\0"
		"4\0\x19"
		"192.0.2.1",
		NULL),
	    ROW("h\0"
		"4\0\x19"
		"192.0.2.1\0junk\0",
		NULL),
	    ROW("h\0"
		"X",
		NULL),
	    ROW("h\0", NULL),
	    ROW("h", NULL),
#undef ROW
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct strbuf in = STRBUF_INIT;
		struct mproto *mp = session();
		enum mproto_rc rc;

		optneg(&in, 6, 0x1ff, 0);
		pkt(&in, 'C', rows[i].data, rows[i].len);
		rc = mproto_input(mp, in.s, in.len);
		if (rows[i].seen == NULL) {
			assert_int_equal(rc, MPROTO_ERROR);
			assert_null(strstr(strbuf_str(&seen), "connect"));
		} else {
			assert_int_equal(rc, MPROTO_OK);
			assert_string_equal(strchr(strbuf_str(&seen), '\n') + 1, rows[i].seen);
		}
		mproto_free(mp);
		strbuf_free(&in);
	}
}

/* Input that must end the connection, with the reason given. */
static void test_violations(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
		const char *error;
	} rows[] = {
#define ROW(lit, why) {lit, sizeof(lit) - 1, why}
	    ROW("\0\0\0\x01"
		"C",
		"command before option negotiation"),
	    ROW("\0\0\0\x05"
		"O\0\0\0\x06",
		"short option negotiation"),
	    ROW("\0\0\0\x0d"
		"O\0\0\0\x01\0\0\0\0\0\0\0\0",
		"milter protocol version below 2"),
	    ROW("\0\0\0\0", "empty packet"),
	    /* the length alone is refused: nothing more needs to arrive */
	    ROW("\0\x10\0\x01", "packet too long"),
	    ROW("\xff\xff\xff\xff", "packet too long"),
#undef ROW
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mproto *mp = session();

		assert_int_equal(mproto_input(mp, rows[i].bytes, rows[i].len), MPROTO_ERROR);
		assert_string_equal(mproto_error(mp), rows[i].error);
		/* and it stays an error */
		assert_int_equal(mproto_input(mp, "x", 1), MPROTO_ERROR);
		mproto_free(mp);
	}
}

static void test_violations_after_connect(void **state)
{
	static const struct {
		char cmd;
		const char *data;
		size_t len;
		const char *error;
	} rows[] = {
#define ROW(c, lit, why) {c, lit, sizeof(lit) - 1, why}
	    ROW('L', "\0value\0", "malformed header packet"),
	    ROW('L', "Name\0value", "malformed header packet"),
	    ROW('L', "Name\0", "malformed header packet"),
	    ROW('H', "helo", "malformed HELO packet"),
	    ROW('M', "", "malformed MAIL or RCPT packet"),
	    ROW('D', "", "empty macro packet"),
	    ROW('D', "Mi\0", "malformed macro packet"),
	    ROW('O', "\0\0\0\x06\0\0\0\0\0\0\0\0", "second option negotiation"),
	    ROW('z', "", "unknown command"),
#undef ROW
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct strbuf in = STRBUF_INIT;
		struct mproto *mp = session();

		opened(&in);
		pkt(&in, rows[i].cmd, rows[i].data, rows[i].len);
		assert_int_equal(mproto_input(mp, in.s, in.len), MPROTO_ERROR);
		assert_string_equal(mproto_error(mp), rows[i].error);
		mproto_free(mp);
		strbuf_free(&in);
	}
}

static void test_nul_in_header_value(void **state)
{
	struct strbuf in = STRBUF_INIT;
	struct mproto *mp = session();

	(void)state;
	opened(&in);
	PKT(&in, 'M', "<a@example.com>\0");
	PKT(&in, 'L', "From\0a@example.com\0, b@evil.example\0");
	assert_int_equal(mproto_input(mp, in.s, in.len), MPROTO_OK);
	assert_non_null(strstr(strbuf_str(&seen), "header From=a@example.com\n"));
	mproto_free(mp);
	strbuf_free(&in);
}

/* No fixed limit on macros (the packet size bounds them); MAIL arguments
 * past MPROTO_MAX_ARGS are not handed on, and are not an error. */
static void test_many_macros_and_args(void **state)
{
	struct strbuf in = STRBUF_INIT, pl = STRBUF_INIT;
	struct mproto *mp = session();
	int i;

	(void)state;
	opened(&in);
	PKT(&in, 'H', "first\0second\0");
	strbuf_addc(&pl, 'M');
	for (i = 0; i < 300; i++) {
		strbuf_addf(&pl, "{m%d}", i);
		strbuf_addc(&pl, '\0');
		strbuf_addf(&pl, "v%d", i);
		strbuf_addc(&pl, '\0');
	}
	pkt(&in, 'D', pl.s, pl.len);
	strbuf_reset(&pl);
	strbuf_add(&pl, "<a@example.com>", 16);
	for (i = 0; i < 100; i++) {
		strbuf_addf(&pl, "X%d=1", i);
		strbuf_addc(&pl, '\0');
	}
	pkt(&in, 'M', pl.s, pl.len);
	assert_int_equal(mproto_input(mp, in.s, in.len), MPROTO_OK);
	assert_non_null(mproto_getsymval(mp, "m299"));
	assert_string_equal(mproto_getsymval(mp, "m299"), "v299");
	assert_non_null(strstr(strbuf_str(&seen), "mail <a@example.com> X0=1 i=-\n"));
	assert_non_null(strstr(strbuf_str(&seen), "helo first\n"));
	mproto_free(mp);
	strbuf_free(&in);
	strbuf_free(&pl);
}

static void test_quit_and_new_connection(void **state)
{
	struct strbuf in = STRBUF_INIT;
	struct mproto *mp = session();

	(void)state;
	optneg(&in, 6, 0x1ff, 0);
	PKT(&in, 'C', "one\0U");
	PKT(&in, 'K', "");
	PKT(&in, 'C', "two\0U");
	PKT(&in, 'Q', "");
	PKT(&in, 'C', "three\0U"); /* after QUIT: never read */
	assert_int_equal(mproto_input(mp, in.s, in.len), MPROTO_CLOSE);
	assert_string_equal(strbuf_str(&seen), "negotiate 0x1ff 0x0\n"
					       "connect one none\nclose\n"
					       "connect two none\nclose\n");
	mproto_free(mp); /* close is not called twice, "three" never seen */
	assert_string_equal(strbuf_str(&seen), "negotiate 0x1ff 0x0\n"
					       "connect one none\nclose\n"
					       "connect two none\nclose\n");
	strbuf_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conversation),
	    cmocka_unit_test(test_any_split),
	    cmocka_unit_test(test_replies_without_nr),
	    cmocka_unit_test(test_symlist_and_old_version),
	    cmocka_unit_test(test_eom_edits_and_reply),
	    cmocka_unit_test(test_reply_code_must_match),
	    cmocka_unit_test(test_held_refusal),
	    cmocka_unit_test(test_macros),
	    cmocka_unit_test(test_connect_addresses),
	    cmocka_unit_test(test_violations),
	    cmocka_unit_test(test_violations_after_connect),
	    cmocka_unit_test(test_nul_in_header_value),
	    cmocka_unit_test(test_many_macros_and_args),
	    cmocka_unit_test(test_quit_and_new_connection),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	strbuf_free(&seen);
	return rc;
}
