#!/bin/sh
# report.sh - DMARC aggregate reports end to end: a known mix of mail
# through a real Postfix for three policy domains, recorded by the daemon
# into SQLite, reported by authmilter-report over SMTP to an smtp-sink:
#   own.example     p=quarantine, rua on the domain itself
#   ext.example     p=reject; pct=50, rua at reports.example, which
#                   authorizes it (ext.example._report._dmarc.reports.example)
#   noauth.example  p=reject, rua at evil.example, which does not
# Every report must validate against RFC 9990's schema, read as RFC 9990
# says (Report-ID in Subject, file name and XML alike), count exactly what
# was sent per source IP and disposition; the unauthorized destination
# gets nothing; a second run sends nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

XSD=$CONFORMANCE_DIR/dmarc-report/dmarc-xml-0.2.xsd
CHECK="$PYTHON3 $top_srcdir/tests/reportcheck.py"
REPORT=$top_builddir/src/authmilter-report
command -v xmllint >/dev/null 2>&1 || e2e_skip "xmllint is not installed (libxml2-utils)"
[ -r "$XSD" ] || e2e_skip "conformance data not found ($XSD)"
e2e_init 240

spf='"v=spf1 ip4:127.0.0.10 -all"'
E2E_ZONE_EXTRA=$(printf '%s\tTXT\t%s\n' own.example "$spf" ext.example "$spf" noauth.example "$spf"
	printf '_dmarc.own.example\tTXT\t"v=DMARC1; p=quarantine; rua=mailto:dmarc@own.example"\n'
	printf '_dmarc.ext.example\tTXT\t"v=DMARC1; p=reject; pct=50; rua=mailto:agg@reports.example"\n'
	printf 'ext.example._report._dmarc.reports.example\tTXT\t"v=DMARC1"\n'
	printf '_dmarc.noauth.example\tTXT\t"v=DMARC1; p=reject; rua=mailto:agg@evil.example"\n')
e2e_dns
e2e_sink
# A second smtp-sink takes the reports.
RSINK=$T/rsink
mkdir -p "$RSINK" "$T/store"
chown nobody "$RSINK" "$T/store"
RSINK_PORT=$(e2e_port)
smtp-sink -u nobody -d "$RSINK/m." 127.0.0.1:"$RSINK_PORT" 100 2>>"$T/rsink.err" &
AM_PIDS="$AM_PIDS $!"
$E2E_PY waitport "$RSINK_PORT" 10 || e2e_fail "report smtp-sink did not start"
E2E_MILTER_EXTRA="reporting = { enabled = true; store = \"sqlite:$T/store/reports.db\";
  status_file = \"$T/store/status\"; org_name = \"E2E Receiver\";
  email = \"dmarc-reports@mx.e2e.test\"; smtp = \"127.0.0.1:$RSINK_PORT\"; };"
e2e_milter_conf ''
e2e_milter
e2e_postfix

am_plan 15

# send DOMAIN IP N: N messages From and MAIL FROM bob@DOMAIN; replies in $T/sent.DOMAIN.IP
send() {
	e2e_msg "$T/$1.eml" "bob@$1" "%N%@$1.$2.e2e.test"
	timeout 120 $E2E_PY send "$E2E_SMTP_PORT" "$2" "bob@$1" "$T/$1.eml" "$3" 2 0 \
		"$T/sent.$1.$2" 2>>"$T/send.err" || e2e_fail "sending $1 from $2: $(cat "$T/send.err")"
}
send own.example "$E2E_GOOD" 4
send own.example "$E2E_BAD" 5
send ext.example "$E2E_GOOD" 4
send ext.example "$E2E_BAD" 12
send noauth.example "$E2E_GOOD" 3
send noauth.example "$E2E_BAD" 3
e2e_settle || e2e_fail "Postfix did not settle within 30 s"
codes() { awk '{ print $4 }' "$T/sent.$1.$2" | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }'; }
am_is "own.example: passing accepted, failing held" \
	"$(codes own.example "$E2E_GOOD")/$(codes own.example "$E2E_BAD")" "250:4 /250:5 "
ext_rej=$(awk '$4 == 550' "$T/sent.ext.example.$E2E_BAD" | wc -l)
ext_held=$(awk '$4 == 250' "$T/sent.ext.example.$E2E_BAD" | wc -l)
am_is "ext.example: each failure rejected or, sampled out by pct, held" \
	"$((ext_rej + ext_held)):$(codes noauth.example "$E2E_BAD")" "12:550:3 "

# The recorder writes at least once a second: wait until all 31 are in.
i=0
until grep -qx 'written=31' "$T/store/status" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && break
	sleep 0.1
done
am_is "recorder: 31 recorded, 31 written, none dropped" \
	"$(grep -E '^(recorded|written|dropped)=' "$T/store/status" | tr '\n' ' ')" \
	"recorded=31 written=31 dropped=0 "

"$REPORT" -c "$T/milter.conf" --day "$(date -u +%F)" -v >"$T/report1.out" 2>&1
am_is "the reporter's run exits 0" "$?" 0
sed 's/^/# /' "$T/report1.out" | grep -v 'sent=ok' | head -20
am_is "two reports sent, one destination refused" \
	"$(grep -o 'run reports=[0-9]* sent=[0-9]* failed=[0-9]* deferred=[0-9]* given_up=[0-9]*' "$T/report1.out")" \
	"run reports=2 sent=2 failed=0 deferred=0 given_up=1"
am_like "the unauthorized destination is logged" \
	"$(grep 'domain=noauth.example' "$T/report1.out")" 'to=mailto:agg@evil.example refused=external'

mkdir -p "$T/xml"
$CHECK read "$RSINK" "$T/xml" > "$T/read.out"
am_is "every report reads as RFC 9990 says (Subject, file name, Report-ID)" "$?" 0
sed 's/^/# /' "$T/read.out" | grep '^# report'
am_is "one report each to own.example's and reports.example's mailbox, none to evil.example" \
	"$(awk '$1 == "report" { print $3, $4 }' "$T/read.out" | sort | tr '\n' ' ')" \
	"ext.example agg@reports.example own.example dmarc@own.example "
valid=0
for x in "$T"/xml/*.xml; do
	xmllint --noout --schema "$XSD" "$x" >>"$T/xmllint.out" 2>&1 && valid=$((valid + 1))
done
am_is "both validate against the schema" "$valid" 2

# Counts per domain, source IP and disposition, summed over rows.
counts() {
	awk -v d="$1" '$1 == "row" && $3 == d { c[$4 " " $5] += $8 }
		END { for (k in c) print k ":" c[k] }' "$T/read.out" | sort | tr '\n' ' '
}
am_is "own.example: 4 pass from the good IP, 5 quarantined from the bad one" \
	"$(counts own.example)" "$E2E_GOOD pass:4 $E2E_BAD quarantine:5 "
want="$E2E_GOOD pass:4 $E2E_BAD quarantine:$ext_held $E2E_BAD reject:$ext_rej "
[ "$ext_held" = 0 ] && want="$E2E_GOOD pass:4 $E2E_BAD reject:$ext_rej "
[ "$ext_rej" = 0 ] && want="$E2E_GOOD pass:4 $E2E_BAD quarantine:$ext_held "
am_is "ext.example: counts equal the replies ($ext_rej rejected, $ext_held sampled out)" \
	"$(counts ext.example)" "$want"
am_is "sampled-out rows give the reason other" \
	"$(awk '$1 == "row" && $5 == "quarantine" && $3 == "ext.example" && $10 != "other"' "$T/read.out" | wc -l)" 0
am_is "alignment as evaluated: passes aligned by SPF only, failures aligned by nothing" \
	"$(awk '$1 == "row" { print $5 "/" $6 "/" $7 }' "$T/read.out" | sort -u | tr '\n' ' ')" \
	"pass/fail/pass quarantine/fail/fail reject/fail/fail "

"$REPORT" -c "$T/milter.conf" --day "$(date -u +%F)" -v >"$T/report2.out" 2>&1
am_is "a second run sends nothing" \
	"$?:$(grep -o 'run reports=[0-9]* sent=[0-9]*' "$T/report2.out"):$(find "$RSINK" -type f | wc -l)" \
	"0:run reports=0 sent=0:2"
"$REPORT" -c "$T/milter.conf" --status >"$T/status.out" 2>&1
sed 's/^/# /' "$T/status.out"
am_like "--status: queue, drops, pending, sent, failed" \
	"$(tr '\n' ' ' < "$T/status.out")" 'queue=0 .*dropped=0 .*pending=0 sent=2 failed=0 given_up=1'
