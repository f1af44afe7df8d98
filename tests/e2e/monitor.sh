#!/bin/sh
# monitor.sh - through a real Postfix, policy.mode = "monitor": the DMARC
# failures that enforce.sh sees rejected and held are delivered, stamped
# with our header, and the log says what would have been done. Forged
# headers are still removed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

e2e_init 120
e2e_up 'mode = "monitor";'

am_plan 12

e2e_msg "$T/rej.eml" bob@reject.example rej@e2e.test \
	"Authentication-Results: $E2E_AUTHSERV; dmarc=pass header.from=reject.example\n"
e2e_swaks "$T/rej.out" "$E2E_BAD" bob@reject.example "$T/rej.eml"
e2e_msg "$T/quar.eml" bob@quar.example quar@e2e.test
e2e_swaks "$T/quar.out" "$E2E_BAD" bob@quar.example "$T/quar.eml"
e2e_settle || e2e_fail "Postfix did not settle within 30 s"

am_like "monitor: the p=reject failure is accepted at SMTP" "$(e2e_reply "$T/rej.out")" '^250 '
ar=$(e2e_headers rej@e2e.test Authentication-Results)
am_is "monitor: delivered once, with one Authentication-Results (the forged one removed)" \
	"$(printf '%s\n' "$ar" | wc -l)" 1
am_like "monitor: our header carries the failure" "$ar" "^$E2E_AUTHSERV;"
am_is "monitor: spf fail, dmarc fail" "$($E2E_PY results "$ar")" \
	"spf=fail spf=fail iprev=permerror dkim=none arc=none dmarc=fail"
am_like "monitor: the DMARC result names the policy" "$ar" \
	'dmarc=fail \(p=reject[^)]*\) .*header\.from=reject\.example'
qid=$(sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p' "$T/rej.out")
line=$(e2e_verdicts | grep " qid=$qid ")
am_like "monitor: the log says would=reject" "$line" \
	'dmarc=fail .*action=accept reason=dmarc_reject would=reject override=monitor( |$)'

am_like "monitor: the p=quarantine failure is accepted" "$(e2e_reply "$T/quar.out")" '^250 '
am_is "monitor: ... delivered, not held" \
	"$($E2E_PY delivered "$E2E_SINK" | grep -c '^quar@'):$(e2e_queue | wc -l)" "1:0"
am_like "monitor: the log says would=quarantine" "$(e2e_verdicts | grep 'from=quar\.example')" \
	'action=accept reason=dmarc_quarantine would=quarantine override=monitor'
am_like "the start line names the mode" "$(grep ' start version=' "$T/milter.log")" ' mode=monitor '
am_is "Postfix logged no milter reject or hold" \
	"$(grep -c 'milter-\(reject\|hold\)' "$T/maillog")" 0
am_is "both messages sent on by Postfix" "$(grep -c 'status=sent' "$T/maillog")" 2
