/*
 * message - one message through every check, from envelope to verdict
 *
 * SYNOPSIS
 *	struct dmarc_ctx *psl = dmarc_ctx_new(AM_PSL_FILE, &err);  (read by the caller)
 *	struct engine *eng = engine_new(cfg, psl, &err);     (shared, per config)
 *	struct message *m = message_new(eng, &envelope);     (per message)
 *	if (message_skip(m) == NULL) {                        (not ours to check?)
 *		message_header(m, "From", " Alice <a@example.com>");  (each header)
 *		message_eoh(m);
 *		message_body(m, chunk, len);                 (any number)
 *	}
 *	struct verdict *v = message_eom(m);                  (owned by m)
 *	(v = message_error(m, "header_change_failed");       (if carrying it out failed))
 *	message_free(m);
 *	engine_free(eng);
 *
 * DESCRIPTION
 *	The engine holds what is shared by all messages under one configuration
 *	snapshot: the config reference, the resolver, the DKIM library, the
 *	public suffix list (loaded by the caller: the engine reads no files).
 *	It is safe to use from many threads at once.
 *	A message is used by one thread. Headers and body are handed on to the
 *	DKIM verifier as they arrive; nothing holds the whole message.
 *
 *	A header value is the text after the colon exactly as received, leading
 *	space included, continuation lines separated by "\n" or "\r\n". The
 *	envelope's mail_from is the address without angle brackets; "" is the
 *	null sender.
 *
 *	Header fields are counted against limits.max_headers and
 *	max_header_bytes (name, colon, value and CRLF); past a limit the checks
 *	stop and the verdict is "header_limit", but incoming
 *	Authentication-Results headers are still recognised, so forged ones
 *	can be removed whatever the action.
 *
 *	At end of headers the From header gives the author domain, and its
 *	DMARC policy is fetched first, before any DKIM key lookup (and long
 *	before SPF): the lookups whose names a spoofer controls cannot spend
 *	the time budget it needs (engine/budget.h). message_eom() runs SPF
 *	(MAIL FROM and HELO identities), finishes DKIM, judges DMARC, runs
 *	the informational iprev check last (engine/iprev.h), decides
 *	the action under the configuration's local policy (engine/policy.h:
 *	the one place that does), and writes the Authentication-Results
 *	value. message_error() decides again after the caller failed to carry
 *	the verdict out.
 *
 * OWNERSHIP
 *	The engine keeps a reference to its config. The verdict belongs to
 *	the message and is freed by message_free().
 */
#ifndef AM_MESSAGE_H
#define AM_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "dns/resolver.h"
#include "engine/dmarc.h"
#include "engine/verdict.h"
#include "util/err.h"

struct session;

struct envelope {
	const char *client_ip; /* textual IPv4 or IPv6 address; NULL or "": none */
	const char *helo;
	const char *mail_from; /* "" = null sender */
	const char *const *rcpts;
	size_t n_rcpts;
	const char *auth_user;	 /* SMTP AUTH identity ({auth_authen}), or NULL */
	bool no_hold;		 /* the MTA cannot hold (quarantine) messages */
	struct session *session; /* the connection's lookups (session_new()), or NULL */
};

struct engine;
struct message;

/* The engine owns psl (the public suffix list, see dmarc.h) from then on,
 * also when it returns NULL, and frees it with the last engine_free(). */
struct engine *engine_new(struct config *cfg, struct dmarc_ctx *psl, struct am_err *err);
/* The same with a ready resolver instead of one made from cfg's dns
 * settings (for tests and fuzzing: see resolver_new_fixed()). The engine
 * owns r too. */
struct engine *engine_new_with_resolver(struct config *cfg, struct dmarc_ctx *psl,
					struct resolver *r, struct am_err *err);
/* Engines are reference counted: a message in progress keeps the engine
 * (and so the configuration snapshot) it started with. engine_free()
 * drops one reference and frees the engine with the last. */
struct engine *engine_ref(struct engine *eng);
void engine_free(struct engine *eng);
const struct config *engine_config(const struct engine *eng);
struct resolver *engine_resolver(const struct engine *eng);
/* Replace the random source of DMARC pct sampling (tests). */
void engine_set_random(struct engine *eng, unsigned (*rand100)(void *), void *arg);

/*
 * A session is one SMTP connection (engine/lookahead.c): session_new() at
 * connect starts the iprev lookups, session_helo() at HELO those of the
 * HELO identity's SPF check, and a message whose envelope names the
 * session starts its own (MAIL FROM SPF at once, each signature's key as
 * its header arrives), so that lookups run at the same time and long
 * before end of message. The verdict is the same with or without one.
 * A session keeps a reference to its engine and must outlive its
 * messages.
 */
struct session *session_new(struct engine *eng, const char *client_ip);
void session_helo(struct session *s, const char *helo);
void session_free(struct session *s);

struct message *message_new(struct engine *eng, const struct envelope *env);
/* Why the message is not checked at all (policy_skip(): "trusted_network",
 * "authenticated", "no_client_address"), or NULL. A skipped message
 * ignores its headers and body; its verdict says skipped. */
const char *message_skip(const struct message *m);
void message_header(struct message *m, const char *name, const char *value);
void message_eoh(struct message *m);
void message_body(struct message *m, const unsigned char *buf, size_t len);
struct verdict *message_eom(struct message *m);
/* After message_eom(): the caller could not carry the verdict out (error:
 * a static key such as "header_change_failed"); the action is decided
 * again under policy.on_error and the local overrides. Returns the same,
 * updated, verdict. */
struct verdict *message_error(struct message *m, const char *error);
void message_free(struct message *m);

/*
 * The positions (1-based, among the Authentication-Results headers of the
 * message, in arrival order) of incoming Authentication-Results headers
 * that claim our authserv-id or one listed in untrusted_authserv_ids:
 * the daemon deletes these.
 */
const size_t *message_forged_authres(const struct message *m, size_t *n);

#endif
