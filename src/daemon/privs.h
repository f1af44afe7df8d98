/*
 * privs - the milter socket and the unprivileged user
 *
 * privs_prepare_socket() makes a "local:" socket path safe to bind: a
 * stale socket file is removed, but only when it is a socket and nothing
 * answers on it (another authmilter still running is an error), and the
 * directory is created (0750) when missing. Other schemes are left alone.
 * privs_socket_owner() gives a bound local socket its mode and group.
 * privs_drop() switches to the configured user and group when running as
 * root and refuses to go on as root unless allow_root is set.
 * Each returns 0, or -1 with err filled.
 */
#ifndef AM_PRIVS_H
#define AM_PRIVS_H

#include "config/config.h"
#include "util/err.h"

int privs_prepare_socket(const struct config *cfg, struct am_err *err);
int privs_socket_owner(const struct config *cfg, struct am_err *err);
int privs_drop(const struct config *cfg, struct am_err *err);

#endif
