#!/bin/sh
# ahead.sh - DNS lookups started ahead (dns/ahead.h) through the real
# resolver and the DNS server on loopback (tests/integration/ahead_driver):
# a lookup started ahead answers the later query without a second lookup;
# slow lookups started together are all out at once; a set freed with a
# lookup out leaves nothing behind; a lookup nobody waited for still gets
# dns.timeout from when it is asked for; a spent budget fails at once;
# and an SPF check whose lookups were started ahead (a record with two
# includes and an mx, and one over the 10-term limit) makes no lookup of
# its own and gives the result it gives without them.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
D="$top_builddir/tests/integration/ahead_driver"

am_tmp
T=$AM_TMP
{
	cat <<'ZONE'
shared.example	TXT	"hello"
never.example	TIMEOUT	-
esp.example	TXT	"v=spf1 include:_spf1.esp.example include:_spf2.esp.example mx -all"
_spf1.esp.example	TXT	"v=spf1 ip4:203.0.113.0/24 -all"
_spf2.esp.example	TXT	"v=spf1 a:out.esp.example -all"
out.esp.example	A	198.51.100.25
esp.example	MX	10 mx1.esp.example
mx1.esp.example	A	192.0.2.99
ZONE
	for i in 1 2 3 4 5 6; do
		printf 'slow%s.example\tTXT\t"slow %s"\n' $i $i
		printf 'slow%s.example\tDELAY\t0.3\n' $i
	done
	# eleven includes: the check stops at the tenth (permerror)
	printf 'many.example\tTXT\t"v=spf1'
	for i in 1 2 3 4 5 6 7 8 9 10 11; do printf ' include:i%s.many.example' $i; done
	printf ' -all"\n'
	for i in 1 2 3 4 5 6 7 8 9 10 11; do
		printf 'i%s.many.example\tTXT\t"v=spf1 ip4:203.0.113.%s -all"\n' $i $i
	done
} > "$T/zone"
am_start_dns "$T/zone" --log "$T/dns.log"
P=$AM_DNS_PORT
am_plan 13

"$D" "$P" 1 share shared.example > "$T/share"
am_is "started ahead (sent before it is asked for), then asked: its answer, no second lookup" \
	"$(tr '\n' ' ' < "$T/share")" 'sent_before=1 answer=ok text=hello sent=1 '
am_is "... and the server saw one query" "$(grep -c '^shared\.example\.\? TXT' "$T/dns.log")" 1

"$D" "$P" 2 parallel slow1.example slow2.example slow3.example slow4.example slow5.example \
	slow6.example > "$T/parallel"
am_is "six slow lookups (0.3 s each) are all out at once" \
	"$(grep -o 'out_at_once=[0-9]*' "$T/parallel")" 'out_at_once=6'
am_is "... and each is answered, one lookup each" \
	"$(grep -c '=ok text=slow' "$T/parallel"):$(grep -o 'sent=[0-9]*' "$T/parallel")" '6:sent=6'

"$D" "$P" 0.3 cancel never.example > "$T/cancel" 2>&1
am_is "a set freed with its lookup out: the next query is a lookup of its own" \
	"$(grep -o 'after=[a-z]*' "$T/cancel"):$(grep -o 'sent=[0-9]*' "$T/cancel")" 'after=tempfail:sent=2'

"$D" "$P" 0.4 late never.example > "$T/late"
am_like "a lookup out past its timeout when asked: dns.timeout counts from the asking" \
	"$(tr '\n' ' ' < "$T/late")" 'answer=tempfail error="timeout after 0.4 s" waited_at_least_timeout=yes'

"$D" "$P" 1 budget never.example > "$T/budget"
am_like "the message's budget spent: a lookup still out fails at once" \
	"$(cat "$T/budget")" 'answer=tempfail error="the message.s time budget is spent"'

"$D" "$P" 1 spf 198.51.100.25 bounce@esp.example mail.esp.example > "$T/spf"
am_is "SPF started ahead: the same result as without" \
	"$(sed -n 's/^ahead=\([a-z]*\) .*/\1/p' "$T/spf") $(sed -n 's/^plain=\([a-z]*\) .*/\1/p' "$T/spf")" \
	"pass pass"
am_is "... the same reason" "$(sed -n 's/^ahead=[a-z]* //p' "$T/spf")" \
	"$(sed -n 's/^plain=[a-z]* //p' "$T/spf")"
am_is "... every lookup was started ahead (record, 2 includes, a, mx, mx host): the check sent none" \
	"$(grep -o 'started=[0-9]*' "$T/spf") $(grep -o 'check_sent=[0-9]*' "$T/spf")" \
	"started=6 check_sent=0"

"$D" "$P" 1 spf 203.0.113.11 x@many.example mail.many.example > "$T/many"
am_is "eleven includes: permerror with and without lookahead" \
	"$(sed -n 's/^ahead=\([a-z]*\) .*/\1/p' "$T/many") $(sed -n 's/^plain=\([a-z]*\) .*/\1/p' "$T/many")" \
	"permerror permerror"
am_is "... started ahead: the record and the ten includes the limit allows, not the eleventh" \
	"$(grep -o 'started=[0-9]*' "$T/many")" "started=11"
am_is "... the eleventh include was never looked up" \
	"$(grep -c '^i11\.many\.example' "$T/dns.log")" 0
