/*
 * mproto - the filter side of the Sendmail milter protocol (version 6)
 *
 * SYNOPSIS
 *	struct mproto *mp = mproto_new(&callbacks, NULL);
 *	for (;;) {
 *		n = read(fd, buf, sizeof(buf));       (the caller does I/O)
 *		rc = mproto_input(mp, buf, n);
 *		write(fd, mproto_output(mp), ...);    then mproto_output_clear()
 *		if (rc != MPROTO_OK) break;
 *	}
 *	mproto_free(mp);                               (calls close if needed)
 *
 * DESCRIPTION
 *	One MTA connection: splits the byte stream into packets (4-byte
 *	big-endian length, command byte, data), checks each against the
 *	protocol (lengths, NUL-terminated strings, the order of commands),
 *	calls the filter's callbacks and queues the replies in an output
 *	buffer. It does no I/O and no logging, so a whole conversation can be
 *	replayed from bytes (tests, fuzzing).
 *
 *	Replies are sent only where the protocol wants one: not for steps the
 *	filter negotiated as "no reply" (SMFIP_NR_*), not for macros and
 *	abort. Header changes (mproto_insheader() and the others) are allowed
 *	only inside the eom callback and only for actions the MTA offered;
 *	they are queued before the final reply, in call order.
 *
 *	Macros are kept per stage (connect, HELO, MAIL, RCPT, DATA, end of
 *	headers, end of message) and looked up from the current stage back to
 *	connect, as libmilter's smfi_getsymval() does; "i" and "{i}" are the
 *	same name. A new MAIL clears the macros of MAIL and later stages.
 *
 * DIAGNOSTICS
 *	mproto_input() returns MPROTO_OK to go on reading, MPROTO_CLOSE after
 *	QUIT or a filter that ended the connection, and MPROTO_ERROR for a
 *	protocol violation (mproto_error() says which); in both last cases
 *	the caller flushes the output and closes the socket. Limits: a packet
 *	is at most MPROTO_MAX_PACKET bytes; the callbacks see at most
 *	MPROTO_MAX_ARGS MAIL or RCPT arguments (the address and the first
 *	ESMTP parameters).
 */
#ifndef AM_MPROTO_H
#define AM_MPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define MPROTO_VERSION 6
#define MPROTO_MAX_PACKET (1024 * 1024) /* command byte and data */
#define MPROTO_MAX_ARGS 64		/* MAIL or RCPT arguments */

/* Actions the filter may take (SMFIF_*), as on the wire. */
#define MPROTO_ACT_ADDHDRS 0x01u
#define MPROTO_ACT_CHGHDRS 0x10u
#define MPROTO_ACT_QUARANTINE 0x20u
#define MPROTO_ACT_SETSYMLIST 0x100u

/* Protocol steps (SMFIP_*), as on the wire. */
#define MPROTO_NOCONNECT 0x1u
#define MPROTO_NOHELO 0x2u
#define MPROTO_NOMAIL 0x4u
#define MPROTO_NORCPT 0x8u
#define MPROTO_NOBODY 0x10u
#define MPROTO_NOHDRS 0x20u
#define MPROTO_NOEOH 0x40u
#define MPROTO_NR_HDR 0x80u
#define MPROTO_NOUNKNOWN 0x100u
#define MPROTO_NODATA 0x200u
#define MPROTO_SKIP 0x400u
#define MPROTO_RCPT_REJ 0x800u
#define MPROTO_NR_CONN 0x1000u
#define MPROTO_NR_HELO 0x2000u
#define MPROTO_NR_MAIL 0x4000u
#define MPROTO_NR_RCPT 0x8000u
#define MPROTO_NR_DATA 0x10000u
#define MPROTO_NR_UNKN 0x20000u
#define MPROTO_NR_EOH 0x40000u
#define MPROTO_NR_BODY 0x80000u
#define MPROTO_HDR_LEADSPC 0x100000u

/* Macro stages, for mproto_setsymlist() (SMFIM_*, as on the wire). */
enum mproto_stage {
	MPROTO_M_CONNECT = 0,
	MPROTO_M_HELO,
	MPROTO_M_ENVFROM,
	MPROTO_M_ENVRCPT,
	MPROTO_M_DATA,
	MPROTO_M_EOM,
	MPROTO_M_EOH,
	MPROTO_M_NSTAGES
};

/* What a callback tells the MTA. */
enum mproto_stat {
	MPROTO_CONTINUE, /* go on with this message */
	MPROTO_ACCEPT,	 /* accept; no more callbacks for this message */
	MPROTO_REJECT,	 /* 5xx (mproto_setreply() may set the text) */
	MPROTO_TEMPFAIL	 /* 4xx (likewise) */
};

enum mproto_rc { MPROTO_OK, MPROTO_CLOSE, MPROTO_ERROR };

struct mproto;

/*
 * The filter. Every callback may be NULL (continue). negotiate gets what
 * the MTA offers and sets what the filter wants (a subset); returning
 * anything but MPROTO_CONTINUE refuses the connection. hostaddr is NULL
 * when the MTA has no network peer (family 'U' or 'L').
 */
struct mproto_callbacks {
	enum mproto_stat (*negotiate)(struct mproto *mp, uint32_t actions, uint32_t steps,
				      uint32_t *want_actions, uint32_t *want_steps);
	enum mproto_stat (*connect)(struct mproto *mp, const char *hostname,
				    const struct sockaddr *hostaddr);
	enum mproto_stat (*helo)(struct mproto *mp, const char *helo);
	enum mproto_stat (*envfrom)(struct mproto *mp, const char **argv);
	enum mproto_stat (*envrcpt)(struct mproto *mp, const char **argv);
	enum mproto_stat (*header)(struct mproto *mp, const char *name, const char *value);
	enum mproto_stat (*eoh)(struct mproto *mp);
	enum mproto_stat (*body)(struct mproto *mp, const unsigned char *buf, size_t len);
	enum mproto_stat (*eom)(struct mproto *mp);
	void (*abort)(struct mproto *mp);
	void (*close)(struct mproto *mp);
};

/* cb must outlive the session; priv is the filter's, see mproto_priv(). */
struct mproto *mproto_new(const struct mproto_callbacks *cb, void *priv);
/* Calls close if connect was called and close was not; NULL is a no-op. */
void mproto_free(struct mproto *mp);

/* Consumes n bytes of input (any split); see DIAGNOSTICS. */
enum mproto_rc mproto_input(struct mproto *mp, const void *buf, size_t n);
/* Replies waiting to be written (*len bytes), and forgetting them. */
const void *mproto_output(const struct mproto *mp, size_t *len);
void mproto_output_clear(struct mproto *mp);
/* What the last MPROTO_ERROR was about (a static string). */
const char *mproto_error(const struct mproto *mp);

void *mproto_priv(const struct mproto *mp);
void mproto_set_priv(struct mproto *mp, void *priv);
/* Whether the option negotiation (the MTA's first packet) is done. */
bool mproto_negotiated(const struct mproto *mp);
/* The negotiated steps (valid after negotiation). */
uint32_t mproto_steps(const struct mproto *mp);
/* The actions negotiated (MPROTO_ACT_*): what the filter may ask at EOM. */
uint32_t mproto_actions(const struct mproto *mp);
/* A macro's value, or NULL. */
const char *mproto_getsymval(const struct mproto *mp, const char *name);

/* From negotiate only, when the MTA offered SETSYMLIST: 0 or -1. */
int mproto_setsymlist(struct mproto *mp, enum mproto_stage stage, const char *macros);
/* The text of a following REJECT or TEMPFAIL ("550", "5.7.1", "text");
 * codes that do not match that reply are ignored, as libmilter does. */
void mproto_setreply(struct mproto *mp, const char *rcode, const char *xcode, const char *text);
/* Header changes, from eom only: 0, or -1 outside eom or when the action
 * was not negotiated. value NULL in mproto_chgheader() deletes. */
int mproto_insheader(struct mproto *mp, unsigned idx, const char *name, const char *value);
int mproto_chgheader(struct mproto *mp, const char *name, unsigned idx, const char *value);
int mproto_addheader(struct mproto *mp, const char *name, const char *value);
int mproto_quarantine(struct mproto *mp, const char *reason);

#endif
