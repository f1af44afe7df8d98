# tests/lib.sh - shell helpers for authmilter's script tests (TAP output)
#
# Source it from a test script:  . "$top_srcdir/tests/lib.sh"
#   am_plan N                     print the TAP plan
#   am_ok DESC CMD...             ok if CMD succeeds
#   am_is DESC GOT EXPECTED       ok if the two strings are equal (both shown if not)
#   am_like DESC GOT REGEX        ok if GOT matches the extended regex
#   am_start_dns ZONEFILE [ARGS]  start tests/dns/amdns.py on a free loopback
#                                 port; sets AM_DNS_PORT; stopped at exit
#   am_tmp                        a private temporary directory ($AM_TMP), removed at exit
#   am_json FILE EXPR             print a python expression over the JSON object j in FILE
# The harness (make check) exports top_srcdir, top_builddir, PYTHON3 and
# CONFORMANCE_DIR; defaults below let a script run by hand from the tree.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=/usr/bin/python3}"
: "${CONFORMANCE_DIR:=$top_srcdir/../shared/conformance}"

AM_TAP_N=0
AM_PIDS=""
AM_TMP=""

am_cleanup() {
	for p in $AM_PIDS; do kill "$p" 2>/dev/null; done
	for p in $AM_PIDS; do wait "$p" 2>/dev/null; done
	[ -n "$AM_TMP" ] && rm -rf "$AM_TMP"
}
trap am_cleanup EXIT
trap 'exit 1' INT TERM

am_tmp() {
	[ -n "$AM_TMP" ] || AM_TMP=$(mktemp -d "${TMPDIR:-/tmp}/authmilter-test.XXXXXX")
}

am_plan() { echo "1..$1"; }

am_json() { "$PYTHON3" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

am_result() {
	AM_TAP_N=$((AM_TAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $AM_TAP_N - $2"
	else
		echo "not ok $AM_TAP_N - $2"
	fi
}

am_ok() {
	desc=$1
	shift
	"$@" >/dev/null 2>&1
	am_result $? "$desc"
}

am_is() {
	if [ "$2" = "$3" ]; then
		am_result 0 "$1"
	else
		am_result 1 "$1"
		printf '#   got:      %s\n#   expected: %s\n' "$2" "$3"
	fi
}

am_like() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		am_result 0 "$1"
	else
		am_result 1 "$1"
		printf '#   got:      %s\n#   expected to match: %s\n' "$2" "$3"
	fi
}

# am_start_dns ZONEFILE [extra amdns.py arguments]
am_start_dns() {
	am_tmp
	zone=$1
	shift
	ready="$AM_TMP/dns.ready.$$.$AM_TAP_N"
	rm -f "$ready"
	"$PYTHON3" "$top_srcdir/tests/dns/amdns.py" --listen 127.0.0.1:0 --zone "$zone" \
		--ready-file "$ready" "$@" 2>>"$AM_TMP/dns.err" &
	AM_DNS_PID=$!
	AM_PIDS="$AM_PIDS $AM_DNS_PID"
	i=0
	while [ ! -s "$ready" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$AM_DNS_PID" 2>/dev/null; then
			echo "Bail out! DNS test server did not start: $(cat "$AM_TMP/dns.err")"
			exit 1
		fi
		sleep 0.1
	done
	AM_DNS_PORT=$(awk 'NR == 1 { print $2 }' "$ready")
	export AM_DNS_PORT
}
