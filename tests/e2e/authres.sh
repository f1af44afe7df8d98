#!/bin/sh
# authres.sh - through a real Postfix: our Authentication-Results header
# arrives with the right results; forged ones claiming our authserv-id (any
# case, trailing dot) are removed and exactly those; a trusted client is
# skipped entirely.
#
# Trusted networks: the milter accepts the connection at CONNECT without
# looking at any message of it, so it neither adds a header nor removes a
# forged one. That is the chosen semantics: trusted_networks lists relays
# whose mail was already checked (or is our own), and they are trusted with
# the headers they send too. A site whose trusted relays pass on unchecked
# outside mail must not list them there.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

e2e_init 120
e2e_up 'trusted_networks = [ "127.0.0.40/32" ];'
TRUSTED=127.0.0.40

am_plan 21

# ids DELIVERED-ID: the authserv-ids of its A-R headers, in order
ids() { e2e_headers "$1" Authentication-Results | sed 's/;.*//' | tr '\n' ' ' | sed 's/ $//'; }

# 1. A message signed at test time, from an SPF-authorized client.
e2e_msg "$T/pass.eml" alice@pass.example pass-1@e2e.test
e2e_sign "$T/pass.eml" pass.example
e2e_swaks "$T/pass.out" "$E2E_GOOD" alice@pass.example "$T/pass.eml"
am_like "signed, SPF-authorized message is accepted" "$(e2e_reply "$T/pass.out")" '^250 2\.0\.0 Ok: queued'

# 2-5. Forged headers with our id, in other case and with a trailing dot,
# next to one from another authserv-id.
i=0
for forged in "$E2E_AUTHSERV; dmarc=pass header.from=pass.example" \
	"MX.E2E.Test; dkim=pass header.d=pass.example" \
	"$E2E_AUTHSERV.; spf=pass smtp.mailfrom=pass.example" \
	"mX.e2E.tEsT. ; dmarc=pass"; do
	i=$((i + 1))
	e2e_msg "$T/f$i.eml" alice@pass.example "forged-$i@e2e.test" \
		"Authentication-Results: $forged\nAuthentication-Results: relay.example.net; spf=pass smtp.mailfrom=pass.example\n"
	e2e_swaks "$T/f$i.out" "$E2E_GOOD" alice@pass.example "$T/f$i.eml"
done

# 6. Four headers, forged ones at positions 1 and 3.
AR=Authentication-Results
e2e_msg "$T/four.eml" alice@pass.example four@e2e.test \
"$AR: $E2E_AUTHSERV; dkim=pass header.d=pass.example
$AR: relay1.example.net; spf=pass smtp.mailfrom=pass.example
$AR: MX.E2E.TEST.; dmarc=pass header.from=pass.example
$AR: relay2.example.net; dkim=fail header.d=pass.example
"
e2e_swaks "$T/four.out" "$E2E_GOOD" alice@pass.example "$T/four.eml"

# 7. The same forged header from a trusted client.
e2e_msg "$T/trusted.eml" alice@pass.example trusted@e2e.test \
	"Authentication-Results: $E2E_AUTHSERV; dmarc=pass header.from=pass.example\n"
e2e_swaks "$T/trusted.out" "$TRUSTED" alice@pass.example "$T/trusted.eml"

e2e_settle || e2e_fail "Postfix did not deliver within 30 s"

ar=$(e2e_headers pass-1@e2e.test Authentication-Results)
am_is "delivered once, with exactly one Authentication-Results" "$(printf '%s\n' "$ar" | wc -l)" 1
am_like "the header has our authserv-id" "$ar" "^$E2E_AUTHSERV;"
am_is "spf (MAIL FROM, HELO), dkim and dmarc pass" "$($E2E_PY results "$ar")" \
	"spf=pass spf=pass iprev=permerror dkim=pass arc=none dmarc=pass"
am_like "the DKIM result names the signing domain and selector" "$ar" \
	'dkim=pass[^;]* header\.d=pass\.example[^;]* header\.s=e2e'
am_like "the DMARC result names the From domain" "$ar" 'dmarc=pass[^;]* header\.from=pass\.example'

for i in 1 2 3 4; do
	am_is "forged header $i removed, the other id kept" "$(ids "forged-$i@e2e.test")" \
		"$E2E_AUTHSERV relay.example.net"
done
am_like "the kept header arrives unchanged" \
	"$(e2e_headers forged-3@e2e.test Authentication-Results | tail -1)" \
	'^relay\.example\.net; spf=pass smtp\.mailfrom=pass\.example$'
am_is "our header replaces the forged one (dmarc=pass from our own check)" \
	"$($E2E_PY results "$(e2e_headers forged-1@e2e.test Authentication-Results | head -1)")" \
	"spf=pass spf=pass iprev=permerror dkim=none arc=none dmarc=pass"

am_is "four headers, forged at 1 and 3: exactly those two removed" "$(ids four@e2e.test)" \
	"$E2E_AUTHSERV relay1.example.net relay2.example.net"
am_like "the two kept ones are intact and in order" \
	"$(e2e_headers four@e2e.test Authentication-Results | tail -2 | tr '\n' '|')" \
	'^relay1\.example\.net; spf=pass smtp\.mailfrom=pass\.example\|relay2\.example\.net; dkim=fail header\.d=pass\.example\|$'

am_is "trusted client: delivered with only the header it sent" \
	"$(e2e_headers trusted@e2e.test Authentication-Results)" \
	"$E2E_AUTHSERV; dmarc=pass header.from=pass.example"
am_is "trusted client: the milter logged no verdict" "$(e2e_verdicts | grep -c "ip=$TRUSTED")" 0

am_is "one verdict line per checked message" "$(e2e_verdicts | grep -c ' action=accept ')" 6
am_is "nothing held or deferred" "$(e2e_queue | wc -l)" 0
am_is "smtp-sink got all seven messages" "$($E2E_PY delivered "$E2E_SINK" | wc -l)" 7
am_like "each message in the sink's log of Postfix" "$(grep -c 'status=sent' "$T/maillog")" '^7$'
am_is "no milter errors in Postfix's log" "$(grep -ci 'milter.*\(error\|warning\|timeout\)' "$T/maillog")" 0
