/*
 * msgread - stream an RFC 5322 message from a file into the engine
 *
 * msgread_feed() reads fp header by header (a header's value keeps its
 * continuation lines, joined with "\r\n") and then the body in chunks,
 * handing each to the message as it is read; the message is never held
 * whole. A leading mbox "From " line is skipped. A line in the header
 * section that is neither a header nor a continuation ends the header
 * section and starts the body, as MTAs do.
 * Returns 0, or -1 with err filled when the input cannot be read or a
 * header exceeds max_header bytes.
 */
#ifndef AM_MSGREAD_H
#define AM_MSGREAD_H

#include <stdio.h>

#include "engine/message.h"
#include "util/err.h"

int msgread_feed(FILE *fp, struct message *m, size_t max_header, struct am_err *err);

#endif
