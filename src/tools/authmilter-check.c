/*
 * authmilter-check - run the verdict engine on one message file
 *
 * SYNOPSIS
 *	authmilter-check -c FILE --ip ADDR --helo NAME --mail-from ADDR
 *	                 [--rcpt ADDR]... [--auth USER] [--json] [MESSAGE|-]
 *	authmilter-check -c FILE --domain DOMAIN [--selector S]... [--ip ADDR]
 *	                 [--json]
 *
 * DESCRIPTION
 *	Computes the verdict the milter would compute for the message and
 *	envelope given, with the same engine, configuration and local policy
 *	(allowlists, monitor mode, limits, skips), and prints the
 *	Authentication-Results header, the action, the SMTP reply and an
 *	explanation (or, with --json, one JSON object): what the daemon would
 *	do with an MTA that can hold messages. --mail-from "" is the null
 *	sender; --auth USER makes it an authenticated submission
 *	({auth_authen}). --pct-draw N (0..99) fixes the DMARC pct sampling
 *	draw, for tests.
 *
 *	With --domain it checks a sender's published records instead, with
 *	the same engine and configuration (tools/audit.h): the SPF record
 *	tree and its DNS-term and void-lookup counts (and whether --ip
 *	passes), the DMARC record, where it was found, its tags and rua/ruf
 *	destinations, and the DKIM key of each --selector; then findings,
 *	most severe first. No message is read.
 *
 * DIAGNOSTICS
 *	Exit 0 when a verdict was produced (--domain: no finding is an
 *	error), 1 (--domain only) when a finding is an error, 2 for usage or
 *	configuration errors, 3 for unreadable input; one line on stderr for
 *	each error.
 */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/message.h"
#include "tools/audit.h"
#include "tools/msgread.h"
#include "tools/output.h"
#include "util/xalloc.h"

#define CHECK_MAX_HEADER (16u * 1024 * 1024)

struct check_args {
	const char *config, *ip, *helo, *mail_from, *auth, *input, *domain;
	const char **rcpts, **selectors;
	size_t n_rcpts, n_selectors;
	bool json;
	int pct_draw; /* -1: random */
};

static void usage(void)
{
	fprintf(stderr, "usage: authmilter-check -c FILE --ip ADDR --helo NAME --mail-from ADDR "
			"[--rcpt ADDR]... [--auth USER] [--json] [--pct-draw N] [MESSAGE|-]\n"
			"       authmilter-check -c FILE --domain DOMAIN [--selector S]... "
			"[--ip ADDR] [--json]\n");
}

static int check_usage(const char *msg)
{
	fprintf(stderr, "authmilter-check: %s\n", msg);
	usage();
	return 2;
}

/* --domain: the audit takes no message and no envelope. */
static int check_parse_domain(int argc, const struct check_args *a)
{
	unsigned char buf[16];

	if (a->config == NULL)
		return check_usage("-c is required");
	if (a->helo != NULL || a->mail_from != NULL || a->n_rcpts > 0 || a->auth != NULL ||
	    a->pct_draw >= 0)
		return check_usage("--domain takes no --helo, --mail-from, --rcpt, --auth or "
				   "--pct-draw");
	if (optind < argc)
		return check_usage("--domain takes no message");
	if (a->ip != NULL && inet_pton(AF_INET, a->ip, buf) != 1 &&
	    inet_pton(AF_INET6, a->ip, buf) != 1)
		return check_usage("--ip is not an IPv4 or IPv6 address");
	return 0;
}

static int check_parse(int argc, char **argv, struct check_args *a)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},	{"ip", required_argument, NULL, 'i'},
	    {"helo", required_argument, NULL, 'h'},	{"mail-from", required_argument, NULL, 'f'},
	    {"rcpt", required_argument, NULL, 'r'},	{"auth", required_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},		{"pct-draw", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'H'},		{"domain", required_argument, NULL, 'd'},
	    {"selector", required_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
	unsigned char buf[16];
	char *end;
	int c;

	a->pct_draw = -1;
	a->rcpts = xcalloc((size_t)argc + 1, sizeof(*a->rcpts));
	a->selectors = xcalloc((size_t)argc + 1, sizeof(*a->selectors));
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'i':
			a->ip = optarg;
			break;
		case 'h':
			a->helo = optarg;
			break;
		case 'f':
			a->mail_from = optarg;
			break;
		case 'r':
			a->rcpts[a->n_rcpts++] = optarg;
			break;
		case 'a':
			a->auth = optarg;
			break;
		case 'd':
			a->domain = optarg;
			break;
		case 's':
			a->selectors[a->n_selectors++] = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'p':
			a->pct_draw = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || a->pct_draw < 0 || a->pct_draw > 99)
				return check_usage("--pct-draw takes 0..99");
			break;
		case 'H':
			usage();
			exit(0);
		default:
			usage();
			return 2;
		}
	}
	if (a->domain != NULL)
		return check_parse_domain(argc, a);
	if (a->n_selectors > 0)
		return check_usage("--selector needs --domain");
	if (a->config == NULL || a->ip == NULL || a->helo == NULL || a->mail_from == NULL)
		return check_usage("-c, --ip, --helo and --mail-from are required");
	if (inet_pton(AF_INET, a->ip, buf) != 1 && inet_pton(AF_INET6, a->ip, buf) != 1)
		return check_usage("--ip is not an IPv4 or IPv6 address");
	if (optind + 1 < argc)
		return check_usage("at most one message file");
	a->input = optind < argc ? argv[optind] : "-";
	return 0;
}

static unsigned check_fixed_draw(void *arg)
{
	return (unsigned)*(int *)arg;
}

static int check_run(struct engine *eng, const struct check_args *a)
{
	/* as the daemon does: the connection's lookups at once (connect, HELO),
	 * the message's with it */
	struct session *s = session_new(eng, a->ip);
	struct envelope env = {a->ip,	   a->helo, a->mail_from, a->rcpts,
			       a->n_rcpts, a->auth, false,	  s};
	FILE *fp = strcmp(a->input, "-") == 0 ? stdin : fopen(a->input, "rb");
	struct am_err err = {""};
	struct message *m;
	int rc;

	if (fp == NULL) {
		fprintf(stderr, "authmilter-check: %s: %m\n", a->input);
		session_free(s);
		return 3;
	}
	session_helo(s, a->helo);
	m = message_new(eng, &env);
	rc = message_skip(m) != NULL ? 0 : msgread_feed(fp, m, CHECK_MAX_HEADER, &err);
	if (fp != stdin)
		fclose(fp);
	if (rc != 0) {
		fprintf(stderr, "authmilter-check: %s: %s\n", a->input, err.msg);
		message_free(m);
		session_free(s);
		return 3;
	}
	output_print(stdout, a->json, message_eom(m));
	message_free(m);
	session_free(s);
	return 0;
}

int main(int argc, char **argv)
{
	struct check_args a;
	struct am_err err = {""};
	struct config *cfg;
	struct dmarc_ctx *psl;
	struct engine *eng;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = check_parse(argc, argv, &a);
	if (rc != 0) {
		free(a.rcpts);
		free(a.selectors);
		return rc;
	}
	cfg = config_load(a.config, &err);
	if (cfg == NULL) {
		fprintf(stderr, "authmilter-check: %s\n", err.msg);
		free(a.rcpts);
		free(a.selectors);
		return 2;
	}
	psl = dmarc_ctx_new(AM_PSL_FILE, &err);
	eng = psl != NULL ? engine_new(cfg, psl, &err) : NULL;
	config_unref(cfg);
	if (eng == NULL) {
		fprintf(stderr, "authmilter-check: %s\n", err.msg);
		free(a.rcpts);
		free(a.selectors);
		return 2;
	}
	if (a.pct_draw >= 0)
		engine_set_random(eng, check_fixed_draw, &a.pct_draw);
	if (a.domain != NULL) {
		struct audit_args aa = {a.domain, a.selectors, a.n_selectors, a.ip, a.json};

		rc = audit_main(eng, psl, &aa);
	} else {
		rc = check_run(eng, &a);
	}
	engine_free(eng);
	free(a.rcpts);
	free(a.selectors);
	return rc;
}
