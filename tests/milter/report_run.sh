#!/bin/sh
# report_run.sh - authmilter-report's own rules on an SQLite store:
# reporting.exclude_domains (never recorded), --dry-run (the files it would
# send, nothing marked), max_reports_per_run (the rest left for the next
# run), keep_days (old rows deleted, never reported), --day checks.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/report_lib.sh"

command -v sqlite3 >/dev/null 2>&1 || rl_skip "sqlite3 is not installed (Debian package sqlite3)"
XSD=$CONFORMANCE_DIR/dmarc-report/dmarc-xml-0.2.xsd
rl_init 180
rl_dns "$(for d in third.example fourth.example; do
	printf '%s\tTXT\t"v=spf1 ip4:192.0.2.0/24 -all"\n' $d
	printf '_dmarc.%s\tTXT\t"v=DMARC1; p=none; rua=mailto:d@%s"\n' $d $d
done)"
DB=$T/store/a.db
rl_conf a "sqlite:$DB" 'exclude_domains = [ "both.example" ];'
cp "$T/a.conf" "$T/one.conf"
sed -i 's|^  exclude_domains|  max_reports_per_run = 1; exclude_domains|' "$T/one.conf"
rl_start a
today=$(date -u +%F)

am_plan 15

{
	rl_send a 3 "$RL_GOOD" rec.example
	rl_send a 2 "$RL_BAD" rec.example
	rl_send a 2 "$RL_BAD" both.example
	rl_send a 1 "$RL_GOOD" third.example
	rl_send a 1 "$RL_BAD" fourth.example
} > /dev/null
rl_settle a
am_is "exclude_domains: both.example is not recorded" \
	"$(sqlite3 "$DB" 'SELECT domain FROM policies ORDER BY domain;' | tr '\n' ' ')" \
	"fourth.example rec.example third.example "

mkdir "$T/dry"
chown nobody "$T/dry"
rl_report a --day "$today" --dry-run "$T/dry"
am_is "--dry-run: three reports written" \
	"$RL_RC:$(grep -o 'run reports=[0-9]* sent=[0-9]*' "$T/report.out"):$(grep -c 'dry_run=yes' "$T/report.out")" \
	"0:run reports=3 sent=3:1"
am_is "one .xml.gz and one message per report" \
	"$(ls "$T/dry" | grep -c '\.xml\.gz$'):$(ls "$T/dry" | grep -c '\.eml$')" "3:3"
am_is "file names of RFC 9990's form" \
	"$(ls "$T/dry" | grep '\.xml\.gz$' | grep -Evc '^mx\.example\.org!(rec|third|fourth)\.example![0-9]+![0-9]+![0-9A-Za-z]+\.xml\.gz$')" 0
n=0
for f in "$T"/dry/*.xml.gz; do
	gzip -dc "$f" > "${f%.gz}"
	if [ -r "$XSD" ] && command -v xmllint >/dev/null 2>&1; then
		xmllint --noout --schema "$XSD" "${f%.gz}" >>"$T/xmllint.out" 2>&1 && n=$((n + 1))
	else
		n=$((n + 1))
	fi
done
am_is "each gunzips (and validates against the schema when it is here)" "$n" 3
rm -f "$T"/dry/*.xml
mkdir -p "$T/xml"
$RL_CHECK read "$T/dry" "$T/xml" > "$T/read.out"
am_is "the messages read as reports" "$?:$(grep -c '^report .* ok$' "$T/read.out")" "0:3"
"$RL_REPORT" -c "$T/a.conf" --status > "$T/status.out" 2>&1
am_like "nothing marked: three pending, none sent" "$(tr '\n' ' ' < "$T/status.out")" \
	'pending=3 sent=0 failed=0 given_up=0'

# reporting.enabled = false: the timer's run does nothing, and says so.
sed 's/^  enabled = true;/  enabled = false;/' "$T/a.conf" > "$T/off.conf"
rl_report off --day "$today"
"$RL_REPORT" -c "$T/a.conf" --status > "$T/status.out" 2>&1
am_is "reporting disabled: exit 0, a log line, nothing sent" \
	"$RL_RC:$(grep -c 'run skipped reason=reporting_disabled' "$T/report.out"):$(grep -o 'pending=[0-9]* sent=[0-9]*' "$T/status.out")" \
	"0:1:pending=3 sent=0"

# keep_days (14): rows of 20 days ago are deleted and never reported.
sqlite3 "$DB" "UPDATE rows SET day = day - 20 WHERE domain = 'fourth.example';
	UPDATE policies SET day = day - 20 WHERE domain = 'fourth.example';"
TZ=UTC rl_report one --day "$today"
am_is "max_reports_per_run = 1: one report, one left" \
	"$RL_RC:$(grep -o 'run reports=[0-9]* sent=[0-9]* failed=[0-9]* deferred=[0-9]* given_up=[0-9]* left=[0-9]* rows_expired=[0-9]*' "$T/report.out")" \
	"0:run reports=1 sent=1 failed=0 deferred=0 given_up=0 left=1 rows_expired=1"
am_is "the old rows are gone" \
	"$(sqlite3 "$DB" "SELECT COUNT(*) FROM rows WHERE domain = 'fourth.example';")" 0
rl_report one --day "$today"
am_is "the next run: the other one" \
	"$(grep -o 'run reports=[0-9]* sent=[0-9]* failed=[0-9]* deferred=[0-9]* given_up=[0-9]* left=[0-9]*' "$T/report.out")" \
	"run reports=1 sent=1 failed=0 deferred=0 given_up=0 left=0"
rl_report one --day "$today"
am_is "then nothing" "$(grep -o 'run reports=[0-9]* sent=[0-9]*' "$T/report.out")" \
	"run reports=0 sent=0"
am_is "two messages in all, to rec.example and third.example" \
	"$(grep -h '^To:' "$T"/out/* | tr -d '\r' | sort | tr '\n' ' ')" "To: d@third.example To: dmarc@rec.example "

rl_report a --day 2026-02-30
am_is "--day: not a date" "$RL_RC" 2
rl_report a --day "$(date -u -d tomorrow +%F)"
am_is "--day: not in the future" "$RL_RC" 2
