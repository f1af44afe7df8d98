#!/bin/sh
# headers.sh - the daemon over its milter socket: many headers of one name,
# forged Authentication-Results removal (indexes and order), several From
# headers, and log lines that cannot be forged by message content.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_plan 15
ml_start

ml_lua "20 Received headers accepted and stamped; several From headers rejected" headers_many.lua
ml_log "log: 20 Received headers" MANY-RCVD action=accept reason=dmarc_pass from=example.com
for q in MANY-FROM2 MANY-FROM-CASE MANY-FROM-SAME MANY-FROM6; do
	ml_log "log: $q author=multi_from, reject" $q action=reject author=multi_from \
		reason=multiple_from dmarc=none
done
ml_lua "CVE-2022-48521 class: forged A-R (our id in 9 spellings: case, trailing dot, quoted, comment...) deleted at 1, 3, 5 of 6; others kept; ours at 0" \
	headers_authres.lua
ml_log "log: forged A-R message still gets its verdict" AR-quoted action=accept reason=dmarc_pass
ml_py "CVE-2022-48521 class: forged A-R deletions highest index first, then the insert at 0" authres_order.py

ml_lua "log injection attempts: message accepted" logsafe.lua
ml_log "log: helo with newline and fake keys kept in one quoted value" "LOG-1 action=accept" \
	"helo=evil action=accept reason=\"x\"
qid=FAKE action=accept" action=accept
ml_log "log: quoted MAIL FROM kept whole" "LOG-1 action=accept" \
	"mailfrom=\"a action=accept\\\" b\"@example.com"
"$PYTHON3" "$ML_DIR/logkv.py" strict "$ML_LOG" > "$AM_TMP/strict"
am_result $? "every log line is one authmilter line of key=value tokens"
cat "$AM_TMP/strict"
am_is "no forged qid=FAKE line" "$("$PYTHON3" "$ML_DIR/logkv.py" count "$ML_LOG" FAKE)" 0
am_ok "daemon still running" kill -0 "$ML_PID"
