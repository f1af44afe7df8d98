#!/bin/sh
# iprev.sh - the iprev result (RFC 8601 section 3) through the daemon: its
# Authentication-Results header and its log line, for a client whose PTR
# name maps back, one whose PTR lookup fails (SERVFAIL), one without PTR,
# an IPv6 client, and with iprev.enabled = false. iprev never changes the
# action: every message passes DMARC and is accepted.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_plan 16
ML_ZONE_EXTRA="10.2.0.192.in-addr.arpa	PTR	mail.example.com
mail.example.com	A	192.0.2.10
11.2.0.192.in-addr.arpa	SERVFAIL	-
5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa	PTR	v6.example.com
v6.example.com	AAAA	2001:db8::25"
ml_start

ml_py "pass: header" iprev.py IPR-PASS 192.0.2.10 \
	"iprev=pass (mail.example.com) policy.iprev=192.0.2.10;"
ml_log "pass: log" IPR-PASS iprev=pass action=accept reason=dmarc_pass
am_like "log: iprev comes right after spf_helo" \
	"$(grep 'qid=IPR-PASS ' "$ML_LOG")" ' spf_helo=[a-z]+ iprev=pass dkim='
ml_py "PTR SERVFAIL: temperror in the header" iprev.py IPR-TEMP 192.0.2.11 \
	"iprev=temperror reason=\"the PTR lookup of 192.0.2.11 failed temporarily"
ml_log "PTR SERVFAIL: temperror logged, the action unchanged" IPR-TEMP iprev=temperror \
	action=accept reason=dmarc_pass
ml_py "no PTR: permerror in the header" iprev.py IPR-NOPTR 192.0.2.12 \
	"iprev=permerror reason=\"no PTR record for 192.0.2.12 (no such name)\""
ml_log "no PTR: permerror logged, the action unchanged" IPR-NOPTR iprev=permerror \
	action=accept
ml_py "IPv6 client: pass, the address quoted" iprev.py IPR-V6 2001:db8::25 \
	"iprev=pass (v6.example.com) policy.iprev=\"2001:db8::25\";"
ml_log "IPv6 client: log" IPR-V6 iprev=pass action=accept
ml_py "IPv4-mapped client: checked as IPv4" iprev.py IPR-MAPPED ::ffff:192.0.2.10 \
	"iprev=pass (mail.example.com) policy.iprev=192.0.2.10;"
am_ok "every verdict line parses as key=value" "$PYTHON3" "$ML_DIR/logkv.py" strict "$ML_LOG"
ml_stop
am_is "daemon stopped cleanly" "$ML_STATUS" 0

ML_CONF="iprev = { enabled = false; };" ML_DNS_ARGS="--log $AM_TMP/dns-off.log"
ml_start
ml_py "iprev.enabled = false: no iprev result in the header" iprev.py IPR-OFF 192.0.2.10 -
ml_log "iprev.enabled = false: iprev=none logged" IPR-OFF iprev=none action=accept \
	reason=dmarc_pass
am_is "iprev.enabled = false: no PTR query was sent" \
	"$(grep -c 'in-addr\.arpa' "$AM_TMP/dns-off.log")" 0
ml_stop
am_is "daemon stopped cleanly" "$ML_STATUS" 0
