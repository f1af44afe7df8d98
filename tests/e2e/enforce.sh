#!/bin/sh
# enforce.sh - through a real Postfix, enforce mode: a DMARC p=reject
# failure is refused with 550 5.7.26 at the SMTP client and never
# delivered; a p=quarantine failure goes to Postfix's hold queue (stamped);
# allowlisted networks and author domains (and subdomains) are checked and
# stamped but never refused or held.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

e2e_init 120
e2e_up 'allow_networks = [ "127.0.0.30/32" ]; allow_domains = [ "allowed.example" ];'
ALLOWNET=127.0.0.30

am_plan 22

# send ID IP FROM-ADDRESS: one unsigned message, From = envelope sender
send() {
	e2e_msg "$T/$1.eml" "$3" "$1@e2e.test"
	e2e_swaks "$T/$1.out" "$2" "$3" "$T/$1.eml"
}
# verdict ID: the milter's log line for message ID's Postfix queue id
verdict() {
	qid=$(sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p' "$T/$1.out")
	[ -n "$qid" ] || qid=$(grep -F "$1@e2e.test" "$T/maillog" | sed -n 's/.*\]: \([0-9A-F]*\): .*/\1/p' | head -1)
	e2e_verdicts | grep " qid=$qid " | sed 's/^[^:]*: //'
}
delivered() { $E2E_PY delivered "$E2E_SINK" | grep -cxF "$1@e2e.test"; }

send rej "$E2E_BAD" bob@reject.example
send quar "$E2E_BAD" bob@quar.example
send rej-allownet "$ALLOWNET" bob@reject.example
send quar-allownet "$ALLOWNET" bob@quar.example
send rej-allowdom "$E2E_BAD" bob@allowed.example
send rej-allowsub "$E2E_BAD" bob@lists.allowed.example
send rej-good "$E2E_GOOD" bob@reject.example
e2e_settle || e2e_fail "Postfix did not settle within 30 s"

am_is "p=reject failure: the SMTP client gets the DMARC reply" "$(e2e_reply "$T/rej.out")" \
	"550 5.7.26 Unauthenticated email from reject.example is not accepted due to the domain's DMARC policy (p=reject)"
am_is "p=reject failure: not delivered" "$(delivered rej)" 0
am_is "p=reject failure: not queued" "$(e2e_queue | grep -c ' rej@')" 0
am_like "p=reject failure: Postfix logs the milter reject" \
	"$(grep 'milter-reject: END-OF-MESSAGE' "$T/maillog" | grep -c 'from=<bob@reject.example>')" '^1$'
am_like "p=reject failure: the milter logs it" "$(verdict rej)" \
	'spf=fail .*dmarc=fail dmarc_domain=reject\.example p=reject .* action=reject reason=dmarc_reject'

am_like "p=quarantine failure: accepted at SMTP" "$(e2e_reply "$T/quar.out")" '^250 '
am_is "p=quarantine failure: in Postfix's hold queue" "$(e2e_queue | grep ' quar@')" \
	"hold quar@e2e.test"
am_is "p=quarantine failure: not delivered" "$(delivered quar)" 0
qid=$(sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p' "$T/quar.out")
am_like "the held message carries our header" \
	"$(timeout 30 postcat -c "$E2E_PF" -h -q "$qid" 2>/dev/null | tr '\n' ' ')" \
	"Authentication-Results: $E2E_AUTHSERV;.*dmarc=fail"
am_like "Postfix logs the hold" "$(grep "$qid: milter-hold:" "$T/maillog")" 'milter triggers HOLD action; from=<bob@quar\.example>'
am_like "p=quarantine failure: the milter logs it" "$(verdict quar)" \
	'action=quarantine reason=dmarc_quarantine'

am_like "allowlisted network, p=reject failure: accepted" "$(e2e_reply "$T/rej-allownet.out")" '^250 '
am_is "allowlisted network: delivered" "$(delivered rej-allownet)" 1
am_like "allowlisted network: stamped with the real result" \
	"$(e2e_headers rej-allownet@e2e.test Authentication-Results)" \
	"^$E2E_AUTHSERV;.* dmarc=fail .*header\\.from=reject\\.example"
am_like "allowlisted network: the log says what it overrode" "$(verdict rej-allownet)" \
	'action=accept reason=dmarc_reject would=reject override=allow_network'
am_is "allowlisted network, p=quarantine failure: delivered, not held" \
	"$(delivered quar-allownet):$(e2e_queue | grep -c ' quar-allownet@')" "1:0"

am_like "allowlisted domain, p=reject failure: accepted" "$(e2e_reply "$T/rej-allowdom.out")" '^250 '
am_is "allowlisted domain: delivered" "$(delivered rej-allowdom)" 1
am_like "allowlisted domain: the log says what it overrode" "$(verdict rej-allowdom)" \
	'action=accept reason=dmarc_reject would=reject override=allow_domain'
am_like "subdomain of an allowlisted domain: delivered, overridden" \
	"$(delivered rej-allowsub) $(verdict rej-allowsub)" \
	'^1 .*would=reject override=allow_domain'

am_is "control: the same domain from its SPF-authorized address is delivered" \
	"$(delivered rej-good)" 1
am_is "nothing else queued (only the quarantined message is held)" "$(e2e_queue)" \
	"hold quar@e2e.test"
