#!/bin/sh
# metrics.sh - Prometheus metrics end to end: mail through a real Postfix,
# authmilter with metrics.listen, scraped with curl while and after the
# mail goes through: the text format passes promtool check metrics, and
# the message counters per action equal the replies Postfix gave.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

command -v curl >/dev/null 2>&1 || e2e_skip "curl is not installed (Debian package curl)"
e2e_init 120

E2E_ZONE_EXTRA=$(printf 'm.example\tTXT\t"v=spf1 ip4:127.0.0.10 -all"\n'
	printf '_dmarc.m.example\tTXT\t"v=DMARC1; p=reject"\n')
e2e_dns
e2e_sink
MPORT=$(e2e_port)
E2E_MILTER_EXTRA="metrics = { listen = \"127.0.0.1:$MPORT\"; };"
e2e_milter_conf ''
e2e_milter
e2e_postfix

am_plan 6
URL=http://127.0.0.1:$MPORT/metrics

# Scrapes all along, while the mail goes through.
( i=0; while [ $i -lt 200 ]; do curl -sf "$URL" >/dev/null || echo fail; i=$((i + 1)); done ) \
	> "$T/scrapes" 2>&1 &
SCRAPER=$!
e2e_msg "$T/m.eml" "bob@m.example" "%N%@m.example.e2e.test"
timeout 120 $E2E_PY send "$E2E_SMTP_PORT" "$E2E_GOOD" bob@m.example "$T/m.eml" 6 2 0 \
	"$T/sent.good" 2>>"$T/send.err" || e2e_fail "sending: $(cat "$T/send.err")"
timeout 120 $E2E_PY send "$E2E_SMTP_PORT" "$E2E_BAD" bob@m.example "$T/m.eml" 4 2 0 \
	"$T/sent.bad" 2>>"$T/send.err" || e2e_fail "sending: $(cat "$T/send.err")"
wait "$SCRAPER"
e2e_settle || e2e_fail "Postfix did not settle within 30 s"
am_is "200 scrapes during the run all answered" "$(grep -c fail "$T/scrapes")" 0

curl -sf "$URL" > "$T/metrics"
am_is "curl GET /metrics: 200" "$?" 0
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics < "$T/metrics" > "$T/promtool" 2>&1
	am_is "promtool check metrics: no problem" "$?:$(cat "$T/promtool")" "0:"
else
	AM_TAP_N=$((AM_TAP_N + 1))
	echo "ok $AM_TAP_N - promtool check metrics # SKIP promtool is not installed (Debian package prometheus)"
fi
replies() { awk -v c="$2" '$4 == c' "$T/sent.$1" | wc -l; }
am_is "Postfix: 6 accepted from the allowed address, 4 refused 550 from the other" \
	"$(replies good 250):$(replies bad 550)" "6:4"
metric() { awk -v k="$1" '$1 == k { print $2 }' "$T/metrics"; }
am_is "authmilter_messages_total by action equals Postfix's replies" \
	"$(metric 'authmilter_messages_total{action="accept",reason="dmarc_pass"}'):$(metric 'authmilter_messages_total{action="reject",reason="dmarc_reject"}')" \
	"6:4"
am_is "the added-delay histogram counted each of the 10" \
	"$(metric authmilter_added_delay_seconds_count)" 10
