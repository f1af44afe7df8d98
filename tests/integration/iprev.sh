#!/bin/sh
# iprev.sh - the iprev method (RFC 8601 section 3) through authmilter-check,
# the real resolver and the DNS server on loopback: pass (IPv4, IPv6,
# IPv4-mapped), fail, permerror (no PTR), temperror (PTR SERVFAIL, and an
# address lookup SERVFAIL with no other name passing), more than 10 PTR
# names; the JSON fields, the Authentication-Results result (parsed back by
# python3-authres) and the explanation; iprev.enabled = false. iprev never
# changes the action: every message passes DMARC and is accepted.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
CHECK="$top_builddir/src/authmilter-check"

am_tmp
T=$AM_TMP
R6=5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa
cat > "$T/zone" <<ZONE
example.com	TXT	"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
_dmarc.example.com	TXT	"v=DMARC1; p=reject"
10.2.0.192.in-addr.arpa	PTR	mail.example.com
mail.example.com	A	192.0.2.10
11.2.0.192.in-addr.arpa	PTR	other.example.net
other.example.net	A	192.0.2.99
13.2.0.192.in-addr.arpa	SERVFAIL	-
14.2.0.192.in-addr.arpa	PTR	broken.example.net
14.2.0.192.in-addr.arpa	PTR	other.example.net
broken.example.net	SERVFAIL	-
15.2.0.192.in-addr.arpa	PTR	broken.example.net
15.2.0.192.in-addr.arpa	PTR	ok15.example.net
ok15.example.net	A	192.0.2.15
$R6	PTR	v6.example.com
v6.example.com	AAAA	2001:db8::25
ZONE
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	printf '16.2.0.192.in-addr.arpa\tPTR\tn%s.example.net\n' $i >> "$T/zone"
	printf 'n%s.example.net\tA\t192.0.2.99\n' $i >> "$T/zone"
done
am_start_dns "$T/zone" --log "$T/dns.log"
cat > "$T/conf" <<CONF
authserv_id = "mx.example.org";
dns = { nameservers = ["127.0.0.1@$AM_DNS_PORT"]; timeout = 0.5; };
CONF
printf 'iprev = { enabled = false; };\n' | cat "$T/conf" - > "$T/conf-off"

printf 'From: Alice <alice@example.com>\r\nTo: b@example.org\r\nSubject: iprev\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <i@example.com>\r\n\r\nHello.\r\n' > "$T/msg.eml"
json() { am_json "$@"; }
run() { # run OUT IP [CONF]
	"$CHECK" -c "${3:-$T/conf}" --ip "$2" --helo mail.example.com --mail-from alice@example.com \
		--json < "$T/msg.eml" > "$1"
}
# the iprev result of the header, folding undone
ar_iprev() {
	json "$1" 'j["authentication_results"]' | tr '\n' '\001' | sed 's/\x01\t\t/ /g' |
		tr '\001' '\n' | grep -o 'iprev=.*' | sed 's/;$//'
}

am_plan 29

run "$T/pass" 192.0.2.10
am_is "pass: JSON result, ip, name" \
	"$(json "$T/pass" 'j["iprev"]["result"]+" "+j["iprev"]["ip"]+" "+j["iprev"]["name"]')" \
	"pass 192.0.2.10 mail.example.com"
am_is "pass: JSON reason" "$(json "$T/pass" 'j["iprev"]["reason"]')" \
	"mail.example.com maps back to 192.0.2.10"
am_is "pass: header" "$(ar_iprev "$T/pass")" \
	"iprev=pass (mail.example.com) policy.iprev=192.0.2.10"
am_is "pass: the action is DMARC's" "$(json "$T/pass" 'j["action"]+" "+j["reason"]')" \
	"accept dmarc_pass"
am_like "pass: explained" "$(json "$T/pass" 'j["explanation"]')" \
	'iprev \(reverse DNS of the client 192\.0\.2\.10\): pass \(mail\.example\.com maps back to 192\.0\.2\.10\); it does not change the action\.'

run "$T/fail" 192.0.2.11
am_is "fail: the PTR name maps to another address" \
	"$(json "$T/fail" 'j["iprev"]["result"]+" "+j["iprev"]["name"]')" "fail other.example.net"
am_is "fail: header with reason" "$(ar_iprev "$T/fail")" \
	'iprev=fail reason="other.example.net does not map back to 192.0.2.11" policy.iprev=192.0.2.11'
am_is "fail: action unchanged" "$(json "$T/fail" 'j["action"]')" accept

run "$T/noptr" 192.0.2.12
am_is "no PTR record: permerror (RFC 8601 2.7.3), no name" \
	"$(json "$T/noptr" 'j["iprev"]["result"]+" "+str(j["iprev"]["name"])')" "permerror None"
am_is "no PTR record: header" "$(ar_iprev "$T/noptr")" \
	'iprev=permerror reason="no PTR record for 192.0.2.12 (no such name)" policy.iprev=192.0.2.12'

run "$T/temp" 192.0.2.13
am_is "PTR SERVFAIL: temperror" "$(json "$T/temp" 'j["iprev"]["result"]')" temperror
am_like "PTR SERVFAIL: the reason says which lookup" "$(json "$T/temp" 'j["iprev"]["reason"]')" \
	'^the PTR lookup of 192\.0\.2\.13 failed temporarily \('
am_like "PTR SERVFAIL: header" "$(ar_iprev "$T/temp")" \
	'^iprev=temperror reason="the PTR lookup of 192\.0\.2\.13 failed temporarily .*" policy\.iprev=192\.0\.2\.13$'
am_is "PTR SERVFAIL: action unchanged" "$(json "$T/temp" 'j["action"]+" "+j["reason"]')" \
	"accept dmarc_pass"

run "$T/temp2" 192.0.2.14
am_is "address lookup SERVFAIL, the other name maps elsewhere: temperror" \
	"$(json "$T/temp2" 'j["iprev"]["result"]')" temperror
am_like "... the reason names the name" "$(json "$T/temp2" 'j["iprev"]["reason"]')" \
	'^the A lookup of broken\.example\.net failed temporarily .* and no other PTR name maps back to 192\.0\.2\.14$'
run "$T/pass2" 192.0.2.15
am_is "address lookup SERVFAIL, another name maps back: pass" \
	"$(json "$T/pass2" 'j["iprev"]["result"]+" "+j["iprev"]["name"]')" "pass ok15.example.net"

# The resolver may reorder the PTR records, so which 10 are looked up is
# not pinned down here (tests/unit/test_iprev.c does that): only how many.
run "$T/many" 192.0.2.16
am_is "12 PTR names, none maps back: fail" "$(json "$T/many" 'j["iprev"]["result"]')" fail
am_is "12 PTR names: the reason says which were ignored" \
	"$(json "$T/many" 'j["iprev"]["reason"]')" \
	"none of the 10 PTR names maps back to 192.0.2.16; PTR names 11 to 12 of the answer were ignored (at most 10 are looked up)"
am_is "12 PTR names: 10 address lookups reached the server" \
	"$(grep -c '^n[0-9]*\.example\.net\. A ' "$T/dns.log")" 10

run "$T/v6" 2001:db8::25
am_is "IPv6: pass through ip6.arpa and AAAA" \
	"$(json "$T/v6" 'j["iprev"]["result"]+" "+j["iprev"]["ip"]+" "+j["iprev"]["name"]')" \
	"pass 2001:db8::25 v6.example.com"
am_is "IPv6: the address is quoted in the header" "$(ar_iprev "$T/v6")" \
	'iprev=pass (v6.example.com) policy.iprev="2001:db8::25"'
run "$T/mapped" ::ffff:192.0.2.10
am_is "IPv4-mapped IPv6: checked as IPv4" \
	"$(json "$T/mapped" 'j["iprev"]["result"]+" "+j["iprev"]["ip"]')" "pass 192.0.2.10"

"$PYTHON3" - "$T" <<'PY' > "$T/parsed"
import json, sys, authres
for n in ("pass", "fail", "noptr", "temp", "v6"):
    j = json.load(open(sys.argv[1] + "/" + n))
    h = authres.AuthenticationResultsHeader.parse(j["authentication_results"].replace("\n", "\r\n"))
    print(n, " ".join(r.method + "=" + r.result + "".join(
        " %s.%s=%s" % (p.type, p.name, p.value) for p in r.properties) for r in h.results))
PY
am_is "every header parses with python3-authres" "$(wc -l < "$T/parsed")" 5
am_like "parsed: iprev after the SPF results, before DKIM, policy.iprev the address" \
	"$(grep '^pass ' "$T/parsed")" \
	'^pass spf=pass smtp\.mailfrom=alice@example\.com spf=[a-z]+ smtp\.helo=mail\.example\.com iprev=pass policy\.iprev=192\.0\.2\.10 dkim=none '
am_like "parsed: IPv6 policy.iprev" "$(grep '^v6 ' "$T/parsed")" \
	' iprev=pass policy\.iprev=2001:db8::25 '

run "$T/off" 192.0.2.10 "$T/conf-off"
am_is "iprev.enabled = false: JSON iprev is null" "$(json "$T/off" 'j["iprev"]')" None
am_is "iprev.enabled = false: no iprev result in the header" \
	"$(json "$T/off" '"iprev=" in j["authentication_results"]')" False
am_like "iprev.enabled = false: explained" "$(json "$T/off" 'j["explanation"]')" \
	'iprev \(reverse DNS of the client\): not checked, iprev\.enabled is false\.'
