#!/bin/sh
# report_faults.sh - DMARC aggregate reports when things go wrong, with the
# SQLite store: the daemon killed (at most its last second of records
# lost), the store missing at start (mail flows, drops counted, the queue
# written once the store is there), hostile rua URIs (header injection,
# other schemes, hfields, an unauthorized external mailbox, 70 and
# 10 000 URIs), deliveries that fail and are tried again, the reporter
# killed mid-run and run again (nothing sent twice, nothing lost).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/report_lib.sh"

command -v sqlite3 >/dev/null 2>&1 || rl_skip "sqlite3 is not installed (Debian package sqlite3)"
rl_init 300
many=$(i=0; while [ $i -lt 70 ]; do printf 'mailto:r%d@many.example,' $i; i=$((i + 1)); done)
rl_dns "$(printf '%s\tTXT\t"v=spf1 ip4:192.0.2.0/24 -all"\n' hostile.example many.example)
_dmarc.hostile.example	TXT	\"v=DMARC1; p=none; rua=mailto:ok@hostile.example,mailto:x@hostile.example%0d%0aBcc:victim@else.example,https://hostile.example/r,mailto:a@hostile.example?bcc=victim@else.example,mailto:victim@else.example\"
_dmarc.many.example	TXT	\"v=DMARC1; p=none; rua=${many%,}\""
DB=$T/store/a.db
rl_conf a "sqlite:$DB"
rl_start a
today=$(date -u +%F)
sum() { sqlite3 "$DB" "SELECT COALESCE(SUM(count), 0) FROM rows $1;"; }

am_plan 28

# 1. SIGKILL: what was written stays; only the last second can be lost.
rl_send a 10 "$RL_GOOD" rec.example > "$T/send.out"
am_is "10 messages through the milter, all continued" "$(cat "$T/send.out")" "c:10"
rl_wait a written 10 || echo "# status: $(tr '\n' ' ' < "$T/store/a.status")"
rl_send a 6 "$RL_BAD" rec.example > "$T/send.out"
sleep 1.5 # at least one write interval
kill -KILL "$PID_a"
wait "$PID_a" 2>/dev/null
am_is "killed 1.5 s after the last message: all 16 in the store" "$(sum '')" 16
rl_start a
rl_send a 5 "$RL_GOOD" rec.example > "$T/send.out"
kill -KILL "$PID_a"
wait "$PID_a" 2>/dev/null
n=$(sum '')
am_ok "killed at once: between 16 and 21 in the store ($n), at most one batch lost" \
	test "$n" -ge 16 -a "$n" -le 21
rl_start a
lost=$((21 - n))

# 2. The store is not there at start: mail flows, the queue fills, drops
# are counted and logged; once the directory exists the queue is written.
rl_conf b "sqlite:$T/later/b.db" "queue_size = 100;"
rl_start b
rl_send b 150 "$RL_GOOD" rec.example > "$T/send.out"
am_is "store missing: all 150 messages continued" "$(cat "$T/send.out")" "c:150"
rl_wait b dropped 22 5
am_is "queue of 128 full, 22 dropped and counted, store down" \
	"$(rl_status b queue)/$(rl_status b dropped)/$(rl_status b store_state)" "128/22/down"
am_ok "the drops are logged" grep -Eq 'recorder dropped=[0-9]+ total_dropped=[0-9]+ reason=queue_full store=down' "$T/b.log"
am_ok "the store's failure is logged" grep -q 'recorder store=down error=".*later' "$T/b.log"
mkdir "$T/later"
chown nobody:nogroup "$T/later"
rl_wait b written 128 10
am_is "the directory made: the 128 queued are written" \
	"$(rl_status b written)/$(sqlite3 "$T/later/b.db" 'SELECT SUM(count) FROM rows;')/$(rl_status b store_state)" \
	"128/128/up"
"$RL_REPORT" -c "$T/b.conf" --status > "$T/status.out" 2>&1
am_like "--status shows the drops" "$(tr '\n' ' ' < "$T/status.out")" 'queue=0 .*dropped=22 '

# 3. Hostile rua: what reaches the reporter, and what it makes of it.
rl_send a 2 "$RL_GOOD" hostile.example > "$T/send.out"
rl_send a 1 "$RL_GOOD" many.example >> "$T/send.out"
rl_send a 2 "$RL_BAD" both.example >> "$T/send.out"
am_is "hostile and many rua: mail is judged as ever" "$(tr '\n' ' ' < "$T/send.out")" \
	"c:2 c:1 c:2 "
rl_settle a || echo "# status: $(tr '\n' ' ' < "$T/store/a.status")"
am_is "one policy row per domain" \
	"$(sqlite3 "$DB" 'SELECT domain FROM policies ORDER BY domain;' | tr '\n' ' ')" \
	"both.example hostile.example many.example rec.example "

# 4. Every delivery fails for now (EX_TEMPFAIL): all tried, all kept.
rl_stub fail 'cat > /dev/null; exit 75'
rl_report a --day "$today"
am_is "sendmail exits 75: the run ends well, every destination to try again" \
	"$RL_RC:$(grep -o 'run reports=[0-9]* sent=[0-9]* failed=[0-9]*' "$T/report.out")" \
	"0:run reports=4 sent=0 failed=9"
am_like "the header injection is refused" "$(grep 'domain=hostile.example' "$T/report.out")" \
	'rua_refused=.*x@hostile.example%0d%0aBcc.* refused'
am_like "the https URI is refused" "$(grep 'domain=hostile.example' "$T/report.out")" \
	'rua_refused=.*https://hostile.example/r.* refused: unsupported scheme'
am_like "the unauthorized external mailbox is refused" \
	"$(grep 'domain=hostile.example' "$T/report.out")" 'to=mailto:victim@else.example refused=external'
am_is "70 URIs (all a DMARC record can hold): 5 served, 10 refusal lines and one for the rest" \
	"$(grep 'domain=many.example' "$T/report.out" | grep -c rua_refused=):$(grep 'domain=many.example' "$T/report.out" | grep -c 'sent=failed')" \
	"11:5"

# 5. The reporter is killed while handing over its second message; the
# next run sends the rest, and nothing twice.
rl_stub kill 'if [ -e '"$T"'/out/first ]; then kill -KILL $PPID; exit 75; fi
cat > '"$T"'/out/first'
rl_report a --day "$today"
am_is "the reporter was killed mid-run" "$RL_RC" 137
rl_stub ok 'cat > "$(mktemp '"$T"'/out/msg.XXXXXX)"'
rl_report a --day "$today"
am_is "run again: the other 8 sent (3 reports; both.example went out before the kill)" \
	"$RL_RC:$(grep -o 'run reports=[0-9]* sent=[0-9]* failed=[0-9]*' "$T/report.out")" \
	"0:run reports=3 sent=8 failed=0"
mv "$T/out/first" "$T/out/msg.first"
rl_report a --day "$today"
am_is "a third run sends nothing" \
	"$(grep -o 'run reports=[0-9]* sent=[0-9]*' "$T/report.out")/$(ls "$T/out" | wc -l)" \
	"run reports=0 sent=0/9"
grep -h '^To:' "$T"/out/msg.* | sort > "$T/to"
am_is "9 messages, 9 mailboxes, each once" "$(sort -u "$T/to" | wc -l):$(wc -l < "$T/to")" "9:9"
am_is "the hfield's mailbox got it, nobody named by an hfield or an injected header" \
	"$(grep -c 'a@hostile.example' "$T/to"):$(grep -il victim "$T"/out/msg.* | wc -l)" "1:0"
mkdir -p "$T/xml"
$RL_CHECK read "$T/out" "$T/xml" > "$T/read.out"
am_is "every message reads as a report" "$?" 0
am_is "one Report-ID per report, the same to every mailbox of it" \
	"$(awk '$1 == "report" { print $3, $5 }' "$T/read.out" | sort -u | awk '{ print $1 }' | uniq -c | awk '{ print $1 }' | sort -u)" 1

# 6. Retries end: failures older than retry_days are given up; a
# permanent failure at once. (Rows moved back in time stand for older days.)
rl_stub fail 'cat > /dev/null; exit 75'
sqlite3 "$DB" "UPDATE rows SET day = day - 1 WHERE domain = 'both.example';
	UPDATE policies SET day = day - 1 WHERE domain = 'both.example';"
rl_report a
am_like "yesterday's rows make a report, its delivery fails" \
	"$(grep -o 'run reports=[0-9]* sent=[0-9]* failed=[0-9]*' "$T/report.out")" 'run reports=1 sent=0 failed=1'
sqlite3 "$DB" "UPDATE deliveries SET first_try = first_try - 4 * 86400 WHERE state <> 'sent';"
rl_report a
am_like "four days later (retry_days = 3) it is given up, with a log line" \
	"$(grep 'given_up=retries' "$T/report.out")" 'domain=both.example .*to=mailto:agg@both.example given_up=retries attempts=1'
rl_stub perm 'cat > /dev/null; exit 1'
sqlite3 "$DB" "UPDATE rows SET day = day - 2 WHERE domain = 'rec.example';
	UPDATE policies SET day = day - 2 WHERE domain = 'rec.example';"
rl_report a
am_like "sendmail exits 1: given up at once" "$(grep 'domain=rec.example' "$T/report.out")" \
	'sent=failed retry=no'
"$RL_REPORT" -c "$T/a.conf" --status > "$T/status.out" 2>&1
am_like "--status counts sent and given up" "$(tr '\n' ' ' < "$T/status.out")" \
	'pending=0 sent=9 failed=0 given_up=[1-9]'

# 7. 10 000 URIs in a stored rua (the store is not trusted either).
{
	printf "DELETE FROM reports; DELETE FROM deliveries; UPDATE policies SET rua = '"
	i=0
	while [ $i -lt 10000 ]; do printf 'mailto:m%d@many.example,' $i; i=$((i + 1)); done
	printf "' WHERE domain = 'many.example';\n"
} | sqlite3 "$DB"
rl_stub ok 'cat > "$(mktemp '"$T"'/out/msg.XXXXXX)"'
rm -f "$T"/out/msg.*
rl_report a --day "$today"
am_is "10 000 URIs: 5 mailboxes get the report, 10 refusal lines and one for the rest" \
	"$(grep 'domain=many.example' "$T/report.out" | grep -c 'sent=ok'):$(grep 'domain=many.example' "$T/report.out" | grep -c rua_refused=)" \
	"5:11"
