#!/bin/sh
# limits.sh - limits.max_connections: connections count from accept(); one
# over the limit is closed at once without a negotiation reply, and logged;
# the daemon serves again when one closes. limits.idle_timeout closes
# silent negotiated connections, limits.negotiate_timeout connections that
# do not complete the negotiation. A reload changes max_connections, and
# names the start-only idle_timeout it cannot change.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_plan 11
am_tmp
chmod 711 "$AM_TMP" # the daemon runs as nobody: SIGHUP re-reads the file in here
ML_CONF='limits = { max_connections = 3; idle_timeout = 10; negotiate_timeout = 3; };'
ml_start
ml_py "max_connections = 3 counts a silent TCP connection; the 4th is closed unanswered; served again after a close" \
	maxconn.py "$ML_PORT" 3
am_like "the refusal is logged" "$(grep -c 'refused=connection reason=max_connections limit=3' "$ML_LOG")" '^[1-9]'
refused0=$(grep -c 'refused=connection' "$ML_LOG")
ml_py "idle_timeout = 10: silent connections closed after 10 s, a new one served" idle.py \
	"$ML_PORT" 10
am_is "both closes are logged" \
	"$(grep -c 'connection=closed reason="idle_timeout"' "$ML_LOG")" 2
# maxconn.py's silent connection may have reached negotiate_timeout too.
n0=$(grep -c 'connection=closed reason="negotiate_timeout"' "$ML_LOG")
ml_py "negotiate_timeout = 3: silent and trickling peers closed after 3 s; negotiated ones served" \
	negotiate.py "$ML_PORT" 3
am_is "both negotiate_timeout closes are logged" \
	"$(($(grep -c 'connection=closed reason="negotiate_timeout"' "$ML_LOG") - n0))" 2
# At most 3 at once below; a peer the daemon closed no longer counts.
am_is "no connection refused after maxconn.py" "$(grep -c 'refused=connection' "$ML_LOG")" \
	"$refused0"

# The limit follows a reload (SIGHUP).
# idle_timeout is read only at start: the reload says so, and only that.
sed -i 's/max_connections = 3;/max_connections = 1;/; s/idle_timeout = 10;/idle_timeout = 20;/' \
	"$AM_TMP/authmilter.conf"
kill -HUP "$ML_PID"
am_ok "SIGHUP with max_connections = 1: reloaded" ml_waitlog reload=ok 10
am_is "the start-only key changed is named" \
	"$(grep -o 'reload restart_needed="[^"]*"' "$ML_LOG")" \
	'reload restart_needed="limits.idle_timeout"'
ml_py "reloaded max_connections = 1: a silent connection fills it; the 2nd is closed unanswered" \
	maxconn.py "$ML_PORT" 1
am_like "the refusal under the reloaded limit is logged" \
	"$(grep -c 'refused=connection reason=max_connections limit=1' "$ML_LOG")" '^[1-9]'
