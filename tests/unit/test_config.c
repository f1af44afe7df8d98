/*
 * test_config - configuration loading: defaults, values, and errors that
 * name the key and the line
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <syslog.h>

#include "config/config.h"

static void test_defaults(void **state)
{
	struct config *cfg = config_default();

	assert_non_null(cfg);
	assert_int_equal(cfg->nameservers.n, 0);
	assert_true(cfg->dns_timeout > 1.99 && cfg->dns_timeout < 2.01);
	assert_int_equal(cfg->spf_limits.dns_mechanisms, 10);
	assert_int_equal(cfg->spf_limits.void_lookups, 2);
	assert_int_equal(cfg->spf_limits.time_limit, 20);
	assert_int_equal(cfg->dkim_max_signatures, 5);
	assert_int_equal(cfg->dkim_min_key_bits, 1024);
	assert_int_equal(cfg->dmarc_pct, DMARC_PCT_SAMPLE);
	assert_int_equal(cfg->dmarc_discovery, DMARC_DISCOVERY_TREEWALK);
	assert_int_equal(cfg->act_dmarc_reject, ACTION_REJECT);
	assert_int_equal(cfg->act_dmarc_quarantine, ACTION_QUARANTINE);
	assert_int_equal(cfg->act_multiple_from, ACTION_REJECT);
	assert_int_equal(cfg->on_error, ON_ERROR_TEMPFAIL);
	assert_int_equal(cfg->mode, MODE_ENFORCE);
	assert_int_equal(cfg->quarantine, QUARANTINE_HOLD);
	assert_int_equal(cfg->socket_mode, 0660);
	assert_int_equal(cfg->syslog_facility, LOG_MAIL);
	assert_true(cfg->skip_authenticated);
	assert_int_equal(cfg->max_connections, 1000);
	assert_int_equal(cfg->idle_timeout, 7210);
	assert_int_equal(cfg->negotiate_timeout, 10);
	assert_int_equal(cfg->dkim_body_length, DKIM_BODY_LENGTH_STRICT);
	assert_true(cfg->iprev_enabled);
	assert_int_equal(cfg->trusted_networks.n, 2);
	{
		struct am_addr lo;

		assert_true(addr_parse("127.0.0.2", &lo));
		assert_true(netlist_match(&cfg->trusted_networks, &lo));
		assert_true(addr_parse("::1", &lo));
		assert_true(netlist_match(&cfg->trusted_networks, &lo));
	}
	assert_false(cfg->allow_root);
	assert_string_equal(cfg->socket, "local:/run/authmilter/authmilter.sock");
	assert_true(cfg->authserv_id[0] != '\0');
	assert_memory_equal(cfg->reject_reply, "550 5.7.26 ", 11);
	assert_memory_equal(cfg->tempfail_reply, "451 4.4.3 ", 10);
	assert_false(cfg->reporting_enabled);
	assert_string_equal(cfg->report_store, "sqlite:/var/lib/authmilter/reports.db");
	assert_string_equal(cfg->report_sendmail, "/usr/sbin/sendmail -t -oi");
	assert_string_equal(cfg->report_smtp, "");
	assert_int_equal(cfg->report_retry_days, 3);
	assert_int_equal(cfg->report_keep_days, 14);
	assert_int_equal(cfg->report_queue, 10000);
	assert_int_equal(cfg->report_exclude.n, 0);
	config_unref(cfg);
}

static void test_values(void **state)
{
	static const char text[] =
	    "authserv_id = \"mx.example.org\";\n"
	    "dns = { nameservers = [\"127.0.0.1@5353\", \"::1\"]; timeout = 1; };\n"
	    "dkim = { max_signatures = 7; };\n"
	    "dmarc = { pct = \"ignore\"; discovery = \"psl\"; };\n"
	    "iprev = { enabled = false; };\n"
	    "policy = { dmarc_quarantine = \"reject\"; on_error = \"accept\"; };\n";
	struct am_err err = {""};
	struct config *cfg = config_parse(text, "t.conf", &err);

	assert_non_null(cfg);
	assert_string_equal(cfg->authserv_id, "mx.example.org");
	assert_int_equal(cfg->nameservers.n, 2);
	assert_string_equal(cfg->nameservers.v[0], "127.0.0.1@5353");
	assert_string_equal(cfg->nameservers.v[1], "::1");
	assert_true(cfg->dns_timeout > 0.99 && cfg->dns_timeout < 1.01);
	assert_int_equal(cfg->dkim_max_signatures, 7);
	assert_int_equal(cfg->dmarc_pct, DMARC_PCT_IGNORE);
	assert_int_equal(cfg->dmarc_discovery, DMARC_DISCOVERY_PSL);
	assert_false(cfg->iprev_enabled);
	assert_int_equal(cfg->act_dmarc_quarantine, ACTION_REJECT);
	assert_int_equal(cfg->on_error, ON_ERROR_ACCEPT);
	config_unref(config_ref(cfg)); /* a second reference keeps it alive */
	assert_string_equal(cfg->authserv_id, "mx.example.org");
	config_unref(cfg);
	cfg = config_parse("policy = { trusted_networks = [\"192.0.2.0/24\", \"2001:db8::/32\"];\n"
			   "  allow_domains = [\"esp.example\"]; mode = \"monitor\";\n"
			   "  quarantine = \"header\"; };\n"
			   "socket_mode = \"0600\"; syslog_facility = \"local3\";\n",
			   "t.conf", &err);
	assert_non_null(cfg);
	{
		struct am_addr in4, in6, out;

		assert_true(addr_parse("192.0.2.200", &in4));
		assert_true(addr_parse("2001:db8::25", &in6));
		assert_true(addr_parse("198.51.100.1", &out));
		assert_true(netlist_match(&cfg->trusted_networks, &in4));
		assert_true(netlist_match(&cfg->trusted_networks, &in6));
		assert_false(netlist_match(&cfg->trusted_networks, &out));
	}
	assert_true(domainlist_match(&cfg->allow_domains, "ESP.example"));
	assert_true(domainlist_match(&cfg->allow_domains, "mail.esp.example"));
	assert_false(domainlist_match(&cfg->allow_domains, "notesp.example"));
	assert_int_equal(cfg->mode, MODE_MONITOR);
	assert_int_equal(cfg->quarantine, QUARANTINE_HEADER);
	assert_int_equal(cfg->socket_mode, 0600);
	assert_int_equal(cfg->syslog_facility, LOG_LOCAL3);
	config_unref(cfg);
	cfg =
	    config_parse("reporting = { enabled = true; store = \"postgresql:host=db dbname=r\";\n"
			 "  email = \"dmarc@example.org\"; smtp = \"[::1]:2525\";\n"
			 "  exclude_domains = [\"Example.ORG\", \"\xc3\xa9x.example\"]; };\n",
			 "t.conf", &err);
	if (cfg == NULL)
		fail_msg("%s", err.msg);
	assert_true(cfg->reporting_enabled);
	assert_string_equal(cfg->report_store, "postgresql:host=db dbname=r");
	assert_string_equal(cfg->report_smtp, "[::1]:2525");
	assert_true(domainlist_match(&cfg->report_exclude, "mail.example.org"));
	assert_string_equal(cfg->report_exclude.v[1], "xn--x-9fa.example");
	config_unref(cfg);
}

/* Each bad file must fail with an error that names the line and the key. */
static const struct {
	const char *text;
	const char *expect; /* substring of the error */
} bad[] = {
    {"\n\nbogus = 1;\n", "t.conf:3: bogus: unknown key"},
    /* libconfig would exit() on an @include of a directory (fuzz_config) */
    {"@include \"/etc/\"\n", "t.conf:1: @include is not supported"},
    {"debug = true;\n \t@include \"/etc/passwd\"\n", "t.conf:2: @include is not supported"},
    {"metrics = { listen = \"localhost:9806\"; };\n", "metrics.listen: \"localhost:9806\" is not"},
    {"metrics = { listen = \"[127.0.0.1]:9806\"; };\n", "metrics.listen:"},
    {"metrics = { listen = \"127.0.0.1:0\"; };\n", "metrics.listen:"},
    {"dns = {\n  timeuot = 2.0; };\n", "t.conf:2: dns.timeuot: unknown key"},
    {"dns = { timeout = 0.0; };\n", "dns.timeout: 0 is out of range"},
    {"dns = { timeout = \"2\"; };\n", "dns.timeout: expected a number"},
    {"dkim = { max_signatures = 0; };\n", "dkim.max_signatures: 0 is out of range"},
    {"dkim = { min_key_bits = 512; };\n", "dkim.min_key_bits: 512 is out of range"},
    {"dkim = { max_signatures = 2.5; };\n", "dkim.max_signatures: expected an integer"},
    {"dmarc = { pct = \"maybe\"; };\n", "dmarc.pct: \"maybe\" is not one of"},
    {"dmarc = { discovery = \"dns\"; };\n",
     "dmarc.discovery: \"dns\" is not one of \"treewalk\", \"psl\""},
    {"policy = { no_from = \"drop\"; };\n", "policy.no_from: \"drop\" is not one of"},
    {"spf = { check_helo = 1; };\n", "spf.check_helo: expected true or false"},
    {"iprev = { enabled = \"yes\"; };\n", "iprev.enabled: expected true or false"},
    {"iprev = { enable = true; };\n", "iprev.enable: unknown key"},
    {"dns = { nameservers = [\"example.com\"]; };\n", "dns.nameservers: \"example.com\""},
    {"dns = { nameservers = [\"127.0.0.1@99999\"]; };\n", "is not IP or IP@PORT"},
    {"reply = { reject = \"450 4.7.1 no\"; };\n", "reply.reject: must start with a 5xx"},
    {"reply = { tempfail = \"550 5.7.1 no\"; };\n", "reply.tempfail: must start with a 4xx"},
    {"authserv_id = \"mx example\";\n", "authserv_id: \"mx example\" must be a token"},
    {"\ndns = { timeout = ; };\n", "t.conf:2: syntax error"},
    {"spf = 3;\n", "spf: unknown key"},
    {"policy = { trusted_networks = [\"10.0.0.0/33\"]; };\n",
     "policy.trusted_networks: \"10.0.0.0/33\" is not an address or CIDR network"},
    {"policy = { allow_networks = [\"192.0.2.0/24\", \"mail.example\"]; };\n",
     "policy.allow_networks: \"mail.example\" is not"},
    {"policy = { quarantine_header = \"X-Spam-Flag YES\"; };\n",
     "policy.quarantine_header: \"X-Spam-Flag YES\" is not \"Name: value\""},
    {"policy = { mode = \"warn\"; };\n", "policy.mode: \"warn\" is not one of"},
    {"policy = { allow_domains = [\"\xe2\x98\x83.example\"]; };\n",
     "policy.allow_domains: \"\xe2\x98\x83.example\" is not a valid domain name"},
    {"policy = { allow_domains = [\"a..example\"]; };\n",
     "policy.allow_domains: \"a..example\" is not a valid domain name (empty label)"},
    {"dkim = { body_length = \"ignore\"; };\n", "dkim.body_length: \"ignore\" is not one of"},
    {"limits = { negotiate_timeout = 0; };\n", "limits.negotiate_timeout: 0 is out of range"},
    {"policy = { quarantine = \"discard\"; };\n", "policy.quarantine: \"discard\" is not"},
    {"socket_mode = \"0666\";\n", "socket_mode: must not give access to others"},
    {"socket_mode = \"660\";\n", "socket_mode: expected an octal mode string"},
    {"syslog_facility = \"kern\";\n", "syslog_facility: \"kern\" is not one of"},
    {"limits = { max_headers = 5; };\n", "limits.max_headers: 5 is out of range"},
    {"reporting = { store = \"mysql:host=x\"; };\n", "reporting.store: must be \"sqlite:PATH\""},
    {"reporting = { store = \"sqlite:reports.db\"; };\n", "reporting.store: the SQLite file"},
    {"reporting = { email = \"dmarc\"; };\n", "reporting.email: \"dmarc\" is not an address"},
    {"reporting = { email = \"a@b.example\\nBcc: x@y.example\"; };\n", "reporting.email:"},
    {"reporting = { email = \"<a@b.example>\"; };\n", "reporting.email:"},
    {"reporting = { email = \"a@b\"; };\n", "reporting.email:"},
    {"reporting = { smtp = \"127.0.0.1\"; };\n", "reporting.smtp: \"127.0.0.1\" is not host:port"},
    {"reporting = { smtp = \"h:99999\"; };\n", "reporting.smtp:"},
    {"reporting = { sendmail = \"sendmail -t\"; };\n", "reporting.sendmail: the command"},
    {"reporting = { domain = \"a..b\"; };\n", "reporting.domain:"},
    {"reporting = { exclude_domains = [\"a..b\"]; };\n", "reporting.exclude_domains:"},
    {"reporting = { queue_size = 10; };\n", "reporting.queue_size: 10 is out of range"},
    {"reporting = { retry_days = 31; };\n", "reporting.retry_days: 31 is out of range"},
};

/* Domains of allow_domains are kept, and matched, in their A-label form. */
static void test_allow_domains_idn(void **state)
{
	struct am_err err = {""};
	struct config *cfg = config_parse("policy = { allow_domains = [\"B\xc3\xbc"
					  "cher.Example.\", "
					  "\"xn--strae-oqa.example\"]; };\n",
					  "t.conf", &err);

	assert_non_null(cfg);
	assert_string_equal(cfg->allow_domains.v[0], "xn--bcher-kva.example");
	assert_string_equal(cfg->allow_domains.v[1], "xn--strae-oqa.example");
	assert_true(domainlist_match(&cfg->allow_domains, "news.xn--bcher-kva.example"));
	assert_true(domainlist_match(&cfg->allow_domains, "XN--STRAE-OQA.example"));
	assert_false(domainlist_match(&cfg->allow_domains, "bucher.example"));
	config_unref(cfg);
}

static void test_errors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct am_err err = {""};
		struct config *cfg = config_parse(bad[i].text, "t.conf", &err);

		if (cfg != NULL || strstr(err.msg, bad[i].expect) == NULL)
			fail_msg("case %zu: got \"%s\", expected an error containing \"%s\"", i,
				 cfg ? "(accepted)" : err.msg, bad[i].expect);
		config_unref(cfg);
	}
}

static void test_sample_file(void **state)
{
	const char *srcdir = getenv("top_srcdir");
	char path[4096], *buf = NULL;
	size_t len = 0;
	struct am_err err = {""};
	struct config *cfg;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/authmilter.conf", srcdir ? srcdir : ".");
	cfg = config_load(path, &err);
	if (cfg == NULL)
		fail_msg("sample config: %s", err.msg);
	/* The sample documents the defaults: loading it changes no key. */
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	config_dump(cfg, fp);
	fclose(fp);
	if (strstr(buf, "# set\n") != NULL)
		fail_msg("the sample sets a key to other than its default:\n%s", buf);
	assert_non_null(strstr(buf, "\nreporting.store = \"sqlite:"));
	free(buf);
	config_unref(cfg);
}

static void test_missing_file(void **state)
{
	struct am_err err = {""};

	assert_null(config_load("/nonexistent/authmilter.conf", &err));
	assert_non_null(strstr(err.msg, "/nonexistent/authmilter.conf: cannot open"));
}

/* authmilter -p: every key once, in libconfig syntax, "set" only where the
 * value differs from the default. */
static char *dump(const char *text)
{
	struct am_err err = {""};
	struct config *cfg = config_parse(text, "t.conf", &err);
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	assert_non_null(cfg);
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	config_dump(cfg, fp);
	fclose(fp);
	config_unref(cfg);
	return buf;
}

static void test_dump(void **state)
{
	char *d =
	    dump("dns = { timeout = 0.5; nameservers = [\"192.0.2.53@5353\"]; };\n"
		 "spf = { lookup_limit = 10; };\n"
		 "syslog_facility = \"local3\"; socket_mode = \"0640\";\n"
		 "policy = { quarantine_header = \"X-Q: \\\"a\\\\b\\\"\"; };\n"
		 "reporting = { store = \"postgresql:host=db password=s3cret dbname=r\"; };\n");
	const char *p;
	size_t lines = 0;

	(void)state;
	for (p = d; *p != '\0'; p++)
		lines += *p == '\n';
	assert_true(lines > 60); /* one per key */
	assert_non_null(strstr(d, "\ndns.timeout = 0.5; # set\n"));
	assert_non_null(strstr(d, "\ndns.nameservers = [ \"192.0.2.53@5353\" ]; # set\n"));
	/* named in the file, but the default value */
	assert_non_null(strstr(d, "\nspf.lookup_limit = 10; # default\n"));
	assert_non_null(strstr(d, "\nspf.mx_limit = 10; # default\n"));
	assert_non_null(strstr(d, "\nsyslog_facility = \"local3\"; # set\n"));
	assert_non_null(strstr(d, "\nsocket_mode = \"0640\"; # set\n"));
	assert_non_null(strstr(d, "\nsocket_mode = \"0640\"; # set\n"));
	assert_non_null(strstr(d, "\npolicy.quarantine_header = \"X-Q: \\\"a\\\\b\\\"\"; # set\n"));
	assert_non_null(
	    strstr(d, "\npolicy.trusted_networks = [ \"127.0.0.0/8\", \"::1\" ]; # default\n"));
	assert_non_null(strstr(d, "\npolicy.allow_domains = []; # default\n"));
	assert_non_null(strstr(d, "\nreporting.enabled = false; # default\n"));
	assert_non_null(
	    strstr(d, "\nreporting.store = \"postgresql:host=db password=*** dbname=r\"; # set\n"));
	assert_null(strstr(d, "s3cret"));
	assert_non_null(strstr(d, "\nsyslog_facility"));
	free(d);

	d = dump("");
	assert_null(strstr(d, "# set"));
	assert_non_null(strstr(d, "\nsyslog_facility = \"mail\"; # default\n"));
	assert_non_null(strstr(d, "\ndns.timeout = 2.0; # default\n"));
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	 cmocka_unit_test(test_values),
	    cmocka_unit_test(test_errors),	 cmocka_unit_test(test_sample_file),
	    cmocka_unit_test(test_missing_file), cmocka_unit_test(test_allow_domains_idn),
	    cmocka_unit_test(test_dump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
