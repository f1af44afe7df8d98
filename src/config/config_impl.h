/*
 * config_impl - what config.c and config_check.c share
 */
#ifndef AM_CONFIG_IMPL_H
#define AM_CONFIG_IMPL_H

#include "config/config.h"
#include "util/err.h"

/* The checks of config_check.c on a config whose keys are stored: 0, or
 * -1 with err naming the file and key. Fills the derived fields
 * (networks, the syslog facility code, the authserv-id default) and
 * turns domain lists into A-labels. */
int config_check(struct config *cfg, const char *name, struct am_err *err);

#endif
