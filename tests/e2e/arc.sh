#!/bin/sh
# arc.sh - through a real Postfix: a message from a p=reject domain,
# changed the way a mailing list changes it (subject tag and footer, so
# its DKIM signature fails) and sealed by the list at test time
# (tests/integration/arcchain.py, python3-dkim):
#   - sealer in arc.trusted_sealers: delivered, arc=pass and the override
#     in our header and in the log line;
#   - sealer not listed: 550;
#   - listed, but the seal tampered with: 550.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

e2e_init 120
CHAIN="$PYTHON3 $top_srcdir/tests/integration/arcchain.py"
arckey=$(timeout 60 $E2E_KEYS genkey rsa 1024 "$T/arc.key") || e2e_fail "no ARC key"
E2E_ZONE_EXTRA="arc._domainkey.lists.e2e.example	TXT	\"$arckey\"
arc._domainkey.other.e2e.example	TXT	\"$arckey\"
lists.e2e.example	TXT	\"v=spf1 ip4:$E2E_BAD -all\""
E2E_MILTER_EXTRA='arc = { trusted_sealers = [ "lists.e2e.example" ]; };'
e2e_up ''

am_plan 9

SAW="dkim=pass header.d=pass.example; spf=pass smtp.mailfrom=bob@pass.example"
# listed ID SEALER [EXTRA STEP]: bob@pass.example's signed message through
# the list SEALER, sent from the list's host
listed() {
	e2e_msg "$T/$1.eml" bob@pass.example "$1@e2e.test"
	e2e_sign "$T/$1.eml" pass.example
	# shellcheck disable=SC2086
	timeout 30 $CHAIN list "seal:$T/arc.key:rsa-sha256:$2:arc:$SAW" ${3:-} \
		< "$T/$1.eml" > "$T/$1.sealed" || e2e_fail "cannot seal"
	e2e_swaks "$T/$1.out" "$E2E_BAD" "bounce@$2" "$T/$1.sealed"
}
qid() { grep -F "message-id=<$1@e2e.test>" "$T/maillog" | sed -n 's/.*: \([0-9A-F]*\): message-id=.*/\1/p' | head -1; }
verdict() { e2e_verdicts | grep " qid=$(qid "$1") "; }
delivered() { $E2E_PY delivered "$E2E_SINK" | grep -cxF "$1@e2e.test"; }

listed trusted lists.e2e.example
listed untrusted other.e2e.example
listed tampered lists.e2e.example tamper-aar:1
e2e_settle || e2e_fail "Postfix did not settle within 30 s"

am_like "trusted sealer: accepted" "$(e2e_reply "$T/trusted.out")" '^250 '
am_is "... delivered" "$(delivered trusted)" 1
ar=$(e2e_headers trusted@e2e.test Authentication-Results)
am_like "... our header: the author's DKIM failed, arc=pass with the client" "$ar" \
	'dkim=fail .*arc=pass smtp\.remote-ip=127\.0\.0\.20 header\.oldest-pass=0;'
am_like "... and dmarc=fail, disposition none, naming the override" "$ar" \
	'dmarc=fail \(p=reject pct=100 dis=none[^)]*; arc override: lists\.e2e\.example i=1\)'
am_like "... the log line: arc=pass, arc_override, override=arc, would=reject" "$(verdict trusted)" \
	'dkim=pass\.example:e2e:fail arc=pass arc_override=lists\.e2e\.example .*action=accept reason=dmarc_reject would=reject override=arc'
am_like "sealer not listed: 550" "$(e2e_reply "$T/untrusted.out")" '^550 5\.7\.26 '
am_like "... the log line: arc=pass, no override" "$(verdict untrusted)" \
	'arc=pass dmarc=fail .*action=reject reason=dmarc_reject'
am_like "listed sealer, tampered seal: 550" "$(e2e_reply "$T/tampered.out")" '^550 5\.7\.26 '
am_like "... the log line: arc=fail, no override" "$(verdict tampered)" \
	'arc=fail dmarc=fail .*action=reject reason=dmarc_reject'
