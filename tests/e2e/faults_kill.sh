#!/bin/sh
# faults_kill.sh - through a real Postfix (milter_default_action = tempfail):
# authmilter is killed with SIGKILL while a stream of messages flows, and
# started again after a moment. Not one message is lost or let in unchecked.
#
# The stream: N messages (E2E_FAULT_N, default 200) over SESSIONS parallel
# SMTP sessions (E2E_FAULT_SESSIONS, 8), three kinds by session:
#   good  SPF pass from 127.0.0.10, From reject.example  -> deliver, dmarc=pass
#   bad   SPF fail from 127.0.0.20, From reject.example  -> 550 5.7.26 (p=reject)
#   dkim  SPF fail from 127.0.0.20, From pass.example, DKIM-signed -> deliver
# A session that gets a 4xx quits and reconnects for its next message, as a
# sending MTA would, so the stream goes on through the outage.
#
# The accounting. The milter runs inside Postfix's smtpd conversation,
# before the message is queued, so each message has exactly one of these
# fates at the SMTP client (by Message-ID):
#   250  queued by Postfix; it must then be delivered to smtp-sink (or still
#        be in Postfix's queue), carrying exactly one Authentication-Results
#        header of ours (it was checked), with the verdict its kind expects;
#   550  the DMARC reject, only for "bad" messages; never queued;
#   4xx  the milter could not answer (dead, or the conversation broke):
#        Postfix refused it temporarily and did NOT queue it, so the SMTP
#        client still owns it and will retry. These must appear nowhere in
#        the sink or the queue.
# Anything else (no reply, another code) is a failure. After the restart
# the test plays the retrying client: it sends every 4xx'd message again
# (same Message-ID), flushes Postfix's queue (postqueue -f), and then every
# one of the N messages is delivered with our header exactly once (good,
# dkim) or refused with the DMARC 550 (bad): none lost, none duplicated.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

N=${E2E_FAULT_N:-200}
SESSIONS=${E2E_FAULT_SESSIONS:-8}
DELAY=${E2E_FAULT_DELAY:-0.2}
DOWN=${E2E_FAULT_DOWN:-1}
PER=$(((N + SESSIONS - 1) / SESSIONS))
N=$((PER * SESSIONS))
e2e_init 150
e2e_up ''

am_plan 16

e2e_mixed_kinds

started=$(date +%s.%N)
timeout 120 $E2E_PY mixsend "$E2E_SMTP_PORT" "$T/sent" $SESSIONS $PER "$DELAY" retry $KINDS \
	2>"$T/send.err" &
SENDER=$!
AM_PIDS="$AM_PIDS $SENDER"

# Kill once a quarter of the stream has been decided.
i=0
while [ "$(e2e_verdicts | wc -l)" -lt $((N / 4)) ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && e2e_fail "the stream did not start within 30 s"
	sleep 0.05
done
kill -KILL "$E2E_MILTER_PID"
wait "$E2E_MILTER_PID" 2>/dev/null
e2e_forget "$E2E_MILTER_PID"
at_kill=$(e2e_verdicts | wc -l)
sleep "$DOWN"
e2e_milter_restart
wait $SENDER
rc=$?
e2e_forget $SENDER
echo "# stream: $N messages, $SESSIONS sessions, killed after $at_kill verdicts," \
	"down ${DOWN}s, $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
am_is "$N messages, every one answered once" \
	"$rc:$(wc -l < "$T/sent"):$(cut -d' ' -f1 "$T/sent" | sort -u | wc -l)" "0:$N:$N"
e2e_settle || e2e_fail "Postfix did not settle within 30 s"

# kind K: 0 good, 1 bad, 2 dkim (session s = k % SESSIONS has kind s % 3)
kind() { awk -v S=$SESSIONS '{ print ($1 % S) % 3, $0 }' "$@"; }
msgid() { awk -v S=$SESSIONS '{ k = ($1 % S) % 3; print $1 "@" (k == 0 ? "good" : k == 1 ? "bad" : "dkim") ".e2e.test" }'; }
kind "$T/sent" > "$T/sentk"
n250=$(awk '$5 == 250' "$T/sentk" | wc -l)
n550=$(awk '$5 == 550' "$T/sentk" | wc -l)
n4xx=$(awk '$5 >= 400 && $5 < 500' "$T/sentk" | wc -l)
echo "# first pass: $n250 accepted, $n550 rejected, $n4xx tempfailed" \
	"($(awk '$5 >= 400 && $5 < 500 { $1 = $2 = $3 = $4 = ""; print }' "$T/sentk" |
		sort | uniq -c | sed 's/^ *//' | tr '\n' ';'))"
am_is "every reply is 250, 550 or 4xx (no lost connection, no other code)" \
	"$(awk '$5 != 250 && $5 != 550 && ($5 < 400 || $5 >= 500)' "$T/sentk" | head -3)" ""
am_ok "the kill tempfailed some messages ($n4xx), and others passed before and after it" \
	test "$n4xx" -gt 0 -a "$n250" -gt 0 -a "$n550" -gt 0
am_is "no verdict against its kind (good/dkim never 550, bad never 250)" \
	"$(awk '($1 != 1 && $5 == 550) || ($1 == 1 && $5 == 250)' "$T/sentk" | head -3)" ""
am_is "every 550 is the DMARC reject" \
	"$(awk '$5 == 550' "$T/sentk" | grep -vc ' 550 5\.7\.26 Unauthenticated email from reject\.example .*(p=reject)$')" 0
# Messages after the restart were decided by the new process.
broken=$(grep -c "milter inet:127.0.0.1:$E2E_MILTER_PORT: can't read SMFIC_[A-Z]* reply" "$T/maillog")
am_ok "the kill broke $broken live milter conversations (Postfix: can't read ... reply)" \
	test "$broken" -gt 0
am_ok "the stream went on after the restart (verdicts by the new process: $(($(e2e_verdicts | wc -l) - at_kill)))" \
	test "$(e2e_verdicts | wc -l)" -gt "$at_kill"

# Where the accepted and tempfailed ones are.
e2e_queue > "$T/queue1" || e2e_fail "cannot list the queue"
$E2E_PY stamped "$E2E_SINK" "$E2E_AUTHSERV" > "$T/stamped1"
awk '$5 == 250 { print $2 }' "$T/sentk" | msgid | sort > "$T/accepted"
awk '$5 >= 400 && $5 < 500 { print $2 }' "$T/sentk" | msgid | sort > "$T/tempfailed"
{ cut -d' ' -f1 "$T/stamped1"; awk '{ print $2 }' "$T/queue1"; } | sort > "$T/landed1"
echo "# after the stream: $(wc -l < "$T/stamped1") delivered, $(wc -l < "$T/queue1") in Postfix's queue"
am_is "accepted = delivered + queued, by Message-ID" \
	"$(comm -3 "$T/accepted" "$T/landed1" | head -3 | tr '\n' ' ')" ""
am_is "no tempfailed message was queued or delivered (the client still owns it)" \
	"$(comm -12 "$T/tempfailed" "$T/landed1" | head -3 | tr '\n' ' ')" ""
am_is "every delivered message has exactly one header of ours, with dmarc=pass" \
	"$(awk '$2 != 1 || $0 !~ / dmarc=pass/' "$T/stamped1" | head -3)" ""

# The retrying client: each tempfailed message again, from its own session.
awk '$5 >= 400 && $5 < 500 { print $2 }' "$T/sentk" > "$T/retry.keys"
MIXSEND_ONLY="$T/retry.keys" timeout 60 $E2E_PY mixsend "$E2E_SMTP_PORT" "$T/sent2" \
	$SESSIONS $PER 0 retry $KINDS 2>>"$T/send.err"
kind "$T/sent2" > "$T/sent2k"
am_is "retried: each of the $n4xx tempfailed messages now 250 (good, dkim) or 550 (bad)" \
	"$(wc -l < "$T/sent2k"):$(awk '($1 != 1 && $5 == 250) || ($1 == 1 && $5 == 550)' "$T/sent2k" | wc -l)" \
	"$n4xx:$n4xx"
timeout 30 postqueue -c "$E2E_PF" -f >/dev/null 2>&1
e2e_settle || e2e_fail "Postfix did not settle within 30 s after the flush"
e2e_queue > "$T/queue2" || e2e_fail "cannot list the queue"
am_is "after the flush nothing is left in Postfix's queue" "$(cat "$T/queue2")" ""

# The final ledger.
$E2E_PY stamped "$E2E_SINK" "$E2E_AUTHSERV" > "$T/stamped2"
cat "$T/sentk" "$T/sent2k" | awk '$1 != 1 && $5 == 250 { print $2 }' | msgid | sort > "$T/want"
cut -d' ' -f1 "$T/stamped2" | sort > "$T/got"
am_is "every good and dkim message delivered exactly once" \
	"$(comm -3 "$T/want" "$T/got" | wc -l):$(wc -l < "$T/got"):$(sort -u "$T/got" | wc -l)" \
	"0:$(awk '$1 != 1' "$T/sentk" | wc -l):$(awk '$1 != 1' "$T/sentk" | wc -l)"
am_is "... each with one header of ours, dmarc=pass (dkim=pass for the signed ones)" \
	"$(awk '$2 != 1 || $0 !~ / dmarc=pass/ || ($1 ~ /@dkim/ && $0 !~ / dkim=pass/)' "$T/stamped2" | head -3)" ""
am_is "every bad message refused with the DMARC 550, none delivered" \
	"$(cat "$T/sentk" "$T/sent2k" | awk '$1 == 1 && $5 == 550' | wc -l):$(grep -c '@bad' "$T/got")" \
	"$(awk '$1 == 1' "$T/sentk" | wc -l):0"
am_ok "the restarted daemon is running" kill -0 "$E2E_MILTER_PID"
