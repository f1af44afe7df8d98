# tests/milter/lib.sh - run the authmilter daemon and talk to it over its
# milter socket (miltertest Lua scripts, or milterclient.py where miltertest
# cannot express a case). Sourced by the tests/milter/*.sh runners.
#
#   ml_start                  DNS server on $ML_ZONE (default zone below plus
#                             $ML_ZONE_EXTRA), config (plus $ML_POLICY inside
#                             policy = {}, where trusted_networks is [] unless
#                             it sets it, and $ML_CONF at top level), daemon
#                             in the foreground with stderr in $ML_LOG;
#                             sets ML_PORT, ML_PID; stopped at exit
#   ml_lua DESC SCRIPT [NAME=VALUE...]
#                             one TAP line: the Lua script (tests/milter/SCRIPT)
#                             exits 0 and the daemon is still alive
#   ml_py DESC SCRIPT [ARGS...]   the same for a python script
#   ml_log DESC QID EXPECT... one TAP line: the log line of qid QID has EXPECT
#                             (see logkv.py: key=value, key~regex, !key)
#   ml_nolog DESC QID         one TAP line: no verdict line carries qid QID
#   ml_waitlog PATTERN [S]    wait (S seconds, 30) for a log line matching PATTERN
#   ml_rss                    the daemon's VmRSS in kB
#   ml_stop [SIG]             signal the daemon (TERM) and wait for it; sets
#                             ML_STATUS to its exit status
# Optional: ML_WRAP runs the daemon under a wrapper (e.g. "valgrind ...";
# ML_PID is then the wrapper's pid), ML_START_WAIT the seconds to wait for
# its start line (10), ML_DNS_TIMEOUT the config's dns.timeout (0.5),
# ML_DNS_ARGS extra arguments for tests/dns/amdns.py (e.g. --log FILE).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

ML_DIR="$top_srcdir/tests/milter"
ML_DAEMON="$top_builddir/src/authmilter"
ML_TIMEOUT=${ML_TIMEOUT:-30}
ML_ZONE_EXTRA=${ML_ZONE_EXTRA:-}
ML_POLICY=${ML_POLICY:-}
ML_CONF=${ML_CONF:-}
ML_WRAP=${ML_WRAP:-}
ML_START_WAIT=${ML_START_WAIT:-10}
ML_DNS_TIMEOUT=${ML_DNS_TIMEOUT:-0.5}
ML_DNS_ARGS=${ML_DNS_ARGS:-}

# Skips the whole runner (with its reason) when a tool is missing.
ml_require() {
	if ! command -v miltertest >/dev/null 2>&1; then
		echo "1..0 # SKIP miltertest is not installed (Debian package miltertest)"
		exit 0
	fi
	if [ ! -x "$ML_DAEMON" ]; then
		echo "1..0 # SKIP $ML_DAEMON is not built"
		exit 0
	fi
}

ml_free_port() {
	"$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ml_start() {
	am_tmp
	ML_LOG="$AM_TMP/authmilter.log"
	cat > "$AM_TMP/zone" <<ZONE
example.com	TXT	"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
_dmarc.example.com	TXT	"v=DMARC1; p=reject"
mail.example.com	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
example.net	TXT	"v=spf1 ip4:198.51.100.0/24 -all"
_dmarc.example.net	TXT	"v=DMARC1; p=none"
$ML_ZONE_EXTRA
ZONE
	# shellcheck disable=SC2086
	am_start_dns "$AM_TMP/zone" $ML_DNS_ARGS
	ML_PORT=$(ml_free_port)
	cat > "$AM_TMP/authmilter.conf" <<CONF
socket = "inet:$ML_PORT@127.0.0.1";
user = "nobody";
group = "nogroup";
authserv_id = "mx.example.org";
debug = true;
shutdown_timeout = 2;
dns = { nameservers = ["127.0.0.1@$AM_DNS_PORT"]; timeout = $ML_DNS_TIMEOUT; };
policy = {
  $(case $ML_POLICY in *trusted_networks*) ;; *) echo "trusted_networks = [];" ;; esac)
  $ML_POLICY
};
$ML_CONF
CONF
	# shellcheck disable=SC2086
	$ML_WRAP "$ML_DAEMON" -f -c "$AM_TMP/authmilter.conf" 2>"$ML_LOG" &
	ML_PID=$!
	AM_PIDS="$ML_PID $AM_PIDS"
	i=0
	until grep -q ' start version=' "$ML_LOG" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt $((ML_START_WAIT * 10)) ] || ! kill -0 "$ML_PID" 2>/dev/null; then
			echo "Bail out! authmilter did not start: $(tr '\n' ' ' < "$ML_LOG")"
			exit 1
		fi
		sleep 0.1
	done
}

# Prints the command's output as TAP diagnostics.
# ml_waitlog PATTERN [SECONDS]: until the daemon's log has a line matching
# PATTERN (default 30 s); 1 if it never does.
ml_waitlog() {
	i=0
	until grep -q "$1" "$ML_LOG"; do
		i=$((i + 1))
		[ $i -gt $((${2:-30} * 10)) ] && return 1
		sleep 0.1
	done
}

ml_diag() {
	sed 's/^/#   /' "$1" | head -40
}

ml_alive() {
	kill -0 "$ML_PID" 2>/dev/null
}

ml_lua() {
	desc=$1 script=$2
	shift 2
	defs="-D port=$ML_PORT -D dir=$ML_DIR"
	for d in "$@"; do defs="$defs -D $d"; done
	# shellcheck disable=SC2086
	timeout "$ML_TIMEOUT" miltertest $defs -s "$ML_DIR/$script" > "$AM_TMP/out" 2>&1
	rc=$?
	if [ $rc = 0 ] && ! ml_alive; then
		echo "authmilter died" >> "$AM_TMP/out"
		rc=1
	fi
	am_result $rc "$desc"
	[ $rc = 0 ] || { echo "#   $script exit $rc"; ml_diag "$AM_TMP/out"; }
}

ml_py() {
	desc=$1 script=$2
	shift 2
	ML_PORT=$ML_PORT PYTHONPATH="$ML_DIR" timeout "$ML_TIMEOUT" \
		"$PYTHON3" "$ML_DIR/$script" "$@" > "$AM_TMP/out" 2>&1
	rc=$?
	if [ $rc = 0 ] && ! ml_alive; then
		echo "authmilter died" >> "$AM_TMP/out"
		rc=1
	fi
	am_result $rc "$desc"
	if [ $rc != 0 ]; then
		echo "#   $script exit $rc"
		ml_diag "$AM_TMP/out"
	else
		grep '^#' "$AM_TMP/out"
	fi
}

ml_log() {
	desc=$1 qid=$2
	shift 2
	"$PYTHON3" "$ML_DIR/logkv.py" check "$ML_LOG" "$qid" "$@" > "$AM_TMP/logout"
	am_result $? "$desc"
	cat "$AM_TMP/logout"
}

ml_nolog() {
	n=$("$PYTHON3" "$ML_DIR/logkv.py" count "$ML_LOG" "$2")
	am_is "$1" "$n" 0
}

ml_rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$ML_PID/status"
}

ml_stop() {
	kill -"${1:-TERM}" "$ML_PID" 2>/dev/null
	wait "$ML_PID"
	ML_STATUS=$?
}
