/*
 * config_impl - what config.c, config_check.c and config_dump.c share
 */
#ifndef AM_CONFIG_IMPL_H
#define AM_CONFIG_IMPL_H

#include <stddef.h>

#include "config/config.h"
#include "util/err.h"

enum key_type { KT_STRING, KT_FLOAT, KT_UINT, KT_BOOL, KT_ENUM, KT_STRLIST, KT_MODE };

/* One setting: its path in the file, type, default, range (numbers: the
 * value; strings: the length; lists: the count) and where it lands in
 * struct config. config_keys[] in config.c is the one place settings
 * are declared. */
struct config_key {
	const char *path;
	enum key_type type;
	size_t offset;
	const char *def_str; /* KT_STRING, KT_ENUM, KT_MODE; KT_STRLIST "a,b" */
	double def_num;	     /* KT_FLOAT, KT_UINT, KT_BOOL */
	double min, max;
	const char *const *names; /* KT_ENUM */
};

extern const struct config_key config_keys[];
extern const size_t config_n_keys;

/* The checks of config_check.c on a config whose keys are stored: 0, or
 * -1 with err naming the file and key. Fills the derived fields
 * (networks, the syslog facility code, the authserv-id default) and
 * turns domain lists into A-labels. */
int config_check(struct config *cfg, const char *name, struct am_err *err);

#endif
