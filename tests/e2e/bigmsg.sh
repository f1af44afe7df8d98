#!/bin/sh
# bigmsg.sh - through a real Postfix: one MB-MiB message (E2E_BIG_MB,
# default 50), generated here and DKIM-signed (pass.example, rsa-sha256,
# relaxed/simple), sent from an address SPF does not authorize, so only a
# DKIM pass over the whole body makes DMARC pass. It must be delivered
# intact with our header (dkim=pass, dmarc=pass), and the daemon's peak
# VmRSS during the message may exceed its resting VmRSS by less than
# E2E_BIG_RSS_MB (default 20) MB: the body is streamed, never held whole.
# Under AddressSanitizer freed memory is kept in a quarantine (256 MB by
# default), which would hide exactly that; this test starts the daemon
# with a 4 MB quarantine.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

MB=${E2E_BIG_MB:-50}
RSS_MB=${E2E_BIG_RSS_MB:-20}
e2e_init 150
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
export ASAN_OPTIONS
E2E_PF_MAIN_EXTRA="message_size_limit = $(((MB + 10) * 1048576))"
e2e_up ''

am_plan 7

# Warm up with a small signed message (DNS cached, libraries initialized).
e2e_msg "$T/warm.eml" bob@pass.example warm@e2e.test
e2e_sign "$T/warm.eml" pass.example || e2e_fail "cannot sign"
timeout 60 $E2E_PY mixsend "$E2E_SMTP_PORT" "$T/warm.sent" 1 1 0 retry \
	"$E2E_BAD,bob@pass.example,$T/warm.eml" 2>>"$T/send.err"
e2e_settle || e2e_fail "Postfix did not settle within 30 s"
[ "$(cut -d' ' -f4 "$T/warm.sent")" = 250 ] || e2e_fail "warm-up message: $(cat "$T/warm.sent")"
sleep 0.5
set -- $($E2E_PY procinfo "$E2E_MILTER_PID") || e2e_fail "no /proc entry for the daemon"
base_rss=$1

t0=$(date +%s.%N)
timeout 60 $E2E_PY bigmsg "$T/big.eml" "$MB" big@e2e.test bob@pass.example \
	"$T/e2e.key" pass.example e2e || e2e_fail "cannot make the big message"
t1=$(date +%s.%N)
$E2E_PY hwmreset "$E2E_MILTER_PID" && hwm_ok=1 || hwm_ok=0
e2e_watch_start
timeout 120 $E2E_PY mixsend "$E2E_SMTP_PORT" "$T/sent" 1 1 0 retry \
	"$E2E_BAD,bob@pass.example,$T/big.eml" 2>>"$T/send.err"
rc=$?
t2=$(date +%s.%N)
e2e_watch_stop
hwm=$HWM
set -- $(cat "$T/watch")
peak_rss=$1 samples=$4
[ "$hwm_ok" = 1 ] && [ "$hwm" -gt "$peak_rss" ] && peak_rss=$hwm
growth=$((peak_rss - base_rss))
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
echo "# $(wc -c < "$T/big.eml") bytes: made and signed in $(secs "$t0" "$t1") s, sent in $(secs "$t1" "$t2") s"
echo "# daemon VmRSS at rest $base_rss kB, peak $peak_rss kB (VmHWM" \
	"$([ "$hwm_ok" = 1 ] && echo "$hwm kB" || echo "not resettable"), $samples samples): +$growth kB"

am_is "the SMTP client gets 250" "$rc:$(cut -d' ' -f4- "$T/sent")" "0:250 ok"
e2e_settle || e2e_fail "Postfix did not settle within 60 s"
am_is "delivered exactly once, nothing left in the queue" \
	"$($E2E_PY delivered "$E2E_SINK" | grep -c '^big@e2e\.test$'):$(e2e_queue | wc -l)" "1:0"
$E2E_PY stamped "$E2E_SINK" "$E2E_AUTHSERV" | grep '^big@' > "$T/stamped"
am_like "one header of ours: dkim=pass, dmarc=pass (SPF fails: the body hash decided)" \
	"$(cat "$T/stamped")" '^big@e2e\.test 1 spf=fail .*dkim=pass arc=none dmarc=pass$'
am_like "the milter logged the verdict" "$(e2e_verdicts | grep 'mailfrom=bob@pass.example' | tail -1)" \
	'dkim=pass\.example:e2e:pass arc=none dmarc=pass .*action=accept'
# smtp-sink's file: its X-Client records, then the message as delivered,
# with LF line ends and an empty line added at the end.
f=$(grep -l '^Message-ID: <big@e2e\.test>' "$E2E_SINK"/* 2>/dev/null | head -1)
body() { tr -d '\r' < "$1" | sed -e '1,/^$/d' -e '${/^$/d;}' | sha256sum | cut -d' ' -f1; }
am_is "the body arrives intact" "$(body "$f")" "$(body "$T/big.eml")"
am_ok "the daemon watched the whole message ($samples samples over $(secs "$t1" "$t2") s)" \
	test "$samples" -ge 5
am_ok "the daemon's VmRSS grew by $((growth / 1024)) MB (< $RSS_MB MB) for a $MB MB message" \
	test "$growth" -lt $((RSS_MB * 1024))
