#!/bin/sh
# spf_suite.sh - the OpenSPF RFC 7208 test suite against our SPF engine (TAP)
#
# Starts one tests/dns/amdns.py serving every scenario of
# $CONFORMANCE_DIR/spf/rfc7208-zones.tsv (scenario K on BASE+K, loopback),
# then runs tests/conformance/spf_driver, which prints the TAP lines. A
# second server answering every query 0.2 s late tests the time limit.
# Extra arguments are test ids to run alone (for debugging).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

spf="$CONFORMANCE_DIR/spf"
if [ ! -r "$spf/rfc7208-tests.tsv" ] || [ ! -r "$spf/rfc7208-zones.tsv" ]; then
	echo "1..0 # SKIP skipped: conformance data not found"
	exit 0
fi
driver="$top_builddir/tests/conformance/spf_driver"
[ -x "$driver" ] || { echo "Bail out! $driver not built"; exit 1; }

# start_scenarios NAME [amdns args]: serves every scenario on 16 consecutive
# free ports (a few random bases are tried); sets $base.
start_scenarios() {
	ready="$AM_TMP/$1.ready"
	shift
	tries=0
	while :; do
		tries=$((tries + 1))
		base=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 ))
		"$PYTHON3" "$top_srcdir/tests/dns/amdns.py" --scenarios "$spf/rfc7208-zones.tsv" \
			--base-port "$base" --ready-file "$ready" "$@" 2>"$AM_TMP/dns.err" &
		pid=$!
		i=0
		while [ ! -s "$ready" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			i=$((i + 1))
			sleep 0.1
		done
		if [ -s "$ready" ]; then
			AM_PIDS="$AM_PIDS $pid"
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		if [ $tries -ge 5 ]; then
			echo "Bail out! amdns.py did not start: $(cat "$AM_TMP/dns.err")"
			exit 1
		fi
	done
}

am_tmp
if [ $# -eq 0 ]; then
	start_scenarios slow --query-delay 0.2
	SPF_SLOW_BASE=$base
	export SPF_SLOW_BASE
fi
start_scenarios spf
"$driver" "$spf/rfc7208-tests.tsv" "$base" "$@"
