#!/bin/sh
# bypass.sh - through a real Postfix (smtputf8_enable = yes), two ways
# around DMARC enforcement stay closed: a From domain written in Unicode
# meets the policy its owner publishes under the A-label, and text
# appended after a DKIM l= body length cannot ride on the signature. The
# aligned counterparts are accepted, stamped with the A-label. (Accepted
# mail waits in the deferred queue, defer_transports = smtp, because
# smtp-sink does not offer SMTPUTF8 and Postfix would bounce the UTF-8
# envelope at delivery; its headers are read with postcat.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

e2e_init 120
A=xn--bcher-kva.example
U=$(printf 'b\303\274cher.example')
E2E_KEY_DOMAINS=$A
E2E_ZONE_EXTRA="$A	TXT	\"v=spf1 ip4:$E2E_GOOD -all\"
_dmarc.$A	TXT	\"v=DMARC1; p=reject\""
E2E_PF_MAIN_EXTRA="smtputf8_enable = yes
defer_transports = smtp"
e2e_up ''

am_plan 11

# utf8 ID IP MAILFROM FROM-ADDRESS [sign DOMAIN]: an SMTPUTF8 message
utf8() {
	e2e_msg "$T/$1.eml" "$4" "$1@e2e.test"
	[ -z "${5:-}" ] || e2e_sign "$T/$1.eml" "$5"
	timeout 60 $E2E_PY utf8send "$E2E_SMTP_PORT" "$2" "$3" "$T/$1.eml" > "$T/$1.out" 2>&1
}
qid() { grep -F "message-id=<$1@e2e.test>" "$T/maillog" | sed -n 's/.*: \([0-9A-F]*\): message-id=.*/\1/p' | head -1; }
verdict() { e2e_verdicts | grep " qid=$(qid "$1") "; }
queued() { e2e_queue | grep -cF " $1@e2e.test"; }
headers() { timeout 30 postcat -c "$E2E_PF" -h -q "$(qid "$1")" 2>/dev/null | tr '\n' ' '; }

utf8 spoof "$E2E_BAD" "x@$U" "news@$U"
utf8 aligned "$E2E_GOOD" "bounce@$U" "news@$U" "$A"
# l=: a newsletter signed with a body length, then the same with a line added
for id in ell ell-ok; do
	e2e_msg "$T/$id.eml" bob@pass.example $id@e2e.test
	timeout 30 $E2E_KEYS sign "$T/e2e.key" pass.example e2e rsa-sha256 from,to,subject,date \
		--length < "$T/$id.eml" > "$T/$id.signed" || e2e_fail "cannot sign"
done
printf 'Wire the payment to account 1234.\r\n' >> "$T/ell.signed"
e2e_swaks "$T/ell.out" "$E2E_BAD" bob@pass.example "$T/ell.signed"
e2e_swaks "$T/ell-ok.out" "$E2E_BAD" bob@pass.example "$T/ell-ok.signed"
e2e_settle || e2e_fail "Postfix did not settle within 30 s"

am_like "Unicode From, p=reject at the A-label: 550 naming the A-label" "$(cat "$T/spoof.out")" \
	"^550 5\\.7\\.26 .*$A"
am_is "... and not queued" "$(queued spoof)" 0
am_like "... the log line: the A-label, the U-label beside it, reject" "$(verdict spoof)" \
	"from=$A from_u=\"b\\\\xc3\\\\xbccher\\.example\" .*dmarc=fail .*action=reject"
am_like "aligned SMTPUTF8 message (UTF-8 MAIL FROM, A-label d=): accepted" "$(cat "$T/aligned.out")" '^250 '
am_is "... queued for delivery" "$(queued aligned)" 1
ar=$(headers aligned)
am_like "... stamped dmarc=pass header.from=<A-label>" "$ar" \
	"dmarc=pass .*header\\.from=$A"
am_like "... SPF checked at the A-label of the UTF-8 MAIL FROM" "$ar" "spf=pass smtp\\.mailfrom=bounce@$A"
am_like "... DKIM d=<A-label> passes" "$ar" "dkim=pass .*header\\.d=$A"

am_like "text appended after l=: 550" "$(e2e_reply "$T/ell.out")" '^550 5\.7\.26 '
am_like "... the log names the unsigned bytes" "$(verdict ell)" \
	'dkim=pass\.example:e2e:policy .*dkim_unsigned=pass\.example:e2e:35 .*action=reject'
am_like "the same message without the added line is accepted" \
	"$(e2e_reply "$T/ell-ok.out") $(queued ell-ok)" '^250 .* 1$'
