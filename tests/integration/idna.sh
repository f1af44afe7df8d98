#!/bin/sh
# idna.sh - internationalized domains (RFC 8616) through authmilter-check,
# the real resolver and the DNS server on loopback. The owner of
# b\xc3\xbccher.example publishes under its A-label, xn--bcher-kva.example;
# a From domain written in Unicode must meet that policy, and a signature
# or SPF identity of the same domain, in either form, must align with it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
CHECK="$top_builddir/src/authmilter-check"
KEYS="$PYTHON3 $top_srcdir/tests/integration/dkimkeys.py"

am_tmp
T=$AM_TMP
U=$(printf 'b\303\274cher.example')  # U-label form
A=xn--bcher-kva.example               # A-label form
US=$(printf 'stra\303\237e.example') # strict alignment domain
AS=xn--strae-oqa.example
rsa=$($KEYS genkey rsa 2048 "$T/rsa.key")
cat > "$T/zone" <<ZONE
$A	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
mail.$A	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.$A	TXT	"v=DMARC1; p=reject"
sel._domainkey.$A	TXT	"$rsa"
$AS	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.$AS	TXT	"v=DMARC1; p=reject; adkim=s; aspf=s"
sel._domainkey.$AS	TXT	"$rsa"
evil.example	TXT	"v=spf1 ip4:198.51.100.0/24 -all"
ZONE
am_start_dns "$T/zone"
printf 'authserv_id = "mx.example.org";\ndns = { nameservers = ["127.0.0.1@%s"]; timeout = 1.0; };\n' \
	"$AM_DNS_PORT" > "$T/conf"

msg() { # msg FROM-ADDRESS
	printf 'From: News <%s>\r\nTo: b@example.org\r\nSubject: idn\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\nMessage-ID: <i@example.org>\r\n\r\nHello.\r\n' "$1"
}
json() { am_json "$@"; }
run() { # run OUT IP MAILFROM HELO < message
	"$CHECK" -c "$T/conf" --ip "$2" --mail-from "$3" --helo "$4" --json > "$1"
}
ascii() { LC_ALL=C grep -c "$(printf '[\200-\377]')" "$1"; } # lines with 8-bit bytes
oneline() { tr '\n' ' '; }

am_plan 21

msg "news@$U" > "$T/spoof.eml"
run "$T/1" 198.51.100.7 x@evil.example mail.evil.example < "$T/spoof.eml"
am_is "U-label From, no authentication, p=reject at the A-label: reject" \
	"$(json "$T/1" 'j["dmarc"]["result"]+" "+j["action"]+" "+j["reason"]')" "fail reject dmarc_reject"
am_is "the author and policy domains are the A-label" \
	"$(json "$T/1" 'j["dmarc"]["header_from"]+" "+j["dmarc"]["policy_domain"]')" "$A $A"
am_like "the reject reply names the A-label" "$(json "$T/1" 'j["smtp_reply"]')" "^550 5\\.7\\.26 .*$A"
am_like "our header says header.from=<A-label>" "$(json "$T/1" 'j["authentication_results"]' | oneline)" \
	"dmarc=fail .*header\\.from=$A"
json "$T/1" 'j["authentication_results"]' > "$T/1.ar"
am_is "our header is plain ASCII" "$(ascii "$T/1.ar")" 0

msg "news@XN--BCHER-KVA.EXAMPLE" > "$T/upper.eml"
run "$T/2" 198.51.100.7 x@evil.example mail.evil.example < "$T/upper.eml"
am_is "the A-label in upper case is the same domain: reject" \
	"$(json "$T/2" 'j["dmarc"]["header_from"]+" "+j["action"]')" "$A reject"

msg "news@$U" | $KEYS sign "$T/rsa.key" "$A" sel rsa-sha256 > "$T/signed.eml"
run "$T/3" 198.51.100.7 x@evil.example mail.evil.example < "$T/signed.eml"
am_is "U-label From signed with the A-label d=: pass and aligned" \
	"$(json "$T/3" 'j["dkim"][0]["result"]+" "+str(j["dmarc"]["dkim_aligned"])+" "+j["dmarc"]["result"]+" "+j["action"]')" \
	"pass True pass accept"

msg "news@$US" | $KEYS sign "$T/rsa.key" "$AS" sel rsa-sha256 > "$T/strict.eml"
run "$T/4" 198.51.100.7 x@evil.example mail.evil.example < "$T/strict.eml"
am_is "adkim=s: U-label From and A-label d= of one domain align strictly" \
	"$(json "$T/4" 'str(j["dmarc"]["dkim_aligned"])+" "+j["dmarc"]["result"]')" "True pass"

# RFC 8616 lets d= be written in U-labels. libopendkim refuses any 8-bit
# byte in a signature field, so such a field is verified on OpenSSL
# (engine/dkim_utf8.c): the key under the A-label, the result reported
# under it.
msg "news@$U" | $KEYS sign "$T/rsa.key" "$U" sel rsa-sha256 > "$T/ud.eml"
run "$T/5" 198.51.100.7 x@evil.example mail.evil.example < "$T/ud.eml"
am_is "d= in U-labels: the key is found under the A-label, the signature passes" \
	"$(json "$T/5" 'j["dkim"][0]["result"]+" "+j["dkim"][0]["domain"]+" "+str(j["dkim"][0]["key_bits"])')" \
	"pass $A 2048"
am_is "d= in U-labels aligns with the U-label From: DMARC pass" \
	"$(json "$T/5" 'str(j["dmarc"]["dkim_aligned"])+" "+j["dmarc"]["result"]+" "+j["action"]')" "True pass accept"
am_like "our header has header.d=<A-label>" "$(json "$T/5" 'j["authentication_results"]' | oneline)" \
	"dkim=pass .*header\\.d=$A "
sed 's/^Hello\./Hello, changed./' "$T/ud.eml" > "$T/ud-changed.eml"
run "$T/5b" 198.51.100.7 x@evil.example mail.evil.example < "$T/ud-changed.eml"
am_is "d= in U-labels, body changed: fail, and DMARC rejects" \
	"$(json "$T/5b" 'j["dkim"][0]["result"]+" "+j["dkim"][0]["reason"]+" "+j["action"]')" \
	"fail body hash did not verify (body changed) reject"

msg "news@$U" > "$T/plain.eml"
run "$T/6" 192.0.2.10 "bounce@$U" "mail.$U" < "$T/plain.eml"
am_is "U-label MAIL FROM (SMTPUTF8): SPF checked at the A-label, pass" \
	"$(json "$T/6" 'j["spf"]["result"]+" "+j["spf"]["domain"]+" "+j["spf"]["identity"]')" \
	"pass $A bounce@$A"
am_is "U-label MAIL FROM is SPF-aligned: DMARC pass" \
	"$(json "$T/6" 'str(j["dmarc"]["spf_aligned"])+" "+j["dmarc"]["result"]+" "+j["action"]')" \
	"True pass accept"
am_is "U-label HELO: checked and reported as its A-label" \
	"$(json "$T/6" 'j["spf_helo"]["result"]+" "+j["spf_helo"]["identity"]')" "pass mail.$A"
json "$T/6" 'j["authentication_results"]' > "$T/6.ar"
am_is "our header stays plain ASCII with UTF-8 identities" "$(ascii "$T/6.ar")" 0

msg "news@$US" > "$T/sp.eml"
run "$T/7" 192.0.2.10 "bounce@$US" "mail.$US" < "$T/sp.eml"
am_is "aspf=s: U-label MAIL FROM and U-label From of one domain align strictly" \
	"$(json "$T/7" 'str(j["dmarc"]["spf_aligned"])+" "+j["dmarc"]["result"]')" "True pass"

printf 'From: x <news@\342\230\203.example>\r\nTo: b@example.org\r\nSubject: snowman\r\n\r\nx\r\n' > "$T/bad.eml"
run "$T/8" 198.51.100.7 x@evil.example mail.evil.example < "$T/bad.eml"
am_is "a From domain that is not valid IDNA2008: unparseable, refused, never 'no policy'" \
	"$(json "$T/8" 'j["author"]+" "+j["action"]+" "+j["reason"]')" "unparseable reject unparseable_from"
printf 'From: x <news@b\303.example>\r\nTo: b@example.org\r\nSubject: bad utf-8\r\n\r\nx\r\n' > "$T/bad2.eml"
run "$T/9" 198.51.100.7 x@evil.example mail.evil.example < "$T/bad2.eml"
am_is "a From domain that is not well-formed UTF-8: unparseable, refused" \
	"$(json "$T/9" 'j["author"]+" "+j["action"]')" "unparseable reject"

run "$T/10" 198.51.100.7 "x@$(printf '\342\230\203').example" mail.evil.example < "$T/spoof.eml"
am_is "a MAIL FROM domain that is not valid IDNA2008: SPF none, no lookup" \
	"$(json "$T/10" 'j["spf"]["result"]+" "+j["action"]')" "none reject"

"$CHECK" -c "$T/conf" --ip 198.51.100.7 --mail-from x@evil.example --helo mail.evil.example \
	"$T/spoof.eml" > "$T/text"
am_like "the explanation shows the U-label beside the A-label" \
	"$(grep '^Author domain' "$T/text")" "^Author domain \\(From header\\): $A \\(b\\\\xc3\\\\xbccher\\.example\\)\\.$"
