/*
 * config_dump - the effective configuration, key by key (authmilter -p)
 *
 * SYNOPSIS
 *	config_dump(cfg, stdout);
 *
 * DESCRIPTION
 *	Writes one line per key of config_keys[], in table order:
 *
 *		dns.timeout = 2.0; # default
 *		policy.mode = "monitor"; # set
 *
 *	The value is in libconfig syntax (strings quoted and escaped, lists
 *	in brackets). "default" means the value equals the built-in default
 *	(whether or not the file names the key); "set" means it differs. A
 *	password= in reporting.store's connection string is printed as
 *	"***", so the output can be pasted into a ticket.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_impl.h"
#include "util/strbuf.h"

static const void *key_field(const struct config *cfg, const struct config_key *k)
{
	return (const char *)cfg + k->offset;
}

static void dump_string(struct strbuf *sb, const char *s)
{
	const unsigned char *p;

	strbuf_addc(sb, '"');
	for (p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addf(sb, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_addf(sb, "\\x%02x", *p);
		else
			strbuf_addc(sb, (char)*p);
	}
	strbuf_addc(sb, '"');
}

/* reporting.store with the value of password= replaced by ***. */
static void dump_store(struct strbuf *sb, const char *s)
{
	const char *pw = strstr(s, "password=");
	struct strbuf tmp = STRBUF_INIT;
	size_t skip;

	if (pw == NULL) {
		dump_string(sb, s);
		return;
	}
	pw += strlen("password=");
	strbuf_add(&tmp, s, (size_t)(pw - s));
	strbuf_adds(&tmp, "***");
	skip = *pw == '\'' ? strcspn(pw + 1, "'") + 2 : strcspn(pw, " \t");
	strbuf_adds(&tmp, pw + (skip < strlen(pw) ? skip : strlen(pw)));
	dump_string(sb, strbuf_str(&tmp));
	strbuf_free(&tmp);
}

/* The value of one key, in libconfig syntax. */
static void dump_value(struct strbuf *sb, const struct config *cfg, const struct config_key *k)
{
	const void *f = key_field(cfg, k);
	const struct strlist *sl;
	char num[64];
	size_t i;

	switch (k->type) {
	case KT_STRING:
		if (strcmp(k->path, "reporting.store") == 0)
			dump_store(sb, *(char *const *)f);
		else
			dump_string(sb, *(char *const *)f);
		break;
	case KT_FLOAT: /* shortest form, read back as a float */
		snprintf(num, sizeof(num), "%g", *(const double *)f);
		strbuf_adds(sb, num);
		if (strpbrk(num, ".en") == NULL)
			strbuf_adds(sb, ".0");
		break;
	case KT_UINT:
		strbuf_addf(sb, "%u", *(const unsigned *)f);
		break;
	case KT_BOOL:
		strbuf_adds(sb, *(const bool *)f ? "true" : "false");
		break;
	case KT_ENUM:
		dump_string(sb, *(const int *)f >= 0 ? k->names[*(const int *)f] : "");
		break;
	case KT_MODE:
		strbuf_addf(sb, "\"%04o\"", *(const unsigned *)f);
		break;
	case KT_STRLIST:
		sl = f;
		strbuf_adds(sb, "[");
		for (i = 0; i < sl->n; i++) {
			strbuf_adds(sb, i > 0 ? ", " : " ");
			dump_string(sb, sl->v[i]);
		}
		strbuf_adds(sb, sl->n > 0 ? " ]" : "]");
		break;
	}
}

void config_dump(const struct config *cfg, FILE *fp)
{
	struct config *def = config_default();
	struct strbuf val = STRBUF_INIT, dval = STRBUF_INIT;
	size_t i;

	for (i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];

		strbuf_reset(&val);
		strbuf_reset(&dval);
		dump_value(&val, cfg, k);
		if (def != NULL)
			dump_value(&dval, def, k);
		fprintf(fp, "%s = %s; # %s\n", k->path, strbuf_str(&val),
			strcmp(strbuf_str(&val), strbuf_str(&dval)) == 0 ? "default" : "set");
	}
	strbuf_free(&val);
	strbuf_free(&dval);
	config_unref(def);
}
