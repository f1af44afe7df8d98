/*
 * message - one message through every check, from envelope to verdict
 *
 * SYNOPSIS
 *	struct engine *eng = engine_new(cfg, &err);          (shared, per config)
 *	struct message *m = message_new(eng, &envelope);     (per message)
 *	message_header(m, "From", " Alice <a@example.com>");  (each header)
 *	message_eoh(m);
 *	message_body(m, chunk, len);                         (any number)
 *	struct verdict *v = message_eom(m);                  (owned by m)
 *	message_free(m);
 *	engine_free(eng);
 *
 * DESCRIPTION
 *	The engine holds what is shared by all messages under one configuration
 *	snapshot: the config reference, the resolver, the DKIM library, the
 *	public suffix list. It is safe to use from many threads at once.
 *	A message is used by one thread. Headers and body are handed on to the
 *	DKIM verifier as they arrive; nothing holds the whole message.
 *
 *	A header value is the text after the colon exactly as received, leading
 *	space included, continuation lines separated by "\n" or "\r\n". The
 *	envelope's mail_from is the address without angle brackets; "" is the
 *	null sender.
 *
 *	message_eom() runs SPF (MAIL FROM and HELO identities), finishes DKIM,
 *	finds the author domain, evaluates DMARC, decides the action under the
 *	configuration, and writes the Authentication-Results value.
 *
 * OWNERSHIP
 *	The engine keeps a reference to its config. The verdict belongs to
 *	the message and is freed by message_free().
 */
#ifndef AM_MESSAGE_H
#define AM_MESSAGE_H

#include <stddef.h>

#include "config/config.h"
#include "dns/resolver.h"
#include "engine/verdict.h"
#include "util/err.h"

struct envelope {
	const char *client_ip; /* textual IPv4 or IPv6 address */
	const char *helo;
	const char *mail_from; /* "" = null sender */
	const char *const *rcpts;
	size_t n_rcpts;
};

struct engine;
struct message;

struct engine *engine_new(struct config *cfg, struct am_err *err);
/* The same with a ready resolver instead of one made from cfg's dns
 * settings (for tests and fuzzing: see resolver_new_fixed()). The engine
 * owns r from then on, also when it returns NULL, and frees it with the
 * last engine_free(). */
struct engine *engine_new_with_resolver(struct config *cfg, struct resolver *r, struct am_err *err);
/* Engines are reference counted: a message in progress keeps the engine
 * (and so the configuration snapshot) it started with. engine_free()
 * drops one reference and frees the engine with the last. */
struct engine *engine_ref(struct engine *eng);
void engine_free(struct engine *eng);
const struct config *engine_config(const struct engine *eng);
/* Replace the random source of DMARC pct sampling (tests). */
void engine_set_random(struct engine *eng, unsigned (*rand100)(void *), void *arg);

struct message *message_new(struct engine *eng, const struct envelope *env);
void message_header(struct message *m, const char *name, const char *value);
void message_eoh(struct message *m);
void message_body(struct message *m, const unsigned char *buf, size_t len);
struct verdict *message_eom(struct message *m);
void message_free(struct message *m);

/*
 * The positions (1-based, among the Authentication-Results headers of the
 * message, in arrival order) of incoming Authentication-Results headers
 * that claim our authserv-id or one listed in untrusted_authserv_ids:
 * the daemon deletes these.
 */
const size_t *message_forged_authres(const struct message *m, size_t *n);

#endif
