#!/bin/sh
# audit.sh - authmilter-check --domain through the real resolver and the
# DNS server on loopback: a correct ESP setup (SPF include of the ESP, an
# ESP return-path subdomain by CNAME, a DKIM key delegated to the ESP by
# CNAME, an authorized external rua) exits 0 without errors; each common
# mistake is found and named: 11 DNS-querying terms (where the engine
# stops), two SPF records, a DMARC record on the wrong name, an
# unauthorized external rua, a 512-bit key, a key broken by pasted
# zone-file quotes (a plain space inside p= is fine), a revoked and a
# missing key, pct under RFC 9989, sp looser than p, p=none; --ip pass
# and fail agree with the SPF check; --json parses and carries the same
# findings as the text; usage errors exit 2.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
CHECK="$top_builddir/src/authmilter-check"
KEYS="$PYTHON3 $top_srcdir/tests/integration/dkimkeys.py"

am_tmp
T=$AM_TMP
K2048=$($KEYS genkey rsa 2048 "$T/k2048.pem")
K512=$($KEYS genkey rsa 512 "$T/k512.pem")
P=${K2048#*p=}
P1=$(printf %s "$P" | cut -c1-200)
P2=$(printf %s "$P" | cut -c201-)
cat > "$T/zone" <<ZONE
_spf.esp.example	TXT	"v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:51::/48 -all"
bounce.esp.example	TXT	"v=spf1 include:_spf.esp.example -all"
s1.dkim.esp.example	TXT	"$K2048"
goodco.example._report._dmarc.reports.esp.example	TXT	"v=DMARC1"
goodco.example	TXT	"v=spf1 include:_spf.esp.example -all"
em.goodco.example	CNAME	bounce.esp.example
_dmarc.goodco.example	TXT	"v=DMARC1; p=reject; rua=mailto:dmarc@goodco.example,mailto:agg@reports.esp.example"
esp1._domainkey.goodco.example	CNAME	s1.dkim.esp.example
eleven.example	TXT	"v=spf1 include:i1.eleven.example include:i2.eleven.example ip4:192.0.2.1 -all"
i1.eleven.example	TXT	"v=spf1 a:h.eleven.example a:h.eleven.example a:h.eleven.example a:h.eleven.example -all"
i2.eleven.example	TXT	"v=spf1 a:h.eleven.example a:h.eleven.example a:h.eleven.example a:h.eleven.example mx:eleven.example -all"
h.eleven.example	A	192.0.2.50
eleven.example	MX	10 h.eleven.example
_dmarc.eleven.example	TXT	"v=DMARC1; p=reject; rua=mailto:d@eleven.example"
twospf.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
twospf.example	TXT	"v=spf1 include:_spf.esp.example -all"
_dmarc.twospf.example	TXT	"v=DMARC1; p=reject; rua=mailto:d@twospf.example"
wrongname.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
wrongname.example	TXT	"v=DMARC1; p=reject; rua=mailto:d@wrongname.example"
extrua.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.extrua.example	TXT	"v=DMARC1; p=quarantine; rua=mailto:d@extrua.example,mailto:agg@reports.other.example"
keys.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.keys.example	TXT	"v=DMARC1; p=reject; rua=mailto:d@keys.example"
small._domainkey.keys.example	TXT	"$K512"
broken._domainkey.keys.example	TXT	"v=DKIM1; k=rsa; p=$P1\" \"$P2"
spaced._domainkey.keys.example	TXT	"v=DKIM1; k=rsa; p=$P1 $P2"
revoked._domainkey.keys.example	TXT	"v=DKIM1; k=rsa; p="
pct.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.pct.example	TXT	"v=DMARC1; p=reject; sp=none; pct=50; rua=mailto:d@pct.example"
none.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.none.example	TXT	"v=DMARC1; p=none; rua=mailto:d@none.example"
ZONE
am_start_dns "$T/zone"
cat > "$T/conf" <<CONF
authserv_id = "mx.example.org";
dns = { nameservers = ["127.0.0.1@$AM_DNS_PORT"]; timeout = 0.5; };
CONF

# audit NAME ARGS...: text in $T/NAME.txt, JSON in $T/NAME.json, the exit
# statuses in $T/NAME.rc ("text json")
audit() {
	name=$1
	shift
	"$CHECK" -c "$T/conf" --domain "$@" > "$T/$name.txt" 2> "$T/$name.err"
	rt=$?
	"$CHECK" -c "$T/conf" --domain "$@" --json > "$T/$name.json" 2>> "$T/$name.err"
	echo "$rt $?" > "$T/$name.rc"
}
rc() { cat "$T/$1.rc"; }
findings() { grep -E '^  (error|warning|info): ' "$T/$1.txt"; }
# the findings of the JSON form, one a line as the text prints them
jfindings() {
	"$PYTHON3" -c 'import json,sys
for f in json.load(open(sys.argv[1]))["findings"]:
    print("  %s: %s: %s" % (f["severity"], f["area"], f["text"]))' "$T/$1.json"
}
json() { am_json "$T/$1.json" "$2"; }

am_plan 37

audit good goodco.example --selector esp1 --ip 198.51.100.7
am_is "ESP setup: exit 0 (text and JSON)" "$(rc good)" "0 0"
am_is "ESP setup: no error, no warning" "$(json good 'j["errors"], j["warnings"]')" "(0, 0)"
am_is "ESP setup: the include tree, as a check reads it" \
	"$(json good '[(r["domain"], r["via"], r["dns_terms"]) for r in j["spf"]["records"]]')" \
	"[('goodco.example', None, 1), ('_spf.esp.example', 'include:_spf.esp.example', 0)]"
am_is "ESP setup: --ip passes SPF" "$(json good 'j["spf"]["ip"]["result"]')" "pass"
am_is "ESP setup: the key is reached through the ESP's CNAME" \
	"$(json good '(j["dkim"][0]["cnames"], j["dkim"][0]["result"], j["dkim"][0]["key_bits"])')" \
	"(['s1.dkim.esp.example'], 'ok', 2048)"
am_like "ESP setup: the text shows the CNAME" "$(cat "$T/good.txt")" \
	'esp1._domainkey.goodco.example -> s1.dkim.esp.example: RSA 2048 bits'
am_is "ESP setup: record at the author domain, the external rua authorized" \
	"$(json good '(j["dmarc"]["found_at"], [d["authorization"] for d in j["dmarc"]["rua"]])')" \
	"('author domain', ['same-org', 'authorized'])"
am_is "JSON and text carry the same findings" "$(jfindings good)" "$(findings good)"

audit rp em.goodco.example --ip 198.51.100.7
am_is "ESP return path (CNAME to the ESP's SPF): exit 0, pass" \
	"$(rc rp) $(json rp 'j["spf"]["ip"]["result"]')" "0 0 pass"
am_is "return path: DMARC from the organizational domain by tree walk" \
	"$(json rp '(j["dmarc"]["found_at"], j["dmarc"]["policy_domain"], j["dmarc"]["discovery_method"])')" \
	"('organizational domain', 'goodco.example', 'treewalk')"

audit eleven eleven.example --ip 192.0.2.1
am_is "11 lookups: exit 1" "$(rc eleven)" "1 1"
am_is "11 lookups: counted 11, over at the 11th term" \
	"$(json eleven '(j["spf"]["dns_terms"], j["spf"]["terms_over_limit_at"])')" \
	"(11, 'mx:eleven.example in the SPF record of i2.eleven.example')"
am_like "11 lookups: an error says so" "$(findings eleven)" \
	'error: spf: 11 DNS-querying terms .* over the limit of 10 .*permerror at mx:eleven.example in the SPF record of i2.eleven.example'
am_like "11 lookups: --ip listed after the includes fails the same way" "$(findings eleven)" \
	'error: spf: 192.0.2.1 does not pass SPF for eleven.example: permerror .*limit exceeded at mx:eleven.example in the SPF record of i2.eleven.example'
am_is "JSON and text carry the same findings (11 lookups)" "$(jfindings eleven)" "$(findings eleven)"

audit two twospf.example
am_is "two SPF records: exit 1" "$(rc two)" "1 1"
am_like "two SPF records: an error" "$(findings two)" \
	'^  error: spf: 2 SPF records at twospf.example: every SPF check of twospf.example gives permerror'

audit wrong wrongname.example
am_is "DMARC on the wrong name: exit 1" "$(rc wrong)" "1 1"
am_like "DMARC on the wrong name: where it is and where it belongs" "$(findings wrong)" \
	'error: dmarc: a DMARC record is published at wrongname.example, where receivers never look; it belongs at _dmarc.wrongname.example'
am_like "DMARC on the wrong name: no record found" "$(findings wrong)" \
	'error: dmarc: no DMARC record for wrongname.example'

audit ext extrua.example
am_is "unauthorized external rua: a warning, exit 0" "$(rc ext) $(json ext 'j["errors"], j["warnings"]')" \
	"0 0 (0, 1)"
am_like "unauthorized external rua: the destination and the missing record" "$(findings ext)" \
	'warning: dmarc: rua mailto:agg@reports.other.example: reports about extrua.example may not go to reports.other.example .*publish TXT "v=DMARC1" at extrua.example._report._dmarc.reports.other.example'
am_is "unauthorized external rua: JSON authorization" \
	"$(json ext '[d["authorization"] for d in j["dmarc"]["rua"]]')" "['same-org', 'refused']"

audit small keys.example --selector small
am_is "512-bit key: exit 1" "$(rc small)" "1 1"
am_like "512-bit key: under RFC 8301 / dkim.min_key_bits" "$(findings small)" \
	'error: dkim: selector small: 512-bit RSA key, under 1024 bits \(RFC 8301\) \(dkim.min_key_bits\)'
am_is "512-bit key: JSON" "$(json small '(j["dkim"][0]["result"], j["dkim"][0]["key_bits"])')" "('fail', 512)"

audit broken keys.example --selector broken
am_is "key broken by pasted quotes: exit 1" "$(rc broken)" "1 1"
am_like "key broken by pasted quotes: not base64, and why" "$(findings broken)" \
	'error: dkim: selector broken: key p= is not base64 at broken._domainkey.keys.example; the record holds a quote'
audit spaced keys.example --selector spaced
am_is "a plain space inside p= is folding whitespace: the key is fine" \
	"$(rc spaced) $(json spaced 'j["dkim"][0]["result"]')" "0 0 ok"

audit gone keys.example --selector revoked --selector missing
am_like "revoked and missing keys: errors" "$(findings gone | tr '\n' '|')" \
	'error: dkim: selector revoked: key revoked \(empty p=\).*\|  error: dkim: selector missing: no key at missing._domainkey.keys.example'

audit pct pct.example
am_is "pct and sp: warnings only, exit 0" "$(rc pct) $(json pct 'j["errors"], j["warnings"]')" "0 0 (0, 2)"
am_like "pct=50: a warning under RFC 9989" "$(findings pct)" 'warning: dmarc: pct=50: RFC 9989 removed pct'
am_like "sp looser than p: a warning" "$(findings pct)" 'warning: dmarc: sp=none is looser than p=reject'
am_is "effective tags in JSON" "$(json pct '(j["dmarc"]["tags"]["p"], j["dmarc"]["tags"]["sp"], j["dmarc"]["tags"]["np"], j["dmarc"]["tags"]["pct"])')" \
	"('reject', 'none', 'none', 50)"

audit none none.example
am_like "p=none: a warning" "$(findings none)" 'warning: dmarc: p=none: monitoring only'

audit fail goodco.example --ip 192.0.2.99
am_like "--ip not listed: fail is an error, exit 1" "$(rc fail) $(findings fail)" \
	'^1 1 .*error: spf: 192.0.2.99 does not pass SPF for goodco.example: fail'

"$CHECK" -c "$T/conf" --domain goodco.example "$T/zone" > /dev/null 2>&1
r1=$?
"$CHECK" -c "$T/conf" --domain goodco.example --ip nonsense > /dev/null 2>&1
r2=$?
"$CHECK" -c "$T/conf" --domain 'bad..name' > /dev/null 2>&1
r3=$?
"$CHECK" -c "$T/conf" --selector s1 --ip 192.0.2.1 --helo h --mail-from a@b.example < /dev/null > /dev/null 2>&1
am_is "usage errors exit 2 (message, bad --ip, bad domain, --selector alone)" "$r1 $r2 $r3 $?" "2 2 2 2"
