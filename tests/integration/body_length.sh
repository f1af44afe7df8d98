#!/bin/sh
# body_length.sh - content after a DKIM l= body length (RFC 6376 8.2),
# through authmilter-check, the real resolver and the DNS server on
# loopback, with messages signed at test time: under dkim.body_length =
# "strict" (the default) a signature whose body goes on past l= cannot
# pass, so it cannot carry DMARC; "accept" keeps the old result and says
# how much of the body was unsigned.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
CHECK="$top_builddir/src/authmilter-check"
KEYS="$PYTHON3 $top_srcdir/tests/integration/dkimkeys.py"

am_tmp
T=$AM_TMP
rsa=$($KEYS genkey rsa 2048 "$T/rsa.key")
cat > "$T/zone" <<ZONE
news.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.news.example	TXT	"v=DMARC1; p=reject"
sel._domainkey.news.example	TXT	"$rsa"
ZONE
am_start_dns "$T/zone"
printf 'authserv_id = "mx.example.org";\ndns = { nameservers = ["127.0.0.1@%s"]; timeout = 1.0; };\n' \
	"$AM_DNS_PORT" > "$T/conf"
cp "$T/conf" "$T/conf-accept"
printf 'dkim = { body_length = "accept"; };\n' >> "$T/conf-accept"

msg() { # msg BODY: a newsletter from news.example
	printf 'From: News <news@news.example>\r\nTo: b@example.org\r\nSubject: news\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <n@news.example>\r\n\r\n%b' "$1"
}
oneline() { tr '\n' ' '; }
json() { am_json "$@"; }
run() { # run OUT [CONF] < message: from an address SPF does not authorize
	"$CHECK" -c "${2:-$T/conf}" --ip 198.51.100.7 --mail-from bounce@other.example \
		--helo mail.other.example --json > "$1"
}
PAY='\r\nWire the payment to account 1234.\r\n' # 2 + 35 canonical bytes

am_plan 15

msg 'Hello.\r\n' | $KEYS sign "$T/rsa.key" news.example sel rsa-sha256 from,to,subject --length \
	> "$T/signed.eml"
am_like "the test signature has l=8" "$(tr -d '\r\n' < "$T/signed.eml")" ' l=8;'
run "$T/1" < "$T/signed.eml"
am_is "l= covering the whole body: pass, nothing unsigned, DMARC pass" \
	"$(json "$T/1" 'j["dkim"][0]["result"]+" "+str(j["dkim"][0]["unsigned_bytes"])+" "+j["dmarc"]["result"]+" "+j["action"]')" \
	"pass 0 pass accept"

{ cat "$T/signed.eml"; printf "$PAY"; } > "$T/appended.eml"
run "$T/2" < "$T/appended.eml"
am_is "text appended after l=: policy, with the unsigned byte count" \
	"$(json "$T/2" 'j["dkim"][0]["result"]+" "+str(j["dkim"][0]["unsigned_bytes"])')" "policy 37"
am_like "the reason says the body extends past l=" "$(json "$T/2" 'j["dkim"][0]["reason"]')" \
	'^body extends past l=: 37 of 45 '
am_is "so DMARC fails and the p=reject policy rejects" \
	"$(json "$T/2" 'str(j["dmarc"]["dkim_aligned"])+" "+j["dmarc"]["result"]+" "+j["action"]')" \
	"False fail reject"
am_like "our header: dkim=policy, with l= and the unsigned bytes" \
	"$(json "$T/2" 'j["authentication_results"]' | oneline)" \
	'dkim=policy \(2048-bit key, l=8, 37 bytes unsigned\)[[:space:]]+reason="body extends past l='

{ cat "$T/signed.eml"; printf '\r\n\r\n'; } > "$T/blank.eml"
run "$T/3" < "$T/blank.eml"
am_is "empty lines after l= are nothing after canonicalization: pass" \
	"$(json "$T/3" 'j["dkim"][0]["result"]+" "+str(j["dkim"][0]["unsigned_bytes"])')" "pass 0"

msg '' | $KEYS sign "$T/rsa.key" news.example sel rsa-sha256 from,to,subject --length > "$T/l0.eml"
am_like "the empty-body signature has l=0" "$(tr -d '\r\n' < "$T/l0.eml")" ' l=0;'
printf 'Hello.\r\n' >> "$T/l0.eml"
run "$T/4" < "$T/l0.eml"
am_is "l=0 with a body: not a pass, DMARC reject" \
	"$(json "$T/4" 'j["dkim"][0]["result"]+" "+str(j["dkim"][0]["unsigned_bytes"])+" "+j["action"]')" \
	"policy 8 reject"

run "$T/5" "$T/conf-accept" < "$T/appended.eml"
am_is "body_length = accept: the appended message passes as before" \
	"$(json "$T/5" 'j["dkim"][0]["result"]+" "+j["dmarc"]["result"]+" "+j["action"]')" "pass pass accept"
am_is "body_length = accept: the unsigned bytes are still counted" \
	"$(json "$T/5" 'str(j["dkim"][0]["unsigned_bytes"])')" 37
am_like "body_length = accept: our header says how much was unsigned" \
	"$(json "$T/5" 'j["authentication_results"]' | oneline)" 'dkim=pass \(2048-bit key, l=8, 37 bytes unsigned\)'
"$CHECK" -c "$T/conf-accept" --ip 198.51.100.7 --mail-from bounce@other.example \
	--helo mail.other.example "$T/appended.eml" > "$T/text"
am_like "body_length = accept: the explanation says so" "$(grep '^DKIM signature 1' "$T/text")" \
	'signs only the first 8 bytes of the body, 37 more bytes after them are not covered'

msg 'Hello.\r\n' | $KEYS sign "$T/rsa.key" news.example sel rsa-sha256 from,to,subject > "$T/nol.eml"
{ cat "$T/nol.eml"; printf "$PAY"; } > "$T/nol-appended.eml"
run "$T/6" < "$T/nol-appended.eml"
am_is "without l=, appending breaks the body hash: fail" \
	"$(json "$T/6" 'j["dkim"][0]["result"]+" "+str(j["dkim"][0]["unsigned_bytes"])')" "fail 0"
run "$T/7" < "$T/nol.eml"
am_is "without l=, the unchanged message passes" "$(json "$T/7" 'j["dkim"][0]["result"]')" pass
