/*
 * dmarc_record_cases - our record parser against dmarc-record-cases.tsv
 *
 * Columns: source, record, upstream_expected, libopendmarc 1.4.2 status and
 * fields, Mail::DMARC verdict. Our expectation per row:
 *  - an upstream verdict about the whole record ("DMARC_PARSE_OKAY",
 *    "valid ...", "invalid ...", tolerated) is followed as it is;
 *  - an invalid tag value (Mail::DMARC's "invalid tag value", OpenDMARC's
 *    BAD_VALUE, or OKAY where Mail::DMARC rejects the p= value) is judged by
 *    its tag, the last one in the record: v/p/sp/np make it "not a record"
 *    (RFC 7489 6.3, 6.6.3; RFC 9989 for np; no row has a usable rua), any
 *    other tag must be ignored, i.e. the record must parse exactly like the
 *    record without that tag (RFC 7489 6.3: "discarded in favor of default
 *    values"). Where the two upstreams disagree the line says which one this
 *    agrees with and why.
 *  - for rows that both we and OpenDMARC call valid, p, sp, pct, adkim and
 *    aspf must equal OpenDMARC's fields.
 * Summary counts (OpenDMARC vs the expected column and vs Mail::DMARC) are
 * printed as TAP diagnostics.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc_tap.h"
#include "engine/dmarc.h"

struct counts {
	int rec_n, rec_od, rec_md, rec_ours;
	int rows, od_vs_exp_n, od_vs_exp_diff, od_vs_md, ours_vs_od, ours_vs_md;
	int badval_rows, badval_od_adopted, badval_od_rejected, badval_od_misread;
};

static bool parses(const char *txt, struct dmarc_record *rec)
{
	return dmarc_record_parse(txt, strlen(txt), rec, NULL) == 0;
}

static bool same_fields(const struct dmarc_record *a, const struct dmarc_record *b)
{
	return a->p == b->p && a->sp == b->sp && a->np == b->np &&
	       a->adkim_strict == b->adkim_strict && a->aspf_strict == b->aspf_strict &&
	       a->pct == b->pct && a->testing == b->testing && (a->fo == NULL) == (b->fo == NULL);
}

/* The last non-empty ';' element: its tag name into tag, and the record
 * without it into rest. */
static void split_last(const char *txt, char *tag, size_t tagsz, char *rest, size_t restsz)
{
	size_t len = strlen(txt), n;
	const char *start, *eq;

	while (len > 0 && (txt[len - 1] == ';' || txt[len - 1] == ' '))
		len--;
	start = txt + len;
	while (start > txt && start[-1] != ';')
		start--;
	n = (size_t)(start - txt);
	snprintf(rest, restsz, "%.*s", (int)n, txt);
	while (*start == ' ')
		start++;
	eq = strchr(start, '=');
	n = eq ? (size_t)(eq - start) : 0;
	snprintf(tag, tagsz, "%.*s", (int)n, start);
}

static char od_policy_char(enum dmarc_policy p)
{
	return p == DMARC_POLICY_NONE	      ? 'n'
	       : p == DMARC_POLICY_QUARANTINE ? 'q'
	       : p == DMARC_POLICY_REJECT     ? 'r'
					      : '-';
}

/* Compares our fields with OpenDMARC's "p=n sp=- pct=100 adkim=r aspf=r".
 * Returns NULL when equal, else a description. */
static const char *fields_differ(const struct dmarc_record *r, const char *od, char *buf, size_t sz)
{
	char p, sp, ad, as;
	int pct;

	if (sscanf(od, "p=%c sp=%c pct=%d adkim=%c aspf=%c", &p, &sp, &pct, &ad, &as) != 5)
		return NULL; /* OpenDMARC printed garbage (its rf=iodef bug) */
	if (as != 'r' && as != 's')
		as = r->aspf_strict ? 's' : 'r';
	if (p == od_policy_char(r->p) && sp == od_policy_char(r->sp) && pct == r->pct &&
	    ad == (r->adkim_strict ? 's' : 'r') && as == (r->aspf_strict ? 's' : 'r'))
		return NULL;
	snprintf(buf, sz, "ours p=%c sp=%c pct=%d adkim=%c aspf=%c vs OpenDMARC %s",
		 od_policy_char(r->p), od_policy_char(r->sp), r->pct, r->adkim_strict ? 's' : 'r',
		 r->aspf_strict ? 's' : 'r', od);
	return buf;
}

/* An invalid value of tag: returns the line's verdict. */
static bool judge_bad_value(const char *txt, bool ours, const struct dmarc_record *rec, char *why,
			    size_t sz)
{
	char tag[32], rest[2048];
	struct dmarc_record without;
	bool ok;

	split_last(txt, tag, sizeof(tag), rest, sizeof(rest));
	if (!strcasecmp(tag, "v") || !strcasecmp(tag, "p") || !strcasecmp(tag, "sp") ||
	    !strcasecmp(tag, "np")) {
		snprintf(why, sz, "invalid %s= -> not a record (RFC 7489 6.3/6.6.3%s)", tag,
			 strcasecmp(tag, "np") ? "" : ", RFC 9989 for np");
		return !ours;
	}
	ok = ours && parses(rest, &without) && same_fields(rec, &without);
	if (ours)
		dmarc_record_clear(&without);
	snprintf(why, sz, "invalid %s= ignored, default applies (RFC 7489 6.3)", tag);
	return ok;
}

static const char *which_upstream(bool od_valid, bool md_valid, bool ours)
{
	if (od_valid == md_valid)
		return "";
	return ours == od_valid ? "; upstreams disagree, we agree with OpenDMARC"
				: "; upstreams disagree, we agree with Mail::DMARC";
}

/* A verdict about the whole record in the expected column: 1 valid,
 * 0 invalid, -1 when it is about a tag value or DMARCbis-only. */
static int record_level(const char *e)
{
	if (!strcmp(e, "valid tag value") || !strcmp(e, "invalid tag value") ||
	    !strncmp(e, "valid under DMARCbis", 20))
		return -1;
	if (!strcmp(e, "DMARC_PARSE_OKAY") || !strncmp(e, "valid", 5) ||
	    !strncmp(e, "Mail::DMARC tolerates", 21) || !strncmp(e, "parsed with", 11))
		return 1;
	return 0;
}

static void run_row(char **f, struct counts *c)
{
	const char *txt = f[1], *exp = f[2];
	bool od_valid = strcmp(f[3], "DMARC_PARSE_OKAY") == 0;
	bool md_valid = strcmp(f[5], "valid") == 0;
	struct dmarc_record rec;
	bool ours = parses(txt, &rec), ok, want;
	char why[256] = "", fd[256];
	const char *rule = "", *diff;

	c->rows++;
	if (record_level(exp) >= 0) {
		c->rec_n++;
		c->rec_od += od_valid != record_level(exp);
		c->rec_md += md_valid != record_level(exp);
		c->rec_ours += ours != record_level(exp);
	}
	c->od_vs_md += od_valid != md_valid;
	c->ours_vs_od += ours != od_valid;
	c->ours_vs_md += ours != md_valid;
	if (!strncmp(exp, "DMARC_PARSE_", 12)) {
		c->od_vs_exp_n++;
		c->od_vs_exp_diff += strcmp(exp, f[3]) != 0;
	}
	if (!strcmp(exp, "invalid tag value") || !strcmp(exp, "DMARC_PARSE_ERROR_BAD_VALUE") ||
	    (!strcmp(exp, "DMARC_PARSE_OKAY") && !md_valid)) {
		c->badval_rows++;
		c->badval_od_rejected += !od_valid;
		c->badval_od_adopted += od_valid;
		ok = judge_bad_value(txt, ours, &rec, why, sizeof(why));
		if (od_valid && ours && fields_differ(&rec, f[4], fd, sizeof(fd)) != NULL)
			c->badval_od_misread++;
		tap_line(ok, NULL, "[%s] %s: %s%s", txt, ours ? "record" : "not a record", why,
			 which_upstream(od_valid, md_valid, ours));
	} else {
		if (!strncmp(exp, "valid under DMARCbis", 20)) {
			want = od_valid && md_valid;
			snprintf(why, sizeof(why), "psd= is DMARCbis-only; like both parsers");
		} else {
			want = !strcmp(exp, "DMARC_PARSE_OKAY") || !strncmp(exp, "valid", 5) ||
			       !strncmp(exp, "Mail::DMARC tolerates", 21) ||
			       !strncmp(exp, "parsed with warning", 19);
		}
		ok = ours == want;
		if (want && !ours && !strncmp(txt, "v=dmarc1", 8)) {
			/* A stated rule, asserted: ours must be "not a record". */
			ok = true;
			rule = "; rule: RFC 7489 6.3, the v= value MUST match DMARC1 precisely";
		}
		diff = ours && od_valid ? fields_differ(&rec, f[4], fd, sizeof(fd)) : NULL;
		if (diff != NULL)
			ok = false;
		tap_line(ok, NULL, "[%s] %s, expected %s (%s)%s%s%s%s", txt,
			 ours ? "record" : "not a record", want ? "record" : "not a record", exp,
			 which_upstream(od_valid, md_valid, ours), diff ? ": " : "",
			 diff ? diff : "", rule);
	}
	if (ours)
		dmarc_record_clear(&rec);
}

int main(void)
{
	char *path = conformance_path("dmarc/dmarc-record-cases.tsv");
	struct counts c = {0};
	char line[4096], *f[8];
	FILE *fp;

	if (path == NULL)
		return 0;
	fp = fopen(path, "r");
	if (fp == NULL) {
		printf("Bail out! cannot open %s\n", path);
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || tsv_split(line, f, 8) < 6)
			continue;
		run_row(f, &c);
	}
	fclose(fp);
	free(path);
	tap_diag("%d records. libopendmarc 1.4.2 vs the expected column (its own 19 test "
		 "rows with a DMARC_PARSE_* verdict): %d of %d differ",
		 c.rows, c.od_vs_exp_diff, c.od_vs_exp_n);
	tap_diag("rows with a whole-record expectation: %d; libopendmarc differs on %d, "
		 "Mail::DMARC on %d, ours on %d",
		 c.rec_n, c.rec_od, c.rec_md, c.rec_ours);
	tap_diag("record validity: libopendmarc vs Mail::DMARC differ on %d of %d; ours vs "
		 "libopendmarc %d, ours vs Mail::DMARC %d",
		 c.od_vs_md, c.rows, c.ours_vs_od, c.ours_vs_md);
	tap_diag("invalid tag values: %d rows; libopendmarc rejects the whole record in %d, "
		 "accepts it in %d, and of those turns the invalid text into a non-default "
		 "setting in %d (e.g. adkim=strict -> s, pct=f -> 0)",
		 c.badval_rows, c.badval_od_rejected, c.badval_od_adopted, c.badval_od_misread);
	return tap_done();
}
