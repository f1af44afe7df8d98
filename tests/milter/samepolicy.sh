#!/bin/sh
# samepolicy.sh - authmilter-check prints exactly what the daemon does:
# the same messages and envelopes through both, under the same
# configuration (enforce; monitor; on_error = accept with the quarantine
# header), compared case by case by samepolicy.py: the action, reason,
# override and error, the reply the MTA gets, the hold, and the header.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_tmp
CHECK="$top_builddir/src/authmilter-check"
key=$("$PYTHON3" "$top_srcdir/tests/integration/dkimkeys.py" genkey rsa 1024 "$AM_TMP/rsa.key") ||
	{ echo "Bail out! cannot make a DKIM key"; exit 1; }
ML_ZONE_EXTRA="sel._domainkey.example.com	TXT	\"$key\"
quar.example	TXT	\"v=spf1 ip4:192.0.2.0/24 -all\"
_dmarc.quar.example	TXT	\"v=DMARC1; p=quarantine\"
slow.example	TXT	\"v=spf1 -all\"
_dmarc.slow.example	TIMEOUT	-
sf.example.com	SERVFAIL	-
allowed.example	TXT	\"v=spf1 -all\"
_dmarc.allowed.example	TXT	\"v=DMARC1; p=reject\"
_dmarc.xn--bcher-kva.example	TXT	\"v=DMARC1; p=reject\"
evil.example	TXT	\"v=spf1 -all\""
ML_CONF='limits = { max_headers = 20; };'
BASE='trusted_networks = [ "198.18.0.0/15" ]; allow_networks = [ "203.0.113.50/32" ];
  allow_domains = [ "allowed.example" ];'
ALL="pass reject quarantine none nofrom twofrom unparseable dmarc_tmo spf_servfail allow_net
  allow_dom headers headers_forged trusted auth idn ell"
MONITOR="reject quarantine nofrom dmarc_tmo headers headers_forged allow_net"
ONERROR="dmarc_tmo spf_servfail quarantine reject"

set -- $ALL
n1=$#
set -- $MONITOR
n2=$#
set -- $ONERROR
am_plan $((n1 + n2 + $#))

# compare MODE CASE...: one TAP line per case, from samepolicy.py
compare() {
	mode=$1
	shift
	ML_PORT=$ML_PORT PYTHONPATH="$ML_DIR" timeout 120 "$PYTHON3" "$ML_DIR/samepolicy.py" \
		"$CHECK" "$AM_TMP/authmilter.conf" "$ML_LOG" "$AM_TMP" "$@" > "$AM_TMP/same.out" 2>&1
	while IFS= read -r line; do
		case $line in
		"ok	"*) am_result 0 "$mode: ${line#ok	}" ;;
		"not ok	"*) am_result 1 "$mode: ${line#not ok	}" ;;
		*) echo "#   $line" ;;
		esac
	done < "$AM_TMP/same.out"
}

ML_POLICY=$BASE
ml_start
compare enforce $ALL
ml_stop KILL
ML_POLICY="$BASE mode = \"monitor\";"
ml_start
compare monitor $MONITOR
ml_stop KILL
ML_POLICY="$BASE on_error = \"accept\"; quarantine = \"header\";"
ml_start
compare on_error=accept $ONERROR
ml_stop KILL
