/*
 * escape - write untrusted text safely into logs, explanations and JSON
 *
 * escape_add() appends s with every byte outside printable ASCII, and the
 * backslash, written as \xNN: no value from the network can start a new
 * line or carry terminal control sequences into what we print.
 * json_add_string() appends s as a JSON string literal (quotes included);
 * bytes that are not valid UTF-8 are written as \u00NN of the byte. NULL
 * is written as JSON null.
 */
#ifndef AM_ESCAPE_H
#define AM_ESCAPE_H

#include "util/strbuf.h"

void escape_add(struct strbuf *sb, const char *s);
void json_add_string(struct strbuf *sb, const char *s);

#endif
