#!/bin/sh
# reload.sh - through a real Postfix: SIGHUP with a changed policy (enforce
# -> monitor) takes effect for new messages while a stream of p=reject
# failures is flowing, and not one message is lost: each is rejected
# (before) or delivered (after), in order per SMTP session, none tempfailed.
# Then an invalid configuration on SIGHUP is refused and the running one
# kept.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

N=120
SESSIONS=3
e2e_init 120
e2e_up 'mode = "enforce";'

am_plan 14

e2e_msg "$T/rej.eml" bob@reject.example '%N%@e2e.test'
timeout 90 $E2E_PY send "$E2E_SMTP_PORT" "$E2E_BAD" bob@reject.example "$T/rej.eml" \
	$N $SESSIONS 0.02 "$T/sent" 2>"$T/send.err" &
SENDER=$!
AM_PIDS="$AM_PIDS $SENDER"

# Reload once a fifth of the stream has been decided.
i=0
while [ "$(e2e_verdicts | wc -l)" -lt $((N / 5)) ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && e2e_fail "the stream did not start within 30 s"
	sleep 0.1
done
e2e_milter_conf 'mode = "monitor";'
kill -HUP "$E2E_MILTER_PID"
i=0
until grep -q 'reload=ok' "$T/milter.log"; do
	i=$((i + 1))
	[ $i -gt 100 ] && e2e_fail "no reload=ok in the milter log within 10 s"
	sleep 0.1
done
at_reload=$(e2e_verdicts | wc -l)
wait $SENDER
rc=$?
am_is "$N messages over $SESSIONS sessions, every one answered" \
	"$rc:$(wc -l < "$T/sent")" "0:$N"
e2e_settle || e2e_fail "Postfix did not settle within 30 s"

am_like "the reload is logged with the new mode" "$(grep 'reload=ok' "$T/milter.log")" 'mode=monitor'
rejected=$(awk '$4 == 550' "$T/sent" | wc -l)
accepted=$(awk '$4 == 250' "$T/sent" | wc -l)
am_ok "the HUP landed mid-stream: $rejected rejected, $accepted accepted (reload after $at_reload)" \
	test "$rejected" -gt 0 -a "$accepted" -gt 0 -a "$rejected" -lt "$N"
am_is "no other reply (no tempfail)" "$(awk '$4 != 250 && $4 != 550' "$T/sent")" ""
# Per session, in sending order: rejects, then accepts, never back.
am_is "each session switches once, from reject to accept" \
	"$(awk '{ s[$2] = s[$2] ($4 == 550 ? "R" : "A") }
		END { for (k in s) if (s[k] !~ /^R*A*$/) print k ": " s[k] }' "$T/sent")" ""

awk '$4 == 250 { print $1 "@e2e.test" }' "$T/sent" | sort > "$T/accepted"
$E2E_PY delivered "$E2E_SINK" | sort > "$T/delivered"
am_is "the accepted ones are exactly the delivered ones" \
	"$(comm -3 "$T/accepted" "$T/delivered" | wc -l):$(wc -l < "$T/delivered")" "0:$accepted"
am_is "rejected + delivered = sent, nothing queued" \
	"$((rejected + $(wc -l < "$T/delivered"))):$(e2e_queue | wc -l)" "$N:0"
e2e_verdicts > "$T/verdicts"
am_is "milter: one reject line per 550" "$(grep -c ' action=reject reason=dmarc_reject ' "$T/verdicts")" \
	"$rejected"
am_is "milter: one monitor line per delivery" \
	"$(grep -c ' action=accept reason=dmarc_reject would=reject override=monitor ' "$T/verdicts")" \
	"$accepted"
am_like "delivered after the reload: stamped dmarc=fail" \
	"$(e2e_headers "$(head -1 "$T/delivered")" Authentication-Results)" \
	"^$E2E_AUTHSERV;.* dmarc=fail "

# An invalid file: refused, the running configuration (monitor) kept.
printf 'policy = { mode = "sometimes"; };\n' > "$T/milter.conf"
kill -HUP "$E2E_MILTER_PID"
i=0
until grep -q 'reload=failed' "$T/milter.log"; do
	i=$((i + 1))
	[ $i -gt 100 ] && break
	sleep 0.1
done
am_like "an invalid configuration is refused" "$(grep 'reload=failed' "$T/milter.log")" \
	'keeping=current'
am_ok "the daemon is still running" kill -0 "$E2E_MILTER_PID"
e2e_msg "$T/after.eml" bob@reject.example after@e2e.test
e2e_swaks "$T/after.out" "$E2E_BAD" bob@reject.example "$T/after.eml"
e2e_settle || e2e_fail "Postfix did not settle within 30 s"
am_like "the next failing message is still handled in monitor mode" "$(e2e_reply "$T/after.out")" '^250 '
am_is "... and delivered" "$($E2E_PY delivered "$E2E_SINK" | grep -c '^after@')" 1
