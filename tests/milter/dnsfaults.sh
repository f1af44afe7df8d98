#!/bin/sh
# dnsfaults.sh - DNS faults seen through the milter socket. A message from
# a domain with p=reject whose SPF record, or whose DMARC record, times out,
# draws SERVFAIL or is truncated for ever (TC over UDP, TCP closed), and one
# sent while the DNS server is down (nothing listens on its port): each is
# a temperror, tempfailed 451 4.4.3 under policy.on_error = "tempfail" (the
# default) and accepted with a temperror Authentication-Results under
# "accept"; the log line names the temperror. Then the per-message time
# budget (dns.timeout = 1, limits.message_time = 2): messages whose lookups
# all time out are answered within the budget plus a margin, and another
# connection is served meanwhile. The checks themselves: dnsfaults.py.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_tmp
KEY="$AM_TMP/rsa.key"
"$PYTHON3" "$top_srcdir/tests/integration/dkimkeys.py" genkey rsa 1024 "$KEY" >/dev/null ||
	{ echo "Bail out! cannot make a DKIM key"; exit 1; }
DNSLOG="$AM_TMP/dns.log"
ML_DNS_ARGS="--log $DNSLOG"
IP=203.0.113.7   # in no SPF record: only an aligned pass could save the message
BUDGET=2         # limits.message_time for the budget checks (dns.timeout = 1)
MARGIN=0.8       # seconds over the budget the client accepts; the messages
		 # would take 3 and 7 s without the budget

# name-ftype-part: a fault (TIMEOUT, SERVFAIL, TRUNCATED-FOREVER) on the SPF
# record of a p=reject domain, or on its DMARC record.
ML_ZONE_EXTRA=
for f in TIMEOUT:tmo SERVFAIL:sfail TRUNCATED-FOREVER:trunc; do
	t=${f%%:*} d=${f#*:}
	ML_ZONE_EXTRA="$ML_ZONE_EXTRA
$d-spf.example	$t	-
_dmarc.$d-spf.example	TXT	\"v=DMARC1; p=reject\"
$d-pol.example	TXT	\"v=spf1 -all\"
_dmarc.$d-pol.example	$t	-"
done
ML_ZONE_EXTRA="$ML_ZONE_EXTRA
_dmarc.down.example	TXT	\"v=DMARC1; p=reject\"
slow.example	TXT	\"v=spf1 include:i1.slow.example include:i2.slow.example include:i3.slow.example include:i4.slow.example -all\"
_dmarc.slow.example	TXT	\"v=DMARC1; p=reject\"
*.slow.example	TIMEOUT	-
_dmarc.slow2.example	TIMEOUT	-"

am_plan 38

# faults POLICY WANT: every fault case under policy.on_error = POLICY.
faults() {
	pol=$1 want=$2
	ML_POLICY="on_error = \"$pol\";"
	ml_start
	for d in tmo sfail trunc; do
		ml_py "$pol: $d on the SPF record of a p=reject domain: $want" dnsfaults.py \
			verdict "$pol-$d-spf" "alice@$d-spf.example" $IP "$want" \
			spf=temperror dmarc=fail
		ml_log "$pol: log of $d on SPF: spf=temperror, auth_temperror" "$pol-$d-spf" \
			action="$want" reason=auth_temperror spf=temperror dmarc=fail p=reject
		ml_py "$pol: $d on the DMARC record: $want" dnsfaults.py \
			verdict "$pol-$d-pol" "alice@$d-pol.example" $IP "$want" dmarc=temperror
		ml_log "$pol: log of $d on DMARC: dmarc=temperror, dmarc_temperror" "$pol-$d-pol" \
			action="$want" reason=dmarc_temperror spf=fail dmarc=temperror
	done
	kill "$AM_DNS_PID"
	wait "$AM_DNS_PID" 2>/dev/null
	ml_py "$pol: DNS server down (nothing listens on its port): $want" dnsfaults.py \
		verdict "$pol-down" alice@down.example $IP "$want" spf=temperror dmarc=temperror
	ml_log "$pol: log of the DNS server down" "$pol-down" action="$want" \
		reason=dmarc_temperror spf=temperror dmarc=temperror
	ml_stop KILL   # not what is tested here, and TERM takes ~5 s
}

faults tempfail tempfail
# The faults really happened at the DNS server (its log: NAME TYPE RCODE PROTO PORT [tc]).
am_like "DNS log: the TIMEOUT name was asked and not answered" \
	"$(grep -c '^tmo-spf\.example\. TXT TIMEOUT udp' "$DNSLOG")" '^[1-9]'
am_like "DNS log: SERVFAIL sent" "$(grep -c '^sfail-spf\.example\. TXT SERVFAIL' "$DNSLOG")" '^[1-9]'
am_like "DNS log: truncated UDP answers (tc)" \
	"$(grep -c '^trunc-spf\.example\. TXT .* udp [0-9]* tc$' "$DNSLOG")" '^[1-9]'
am_like "DNS log: TCP retry closed" "$(grep -c '^trunc-spf\.example\. TXT CLOSED tcp' "$DNSLOG")" \
	'^[1-9]'
am_is "DNS log: down.example never reached a server" "$(grep -c '^down\.example\.' "$DNSLOG")" 0
faults accept accept

# The per-message time budget.
ML_POLICY= ML_DNS_TIMEOUT=1 ML_CONF="limits = { message_time = $BUDGET; };"
ml_start
ml_py "budget: all-timeout messages answered in $BUDGET s + $MARGIN s; another client served meanwhile" \
	dnsfaults.py budget "$KEY" $BUDGET $MARGIN
# The DMARC record is fetched first (end of headers), so it is there even
# though every other lookup ran out of budget: DMARC fails, and the aligned
# signatures' and SPF's temporary errors make it a tempfail.
ml_log "budget: log of the 5-signature message: every other lookup a temperror, tempfail" \
	BUDGET-ALL action=tempfail reason=auth_temperror spf=temperror spf_helo=temperror \
	'dkim~^(slow\.example:k[1-5]:temperror,){4}slow\.example:k5:temperror$' dmarc=fail
# Its DMARC lookup times out at end of headers (1 s); SPF at end of message
# has what is left of the budget (1 s): ms, the part after the final dot,
# is that second.
ml_log "budget: log of the message without signatures: temperror, the rest of the budget at EOM" \
	BUDGET-EOM action=tempfail reason=dmarc_temperror spf=temperror spf_helo=temperror \
	dmarc=temperror 'ms~^(9[0-9][0-9]|1[0-7][0-9][0-9])$'
ml_log "budget: log of the other client's message" BUDGET-OTHER action=accept reason=dmarc_pass
am_ok "daemon still running" kill -0 "$ML_PID"
