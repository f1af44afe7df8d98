#!/bin/sh
# badinput.sh - bad and hostile input over the milter socket: malformed
# headers, 8-bit and NUL bytes, header count and size limits, 100 DKIM
# signatures, From headers built to confuse the parser. Every message gets
# a defined verdict and a log line, and the daemon stays up.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_tmp
sel=$("$PYTHON3" "$top_srcdir/tests/integration/dkimkeys.py" genkey rsa 1024 "$AM_TMP/rsa.key")
ML_ZONE_EXTRA="sel._domainkey.example.com	TXT	\"$sel\"
slow._domainkey.example.com	TIMEOUT	-"
ncases=$(grep -vc '^#' "$top_srcdir/tests/milter/from_cases.tsv")
am_plan $((48 + ncases))
ml_start

ml_lua "malformed header names and values: accepted, stamped" malformed.lua
for i in $(seq 16); do
	ml_log "log: malformed header $i" BAD-$i action=accept reason=dmarc_pass
done
ml_lua "8-bit header values; 8-bit, NUL, bare CR/LF, 300 KB line in the body" eightbit.lua \
	"tmp=$AM_TMP"
for q in 8BIT-HDR 8BIT-BODY NUL-BODY CRLF-BODY LONG-LINE; do
	ml_log "log: $q" $q action=accept from=example.com
done
ml_py "NUL in header values, 8-bit and control bytes in header names" rawbytes.py
ml_log "log: a From value ends at a NUL byte" RAW-NUL-FROM from=example.com action=accept
ml_nolog "log: no verdict for the message with an empty header name" RAW-EMPTY-NAME
am_ok "log: the empty header name is named as a protocol violation" \
	grep -q 'error=milter_protocol reason="malformed header packet" action=close' "$ML_LOG"
ml_log "log: 2000-byte HELO and MAIL FROM needing escapes: one whole line, values cut at 256" RAW-LONG-ENV \
	spf=none action=reject reason=dmarc_reject 'helo~^"{256}\.\.\.$' 'mailfrom~^"(x=y )+' 'ms~^[0-9]+$'

ml_lua "1000 headers checked; 1001 and 10,000 refused 552 5.3.4" manyheaders.lua
ml_log "log: 1000 headers" HDR-1000 action=accept
ml_log "log: 1001 headers" HDR-1001 action=reject reason=header_limit '!error' '!spf'
ml_log "log: 10,000 headers" HDR-10000 action=reject reason=header_limit '!error'

ml_py "header bytes: 100 KB header, exactly 1 MiB, 1 MiB + 1, 17/18 x 60 KB, over-size packet" \
	bigheaders.py
ml_log "log: a 100 KB header (Postfix header_size_limit) is checked" BIG-100K action=accept
ml_log "log: header section of exactly max_header_bytes is checked" BIG-EXACT action=accept
ml_log "log: one byte over max_header_bytes: 552" BIG-OVER1 action=reject reason=header_limit '!error'
ml_log "log: 17 x 60 KB headers" BIG-MANY-UNDER action=accept
ml_log "log: 18 x 60 KB headers: 552" BIG-MANY-OVER action=reject reason=header_limit '!error'
ml_nolog "log: no verdict for the message whose connection was dropped" BIG-PACKET
ml_log "log: next connection after the dropped one" BIG-AFTER action=accept
am_ok "log: the oversized packet is named as a protocol violation" \
	grep -q 'error=milter_protocol reason="packet too long" action=close' "$ML_LOG"

ml_py "100 DKIM-Signature headers: bounded time, verdict" dkim100.py "$AM_TMP/rsa.key"
ml_log "log: 100 valid signatures: DMARC pass" DK-100 action=accept dmarc=pass 'ms~^[0-9]{1,4}$'
ml_log "log: 100 signatures whose key times out: bounded" DK-SLOW action=accept 'ms~^[0-9]{1,4}$'
ml_log "log: 100 signatures with a 252-character domain: whole log line" DK-LONGD \
	action=accept reason=dmarc_pass 'ms~^[0-9]+$'

ml_lua "From headers built to confuse the parser" from_confuse.lua
grep -v '^#' "$top_srcdir/tests/milter/from_cases.tsv" > "$AM_TMP/from_cases"
while IFS='	' read -r qid want from; do
	case $want in
	*.*) ml_log "log: $qid: author domain $want" "$qid" "from=$want" action=accept '!author' ;;
	*) ml_log "log: $qid: author=$want" "$qid" "author=$want" action=reject dmarc=none ;;
	esac
done < "$AM_TMP/from_cases"
"$PYTHON3" "$ML_DIR/logkv.py" strict "$ML_LOG" > "$AM_TMP/strict"
am_result $? "every log line is one authmilter line of key=value tokens"
cat "$AM_TMP/strict"
am_ok "daemon still running" kill -0 "$ML_PID"
