#!/bin/sh
# lookahead.sh - through the daemon: each check's DNS lookups start as
# soon as their input is known (connect, HELO, MAIL, a signature header),
# long before end of message, and the verdict is the usual one
# (lookahead.py says what is checked).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_plan 4
am_tmp
DNSLOG="$AM_TMP/dns.log"
ML_ZONE_EXTRA="10.2.0.192.in-addr.arpa	PTR	mail.example.com
mail.example.com	A	192.0.2.10"
ML_DNS_ARGS="--log $DNSLOG"
ml_start
ml_py "lookups start at connect, HELO, MAIL and each signature header" lookahead.py "$DNSLOG"
ml_log "the message is judged as usual" AHEAD spf=pass iprev=pass action=accept
am_is "the MAIL FROM record was looked up once" \
	"$(grep -ci '^example\.com\.\? TXT' "$DNSLOG")" 1
ml_stop
am_is "daemon stopped cleanly" "$ML_STATUS" 0
