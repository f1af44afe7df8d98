#!/bin/sh
# regressions.sh - one named test for each bypass class OpenDKIM and
# OpenDMARC shipped, run through authmilter-check against the DNS server on
# loopback. (Forged Authentication-Results removal at the right positions,
# CVE-2022-48521, needs the milter protocol: tests/milter/headers.sh.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
CHECK="$top_builddir/src/authmilter-check"

am_tmp
T=$AM_TMP
cat > "$T/zone" <<'ZONE'
example.com	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.com	TXT	"v=DMARC1; p=reject"
mail.example.com	TXT	"v=spf1 ip4:198.51.100.0/24 -all"
evil.example	TXT	"v=spf1 ip4:198.51.100.0/24 -all"
_dmarc.evil.example	TXT	"v=DMARC1; p=none"
slow.example	TXT	"v=spf1 -all"
_dmarc.slow.example	TIMEOUT	-
ZONE
am_start_dns "$T/zone"
printf 'authserv_id = "mx.example.org";\ndns = { nameservers = ["127.0.0.1@%s"]; timeout = 0.5; };\n' \
	"$AM_DNS_PORT" > "$T/conf"

# verdict FROM-HEADER-LINES IP MAILFROM HELO EXPR: a python expression over j
verdict() {
	printf '%bSubject: t\r\nTo: b@example.org\r\n\r\nx\r\n' "$1" > "$T/m.eml"
	"$CHECK" -c "$T/conf" --ip "$2" --helo "$4" --mail-from "$3" --json "$T/m.eml" > "$T/j" &&
		"$PYTHON3" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/j" "$5"
}
author() { # author FROM-VALUE: author status and domain
	verdict "From: $1\r\n" 198.51.100.1 x@evil.example mail.example.com 'j["author"]+" "+str(j["dmarc"]["header_from"])'
}

am_plan 14
am_is "CVE-2019-16378: multi-address From with two domains is refused, not read as the first" \
	"$(verdict 'From: a@evil.example, b@example.com\r\n' 198.51.100.1 x@evil.example mail.example.com \
	'j["author"]+" "+j["action"]')" "multi_domain reject"
am_is "two From headers are refused" \
	"$(verdict 'From: a@evil.example\r\nFrom: b@example.com\r\n' 198.51.100.1 x@evil.example mail.example.com \
	'j["author"]+" "+j["action"]')" "multi_from reject"
am_is "display name holding another address: the addr-spec counts" \
	"$(author '"b@example.com" <a@evil.example>')" "ok evil.example"
am_is "display name with an unquoted address-like word and angle address" \
	"$(author 'b@example.com <a@evil.example>')" "unparseable None"
am_is "unbalanced < is unparseable, never guessed" "$(author '<a@example.com')" "unparseable None"
am_is "unbalanced > is unparseable" "$(author 'a@example.com>')" "unparseable None"
am_is "quoted-pair hiding a quote in the display name" \
	"$(author '"x\\" <b@example.com> \\"" <a@evil.example>')" "ok evil.example"
am_is "encoded word in the display name is not an address" \
	"$(author '=?utf-8?q?b=40example=2Ecom?= <a@evil.example>')" "ok evil.example"
am_is "group with two domains is multi-domain" \
	"$(author 'team: a@evil.example, b@example.com;')" "multi_domain None"
am_is "trailing comment holding an address does not count" \
	"$(author 'a@evil.example (b@example.com)')" "ok evil.example"
am_is "CVE-2019-20790: aligned HELO pass never stands in for a failing MAIL FROM" \
	"$(verdict 'From: a@example.com\r\n' 198.51.100.1 x@example.com mail.example.com \
	'j["spf_helo"]["result"]+" "+j["spf"]["result"]+" "+j["dmarc"]["result"]+" "+j["action"]')" \
	"pass fail fail reject"
# CVE-2020-12272: a crafted domain must not inject syntax into our header.
verdict 'From: a@example.net(.example.com\r\n' 198.51.100.1 'x@example.net(.example.com' \
	'mail.example.com(.example.com' 'j["authentication_results"]' > "$T/ar"
"$PYTHON3" - "$T/ar" > "$T/parsed" <<'PY'
import sys, authres
h = authres.AuthenticationResultsHeader.parse(open(sys.argv[1]).read().strip().replace("\n", "\r\n"))
for r in h.results:
    print(r.method, r.result, " ".join("%s=%s" % (p.type + "." + p.name, p.value) for p in r.properties))
PY
am_ok "CVE-2020-12272: header with a comment-injecting domain parses cleanly" test -s "$T/parsed"
sed 's/^/# /' "$T/parsed"
am_ok "CVE-2020-12272: no dmarc=pass and no header.from=example.com comes out of it" \
	sh -c "! grep -Eq 'dmarc pass|header.from=example\.com( |$)' '$T/parsed'"
am_is "DNS timeout on the DMARC record is tempfail, never 'no policy'" \
	"$(verdict 'From: a@slow.example\r\n' 198.51.100.1 x@slow.example mail.example.com \
	'j["dmarc"]["result"]+" "+j["action"]')" "temperror tempfail"
