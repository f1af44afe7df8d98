#!/bin/sh
# metrics.sh - metrics.listen through the daemon (metrics.py says what is
# checked): each counter equals what was sent, the gauges return to 0,
# label values come from fixed sets, promtool accepts the text, and 1000
# scrapes during a stream of messages change no verdict. Then reloads are
# counted, and metrics.listen = "" serves nothing.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_plan 9
am_tmp
chmod 711 "$AM_TMP" # the daemon runs as nobody: SIGHUP re-reads the file in here
MPORT=$(ml_free_port)
URL=http://127.0.0.1:$MPORT/metrics
ML_CONF="metrics = { listen = \"127.0.0.1:$MPORT\"; };"
ml_start
ml_py "counters equal what was sent; gauges at 0; fixed label sets; 404 elsewhere" \
	metrics.py "$URL" count
if command -v promtool >/dev/null 2>&1 && command -v curl >/dev/null 2>&1; then
	curl -sf "$URL" > "$AM_TMP/metrics"
	promtool check metrics < "$AM_TMP/metrics" > "$AM_TMP/promtool" 2>&1
	am_is "promtool check metrics: no problem" "$?:$(cat "$AM_TMP/promtool")" "0:"
else
	AM_TAP_N=$((AM_TAP_N + 1))
	echo "ok $AM_TAP_N - promtool check metrics # SKIP promtool or curl is not installed (Debian packages prometheus, curl)"
fi
ml_py "1000 scrapes during 200 messages: every verdict as without, counters exact" \
	metrics.py "$URL" load 200
kill -HUP "$ML_PID"
am_ok "SIGHUP: reloaded" ml_waitlog reload=ok 10
sleep 0.2
am_like "reload counted, configuration age restarted" \
	"$("$PYTHON3" -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' "$URL" |
		grep -E '^authmilter_(reloads_total\{result="ok"\}|config_age_seconds) ' | tr '\n' ' ')" \
	'^authmilter_reloads_total\{result="ok"\} 1 authmilter_config_age_seconds [0-1] $'
am_like "the start line names the metrics address" "$(grep ' start version=' "$ML_LOG")" \
	"metrics=127.0.0.1:$MPORT"
ml_stop
am_is "daemon stopped cleanly" "$ML_STATUS" 0

ML_CONF=""
ml_start
am_like "metrics.listen empty: metrics=off, nothing listens" \
	"$(grep ' start version=' "$ML_LOG") $("$PYTHON3" -c 'import socket,sys; s=socket.socket(); print(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$MPORT")" \
	'metrics=off True$'
ml_stop
am_is "daemon stopped cleanly" "$ML_STATUS" 0
