/*
 * fuzz_milter - the MTA's side of a milter connection into the protocol
 * state machine (src/milter/mproto.c) with the daemon's real callbacks
 * (src/daemon/milter.c, verdict_log.c, log.c) over an engine that answers
 * DNS from the fixed table of fuzz_dns.c
 *
 * DESCRIPTION
 *	Input layout (tests/fuzz/build_seeds.py writes seeds in it):
 *	  byte 0      bits 0-2 how the rest is cut into mproto_input() calls
 *	              (see chunk_sizes[]), bits 3-7 the DMARC pct draw;
 *	  the rest    the bytes the MTA sends on one milter socket: packets
 *	              of a 4-byte big-endian length, a command byte and data
 *	              (option negotiation, macros, connect, HELO, MAIL,
 *	              headers, end of headers, body, end of message, abort,
 *	              quit, ...), in any order and any number of connections
 *	              (QUIT_NC then a new connect).
 *	One session (mproto_new() with milter_callbacks) per input; the
 *	engine is made once and handed to the daemon by milter_set_engine().
 *	syslog is silenced (setlogmask), log_msg() still formats every line.
 *	Checks, after every mproto_input() call: what mproto_output() holds
 *	is a whole number of well-formed reply packets (4-byte big-endian
 *	length >= 1, a reply command mproto sends: O c a r t y i m h q, data
 *	shaped as that command wants); option negotiation answered once and
 *	before anything else, with the actions the daemon needs and no
 *	others; header changes and quarantine only for negotiated actions
 *	and followed by the final reply in the same output; once
 *	mproto_input() returned MPROTO_CLOSE or MPROTO_ERROR, more input
 *	returns the same and produces nothing; MPROTO_ERROR says why; after
 *	QUIT, and after mproto_free(), no connection is left counted open by
 *	the daemon (milter_wait_idle(0) is 0).
 */
#include "config.h"

#include <syslog.h>

#include "daemon/milter.h"
#include "engine/message.h"
#include "fuzz.h"
#include "fuzz_dns.h"

static const char config_text[] =
    "authserv_id = \"mx.fuzz.test\";\n"
    "policy = { allow_networks = [ \"198.51.100.0/26\" ]; allow_domains = [ \"example.net\" ];"
    " untrusted_authserv_ids = [ \"example.com\" ]; };\n"
    "limits = { max_headers = 100; max_header_bytes = 16384; };\n";

/* Bytes per mproto_input() call; 0: the whole stream in one call. */
static const size_t chunk_sizes[8] = {0, 1, 2, 3, 5, 13, 64, 4096};

/* Actions the daemon asks for when offered (src/daemon/milter.c). */
#define NEED_ACTIONS (MPROTO_ACT_ADDHDRS | MPROTO_ACT_CHGHDRS)
#define MAY_ACTIONS (NEED_ACTIONS | MPROTO_ACT_QUARANTINE | MPROTO_ACT_SETSYMLIST)

static bool initialized;
static unsigned pct_draw;

static unsigned fuzz_rand100(void *arg)
{
	(void)arg;
	return pct_draw % 100;
}

static void milter_init(void)
{
	struct am_err err;
	struct config *cfg;
	struct engine *eng;

	setlogmask(LOG_UPTO(LOG_EMERG));
	cfg = config_parse(config_text, "fuzz_milter", &err);
	FUZZ_CHECK(cfg != NULL, "config: %s", err.msg);
	eng = engine_new_with_resolver(cfg, dmarc_ctx_new(AM_PSL_FILE, &err), fuzz_dns_resolver(),
				       &err);
	FUZZ_CHECK(eng != NULL, "engine: %s", err.msg);
	engine_set_random(eng, fuzz_rand100, NULL);
	config_unref(cfg);
	milter_set_engine(eng);
	engine_free(eng); /* the daemon holds its own reference */
	initialized = true;
}

/* What the replies of one session have shown so far. */
struct replies {
	bool negotiated;
	uint32_t actions;
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The NUL-terminated strings at d[0..len): how many, or -1 when the data
 * does not end in a NUL. */
static int count_strings(const uint8_t *d, size_t len)
{
	int n = 0;
	size_t i = 0;

	if (len == 0 || d[len - 1] != '\0')
		return -1;
	while (i < len) {
		i += strlen((const char *)d + i) + 1;
		n++;
	}
	return n;
}

static void check_optneg(struct replies *r, const uint8_t *d, size_t len)
{
	uint32_t version, steps;
	size_t off = 12;

	FUZZ_CHECK(!r->negotiated, "a second option negotiation reply");
	FUZZ_CHECK(len >= 12, "option negotiation reply of %zu data bytes", len);
	version = get32(d);
	r->actions = get32(d + 4);
	steps = get32(d + 8);
	FUZZ_CHECK(version >= 2 && version <= MPROTO_VERSION, "version %lu in the reply",
		   (unsigned long)version);
	FUZZ_CHECK((r->actions & NEED_ACTIONS) == NEED_ACTIONS && (r->actions & ~MAY_ACTIONS) == 0,
		   "actions 0x%lx in the reply", (unsigned long)r->actions);
	FUZZ_CHECK((steps & ~0x1fffffu) == 0, "steps 0x%lx in the reply", (unsigned long)steps);
	while (off < len) {
		const uint8_t *nul;

		FUZZ_CHECK(len - off > 4, "a cut macro list in the reply");
		FUZZ_CHECK(get32(d + off) < MPROTO_M_NSTAGES, "macro list for stage %lu",
			   (unsigned long)get32(d + off));
		FUZZ_CHECK(r->actions & MPROTO_ACT_SETSYMLIST, "macro list not negotiated");
		nul = memchr(d + off + 4, '\0', len - off - 4);
		FUZZ_CHECK(nul != NULL, "macro list without a NUL");
		off = (size_t)(nul - d) + 1;
	}
	r->negotiated = true;
}

/* The replies mproto queued since the last call: whole packets, each
 * shaped as its command wants. */
static void check_output(struct replies *r, const uint8_t *out, size_t n)
{
	size_t off = 0;
	int change = 0; /* the last header change or quarantine not yet followed by a reply */

	while (off < n) {
		uint32_t len;
		const uint8_t *d;
		size_t dlen;
		char cmd;

		FUZZ_CHECK(n - off >= 5, "%zu bytes left over in the output", n - off);
		len = get32(out + off);
		FUZZ_CHECK(len >= 1 && len <= n - off - 4, "reply length %lu with %zu bytes left",
			   (unsigned long)len, n - off - 4);
		cmd = (char)out[off + 4];
		d = out + off + 5;
		dlen = len - 1;
		off += 4 + len;
		FUZZ_CHECK(cmd == 'O' || r->negotiated, "reply '%c' before option negotiation",
			   cmd);
		switch (cmd) {
		case 'O':
			check_optneg(r, d, dlen);
			break;
		case 'c':
		case 'a':
		case 'r':
		case 't':
			FUZZ_CHECK(dlen == 0, "reply '%c' with %zu data bytes", cmd, dlen);
			change = 0;
			break;
		case 'y':
			FUZZ_CHECK(count_strings(d, dlen) == 1 && dlen >= 5 &&
				       (d[0] == '4' || d[0] == '5') && d[3] == ' ' &&
				       strpbrk((const char *)d, "\r\n") == NULL,
				   "malformed reply text (%zu bytes)", dlen);
			change = 0;
			break;
		case 'i':
		case 'm':
			FUZZ_CHECK(r->actions &
				       (cmd == 'i' ? MPROTO_ACT_ADDHDRS : MPROTO_ACT_CHGHDRS),
				   "header change '%c' not negotiated", cmd);
			FUZZ_CHECK(dlen > 4 && count_strings(d + 4, dlen - 4) == 2 && d[4] != '\0',
				   "malformed header change '%c'", cmd);
			change = cmd;
			break;
		case 'h':
			FUZZ_CHECK(r->actions & MPROTO_ACT_ADDHDRS, "add header not negotiated");
			FUZZ_CHECK(count_strings(d, dlen) == 2 && d[0] != '\0',
				   "malformed add header");
			change = cmd;
			break;
		case 'q':
			FUZZ_CHECK(r->actions & MPROTO_ACT_QUARANTINE, "quarantine not negotiated");
			FUZZ_CHECK(count_strings(d, dlen) == 1 && d[0] != '\0',
				   "malformed quarantine");
			change = cmd;
			break;
		default:
			FUZZ_CHECK(0, "reply command 0x%02x", (unsigned)(unsigned char)cmd);
		}
	}
	FUZZ_CHECK(change == 0, "'%c' not followed by a final reply", change);
}

/* Checks and forgets the session's output. */
static void drain(struct mproto *mp, struct replies *r)
{
	size_t n;
	const void *out = mproto_output(mp, &n);

	check_output(r, out, n);
	mproto_output_clear(mp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t quit[5] = {0, 0, 0, 1, 'Q'};
	const uint8_t *p = data;
	size_t left = size, chunk, n;
	enum mproto_rc rc, done = MPROTO_OK;
	struct replies r;
	struct mproto *mp;
	unsigned flags;

	if (!initialized)
		milter_init();
	if (size == 0)
		return 0;
	flags = *p++;
	left--;
	chunk = chunk_sizes[flags & 7];
	pct_draw = (flags >> 3) * 3u + 1;
	memset(&r, 0, sizeof(r));

	mp = mproto_new(&milter_callbacks, NULL);
	while (left > 0) {
		n = chunk == 0 || left < chunk ? left : chunk;
		rc = mproto_input(mp, p, n);
		p += n;
		left -= n;
		if (done != MPROTO_OK) {
			FUZZ_CHECK(rc == done, "input after the end returned %d, not %d", (int)rc,
				   (int)done);
			(void)mproto_output(mp, &n);
			FUZZ_CHECK(n == 0, "%zu bytes of output after the end", n);
			continue;
		}
		drain(mp, &r);
		if (rc == MPROTO_ERROR)
			FUZZ_CHECK(mproto_error(mp)[0] != '\0', "MPROTO_ERROR without a reason");
		if (rc == MPROTO_CLOSE)
			FUZZ_CHECK(milter_wait_idle(0) == 0, "a connection still open after QUIT");
		done = rc;
	}
	if (done != MPROTO_OK) {
		rc = mproto_input(mp, quit, sizeof(quit));
		FUZZ_CHECK(rc == done, "input after the end returned %d, not %d", (int)rc,
			   (int)done);
		(void)mproto_output(mp, &n);
		FUZZ_CHECK(n == 0, "%zu bytes of output after the end", n);
	}
	mproto_free(mp);
	FUZZ_CHECK(milter_wait_idle(0) == 0, "%u connections still counted open after free",
		   milter_wait_idle(0));
	return 0;
}
