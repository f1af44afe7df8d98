#!/bin/sh
# pct.sh - through a real Postfix, DMARC p=reject; pct=50 (RFC 7489 6.6.4,
# dmarc.pct = "sample"): of N failing messages about half are rejected and
# the others get the next lower policy, quarantine (Postfix's hold queue).
# The rejected count must lie in the 99.9% binomial interval, and every
# message is accounted for: rejected + held = sent, by Message-ID.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

N=240
SESSIONS=8
e2e_init 150
e2e_up ''

am_plan 10

e2e_msg "$T/half.eml" bob@half.example '%N%@e2e.test'
timeout 120 $E2E_PY send "$E2E_SMTP_PORT" "$E2E_BAD" bob@half.example "$T/half.eml" \
	$N $SESSIONS 0 "$T/sent" 2>"$T/send.err"
rc=$?
am_is "$N messages over $SESSIONS sessions, every one answered" \
	"$rc:$(wc -l < "$T/sent")" "0:$N"
e2e_settle || e2e_fail "Postfix did not settle within 30 s"

rejected=$(awk '$4 == 550' "$T/sent" | wc -l)
set -- $($E2E_PY binom $N 0.5 0.999)
lo=$1 hi=$2
am_ok "rejected $rejected of $N, within the 99.9% interval [$lo, $hi] of Binomial($N, 0.5)" \
	test "$rejected" -ge "$lo" -a "$rejected" -le "$hi"
am_is "every reply is 250 or the DMARC reject" \
	"$(awk '$4 != 250 && $4 != 550' "$T/sent" | wc -l)" 0
am_is "every reject has the p=reject reply" \
	"$(awk '$4 == 550' "$T/sent" | grep -vc ' 550 5\.7\.26 Unauthenticated email from half\.example .*(p=reject)$')" 0

e2e_queue > "$T/queue.txt" || e2e_fail "cannot list the queue"
awk '$4 == 250 { print $1 "@e2e.test" }' "$T/sent" | sort > "$T/accepted"
awk '$1 == "hold" { print $2 }' "$T/queue.txt" | sort > "$T/held"
am_is "the accepted ones are exactly the held ones" \
	"$(comm -3 "$T/accepted" "$T/held" | wc -l):$(wc -l < "$T/held")" "0:$((N - rejected))"
am_is "rejected + held = sent" "$((rejected + $(wc -l < "$T/held")))" $N
am_is "nothing in any other queue, nothing delivered" \
	"$(awk '$1 != "hold"' "$T/queue.txt" | wc -l):$($E2E_PY delivered "$E2E_SINK" | wc -l)" "0:0"
am_is "every message a different Message-ID" \
	"$(cut -d' ' -f1 "$T/sent" | sort -u | wc -l)" $N

e2e_verdicts > "$T/verdicts"
am_is "milter: sampled-in failures rejected" \
	"$(grep -c 'p=reject pct=50 sampled=in action=reject reason=dmarc_reject' "$T/verdicts")" "$rejected"
am_is "milter: sampled-out failures quarantined" \
	"$(grep -c 'p=reject pct=50 sampled=out applied=quarantine action=quarantine reason=dmarc_quarantine' "$T/verdicts")" \
	"$((N - rejected))"
