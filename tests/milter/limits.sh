#!/bin/sh
# limits.sh - limits.max_connections: connections over the limit are
# tempfailed at connect and logged; the daemon serves again when one closes.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
am_plan 4
ML_CONF='limits = { max_connections = 3; idle_timeout = 10; };'
ml_start
ml_py "4th connection over max_connections = 3 is tempfailed; a 4th after one closes is served" \
	maxconn.py "$ML_PORT" 3
am_like "the refusal is logged" "$(grep -c 'refused=connection reason=max_connections limit=3' "$ML_LOG")" '^[1-9]'
ml_py "idle_timeout = 10: silent connections closed after 10 s, a new one served" idle.py \
	"$ML_PORT" 10
am_is "both closes are logged" \
	"$(grep -c 'connection=closed reason="idle_timeout"' "$ML_LOG")" 2
