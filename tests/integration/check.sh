#!/bin/sh
# check.sh - authmilter-check end to end: SPF, DKIM and DMARC together
# through the real resolver against a DNS server on loopback, with messages
# signed at test time. Asserts verdicts, actions, replies and exit codes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
CHECK="$top_builddir/src/authmilter-check"
KEYS="$PYTHON3 $top_srcdir/tests/integration/dkimkeys.py"

am_tmp
T=$AM_TMP
rsa=$($KEYS genkey rsa 2048 "$T/rsa.key")
ed=$($KEYS genkey ed25519 "$T/ed.key")
cat > "$T/zone" <<ZONE
example.com	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
rsa._domainkey.example.com	TXT	"$rsa"
ed._domainkey.example.com	TXT	"$ed"
esp._domainkey.example.com	CNAME	key1.esp.example.net
key1.esp.example.net	TXT	"$rsa"
_dmarc.example.com	TXT	"v=DMARC1; p=reject; rua=mailto:d@example.com"
quar.example	TXT	"v=spf1 -all"
_dmarc.quar.example	TXT	"v=DMARC1; p=quarantine"
sampled.example	TXT	"v=spf1 -all"
_dmarc.sampled.example	TXT	"v=DMARC1; p=reject; pct=30"
testing.example	TXT	"v=spf1 -all"
_dmarc.testing.example	TXT	"v=DMARC1; p=reject; t=y"
slow.example	TXT	"v=spf1 -all"
_dmarc.slow.example	TIMEOUT	-
keyslow.example	TXT	"v=spf1 -all"
sel._domainkey.keyslow.example	TIMEOUT	-
_dmarc.keyslow.example	TXT	"v=DMARC1; p=reject"
mail.example.com	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
ZONE
am_start_dns "$T/zone"
cat > "$T/conf" <<CONF
authserv_id = "mx.example.org";
dns = { nameservers = ["127.0.0.1@$AM_DNS_PORT"]; timeout = 0.5; };
CONF
sed 's/timeout = 0.5;/timeout = 0.5; };\npolicy = { on_error = "accept";/' "$T/conf" > "$T/conf-accept"

msg() { # msg FROM-HEADER [EXTRA-HEADER]
	printf 'From: %s\r\n%sTo: b@example.org\r\nSubject: test\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <t@example.com>\r\n\r\nHello.\r\n' "$1" "${2:-}"
}
json() { am_json "$@"; }
run() { # run OUT IP MAILFROM [check options] < message
	out=$1 ip=$2 mf=$3
	shift 3
	"$CHECK" -c "$T/conf" --ip "$ip" --helo mail.example.com --mail-from "$mf" --json "$@" > "$out"
}

am_plan 34

msg "Alice <alice@example.com>" | $KEYS sign "$T/rsa.key" example.com rsa rsa-sha256 |
	$KEYS sign "$T/ed.key" example.com ed ed25519-sha256 > "$T/both.eml"
run "$T/1" 192.0.2.10 alice@example.com < "$T/both.eml"
am_is "aligned SPF pass" "$(json "$T/1" 'j["spf"]["result"]')" pass
am_is "rsa-sha256 and ed25519-sha256 signatures pass" \
	"$(json "$T/1" '" ".join(s["algorithm"]+"="+s["result"] for s in j["dkim"])')" \
	"ed25519-sha256=pass rsa-sha256=pass"
am_is "key sizes reported" "$(json "$T/1" '[s["key_bits"] for s in j["dkim"]][1]')" 2048
am_is "DMARC pass, accept" "$(json "$T/1" 'j["dmarc"]["result"]+" "+j["action"]')" "pass accept"
am_is "both alignments" "$(json "$T/1" '(j["dmarc"]["spf_aligned"], j["dmarc"]["dkim_aligned"])')" \
	"(True, True)"

run "$T/2" 198.51.100.7 alice@example.com < "$T/both.eml"
am_is "SPF fail but aligned DKIM pass: DMARC pass" \
	"$(json "$T/2" 'j["spf"]["result"]+" "+j["dmarc"]["result"]+" "+j["action"]')" "fail pass accept"

msg "Alice <alice@example.com>" > "$T/plain.eml"
run "$T/3" 198.51.100.7 alice@example.com < "$T/plain.eml"
am_is "unsigned, SPF fail, p=reject: reject" "$(json "$T/3" 'j["action"]')" reject
am_like "reject reply names the domain and policy" "$(json "$T/3" 'j["smtp_reply"]')" \
	'^550 5\.7\.26 .*example\.com.*p=reject'

msg "Alice <alice@example.com>" | $KEYS sign "$T/rsa.key" example.com esp rsa-sha256 > "$T/esp.eml"
run "$T/4" 198.51.100.7 bounce@esp.example.net < "$T/esp.eml"
am_is "key delegated by CNAME verifies; DKIM alone carries DMARC" \
	"$(json "$T/4" 'j["dkim"][0]["result"]+" "+j["dmarc"]["result"]')" "pass pass"

sed 's/^Hello\./Hello, changed./' "$T/both.eml" > "$T/tampered.eml"
run "$T/5" 198.51.100.7 alice@example.com < "$T/tampered.eml"
am_is "body changed after signing: both signatures fail" \
	"$(json "$T/5" '" ".join(s["result"] for s in j["dkim"])')" "fail fail"
am_is "and DMARC rejects" "$(json "$T/5" 'j["action"]')" reject

msg "q <q@quar.example>" > "$T/q.eml"
run "$T/6" 198.51.100.7 q@quar.example < "$T/q.eml"
am_is "p=quarantine failure: quarantine" "$(json "$T/6" 'j["action"]+" "+j["reason"]')" \
	"quarantine dmarc_quarantine"

msg "s <s@sampled.example>" > "$T/s.eml"
run "$T/7" 198.51.100.7 s@sampled.example --pct-draw 29 < "$T/s.eml"
am_is "pct=30, draw 29: sampled in, reject" "$(json "$T/7" 'j["action"]')" reject
run "$T/8" 198.51.100.7 s@sampled.example --pct-draw 30 < "$T/s.eml"
am_is "pct=30, draw 30: sampled out, quarantine" \
	"$(json "$T/8" 'j["action"]+" "+str(j["dmarc"]["sampled_out"])')" "quarantine True"

msg "t <t@testing.example>" > "$T/t.eml"
run "$T/9" 198.51.100.7 t@testing.example < "$T/t.eml"
am_is "t=y steps reject down to quarantine" \
	"$(json "$T/9" 'j["dmarc"]["applied"]+" "+j["action"]')" "quarantine quarantine"

msg "w <w@slow.example>" > "$T/w.eml"
run "$T/10" 198.51.100.7 w@slow.example < "$T/w.eml"
am_is "DMARC lookup times out: temperror, tempfail" \
	"$(json "$T/10" 'j["dmarc"]["result"]+" "+j["action"]')" "temperror tempfail"
am_like "tempfail reply" "$(json "$T/10" 'j["smtp_reply"]')" '^451 4\.4\.3 '
"$CHECK" -c "$T/conf-accept" --ip 198.51.100.7 --helo mail.example.com --mail-from w@slow.example \
	--json < "$T/w.eml" > "$T/11"
am_is "on_error = accept: accepted" "$(json "$T/11" 'j["action"]')" accept

msg "k <k@keyslow.example>" | $KEYS sign "$T/rsa.key" keyslow.example sel rsa-sha256 > "$T/k.eml"
run "$T/12" 198.51.100.7 k@keyslow.example < "$T/k.eml"
am_is "aligned key lookup times out: DKIM temperror" "$(json "$T/12" 'j["dkim"][0]["result"]')" temperror
am_is "DMARC would reject, but the key could pass: tempfail" \
	"$(json "$T/12" 'j["action"]+" "+j["reason"]')" "tempfail auth_temperror"

msg "a@example.com, b@evil.example" > "$T/multi.eml"
run "$T/13" 192.0.2.10 alice@example.com < "$T/multi.eml"
am_is "From with two domains: reject" "$(json "$T/13" 'j["author"]+" "+j["action"]')" \
	"multi_domain reject"
msg "Alice <alice@example.com>" "From: Mallory <m@evil.example>\r\n" > "$T/two.eml"
run "$T/14" 192.0.2.10 alice@example.com < "$T/two.eml"
am_is "two From headers: reject" "$(json "$T/14" 'j["author"]+" "+j["action"]')" "multi_from reject"
printf 'To: b@example.org\r\nSubject: none\r\n\r\nx\r\n' > "$T/nofrom.eml"
run "$T/15" 192.0.2.10 alice@example.com < "$T/nofrom.eml"
am_is "no From header: reject" "$(json "$T/15" 'j["author"]+" "+j["action"]')" "no_from reject"
msg '"alice@example.com" <m@evil.example>' > "$T/disp.eml"
run "$T/16" 192.0.2.10 alice@example.com < "$T/disp.eml"
am_is "display name that looks like an address does not count" \
	"$(json "$T/16" 'j["dmarc"]["header_from"]')" "evil.example"

run "$T/17" 192.0.2.10 "" < "$T/plain.eml"
am_is "null sender: SPF checks postmaster@HELO" \
	"$(json "$T/17" 'j["spf"]["identity"]+" "+j["spf"]["result"]')" "postmaster@mail.example.com pass"
am_is "null sender: postmaster@HELO aligns (relaxed) and carries DMARC" \
	"$(json "$T/17" 'j["dmarc"]["result"]')" pass
run "$T/18" 192.0.2.10 other@example.net < "$T/plain.eml"
am_is "aligned HELO pass never stands in for a MAIL FROM identity" \
	"$(json "$T/18" 'j["spf_helo"]["result"]+" "+j["spf"]["result"]+" "+j["dmarc"]["result"]')" "pass none fail"

"$CHECK" -c "$T/conf" --ip 192.0.2.10 --helo mail.example.com --mail-from alice@example.com \
	"$T/both.eml" > "$T/text"
am_like "text output starts with the header" "$(head -1 "$T/text")" '^Authentication-Results: mx\.example\.org;'
am_like "text output explains the action" "$(tail -1 "$T/text")" '^Action: accept \(dmarc_pass\)'
"$PYTHON3" - "$T" <<'PY' > "$T/parsed"
import json, sys, authres
for n in ("1", "3", "5", "10", "12", "13"):
    j = json.load(open(sys.argv[1] + "/" + n))
    h = authres.AuthenticationResultsHeader.parse(j["authentication_results"].replace("\n", "\r\n"))
    print(n, h.authserv_id, " ".join(r.method + "=" + r.result for r in h.results))
PY
am_is "every header parses with python3-authres" "$(wc -l < "$T/parsed")" 6
am_like "parsed results match the verdict" "$(grep '^1 ' "$T/parsed")" \
	'^1 mx\.example\.org spf=pass spf=(none|pass) iprev=permerror dkim=pass dkim=pass arc=none dmarc=pass$'

"$CHECK" -c "$T/conf" --ip 192.0.2.10 --helo h --mail-from a@example.com /nonexistent/x 2>"$T/err"
am_is "unreadable input: exit 3" "$?" 3
"$CHECK" -c /nonexistent.conf --ip 192.0.2.10 --helo h --mail-from a@example.com < /dev/null 2>"$T/err"
am_is "bad configuration: exit 2" "$?" 2
"$CHECK" -c "$T/conf" --ip not-an-ip --helo h --mail-from a@example.com < /dev/null 2>"$T/err"
am_is "bad --ip: exit 2 with one line" "$?:$(head -1 "$T/err")" \
	"2:authmilter-check: --ip is not an IPv4 or IPv6 address"
