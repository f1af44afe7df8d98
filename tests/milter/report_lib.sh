# tests/milter/report_lib.sh - daemons that record DMARC aggregate report
# data, fed over their milter sockets, and authmilter-report runs against
# their store. Sourced by the tests/milter/report_*.sh runners.
#
#   rl_init SECONDS        skip unless root (the daemons drop to nobody) with
#                          miltertest's client deps; $T (= $AM_TMP, mode
#                          755), $T/store (owned by nobody); a watchdog
#   rl_dns [ZONE-LINES]    the DNS server on the zone below plus ZONE-LINES
#   rl_conf NAME STORE [REPORTING-LINES]
#                          write $T/NAME.conf: a daemon on a free port
#                          recording to STORE ("sqlite:..."/"postgresql:..."),
#                          status in $T/store/NAME.status, reports from
#                          dmarc-reports@mx.example.org by sendmail to
#                          $T/sendmail (a stub that keeps each message in
#                          $T/out/), plus REPORTING-LINES inside reporting {}
#   rl_start NAME          start the daemon of $T/NAME.conf (log $T/NAME.log);
#                          sets PORT_NAME, PID_NAME
#   rl_send NAME N IP DOMAIN   N messages From bob@DOMAIN from IP; prints
#                          the replies (reportsend.py)
#   rl_status NAME KEY     the recorder's KEY from its status file
#   rl_wait NAME KEY VALUE [S] wait (S seconds, 15) until KEY=VALUE there
#   rl_settle NAME [S]     wait until the recorder wrote all it recorded
#   rl_report NAME [ARGS]  run authmilter-report -c $T/NAME.conf -v ARGS
#                          (output in $T/report.out, exit status in RL_RC)
#   rl_stub NAME SCRIPT    install $T/sendmail as SCRIPT (body of a sh script)
# Zone: rec.example (p=reject, rua on itself), both.example (p=quarantine,
# rua on itself); SPF for both: 192.0.2.0/24. Clients: 192.0.2.10 passes,
# 198.51.100.7 fails.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

RL_DAEMON="$top_builddir/src/authmilter"
RL_REPORT="$top_builddir/src/authmilter-report"
RL_SEND="$PYTHON3 $top_srcdir/tests/milter/reportsend.py"
RL_CHECK="$PYTHON3 $top_srcdir/tests/reportcheck.py"
RL_GOOD=192.0.2.10
RL_BAD=198.51.100.7

rl_skip() {
	echo "1..0 # SKIP $1"
	exit 0
}

rl_init() {
	[ "$(id -u)" = 0 ] || rl_skip "the daemons run as root and drop to nobody"
	[ -x "$RL_DAEMON" ] && [ -x "$RL_REPORT" ] || rl_skip "the programs are not built"
	id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null 2>&1 ||
		rl_skip "no nobody user or nogroup group"
	am_tmp
	T=$AM_TMP
	chmod 755 "$T"
	mkdir -p "$T/store" "$T/out"
	chown nobody:nogroup "$T/store" "$T/out"
	# the watchdog: a hung test ends instead of holding up make check
	(sleep "$1" && echo "Bail out! timed out after $1 s" && kill -TERM $$) >/dev/null 2>&1 &
	AM_PIDS="$AM_PIDS $!"
	rl_stub ok 'cat > "$(mktemp '"$T"'/out/msg.XXXXXX)"'
}

rl_dns() {
	cat > "$T/zone" <<ZONE
rec.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.rec.example	TXT	"v=DMARC1; p=reject; rua=mailto:dmarc@rec.example"
both.example	TXT	"v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.both.example	TXT	"v=DMARC1; p=quarantine; rua=mailto:agg@both.example"
${1:-}
ZONE
	am_start_dns "$T/zone"
}

rl_port() {
	"$PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

rl_conf() {
	port=$(rl_port)
	eval "PORT_$1=$port"
	cat > "$T/$1.conf" <<CONF
socket = "inet:$port@127.0.0.1";
user = "nobody";
group = "nogroup";
authserv_id = "mx.example.org";
shutdown_timeout = 5;
dns = { nameservers = ["127.0.0.1@$AM_DNS_PORT"]; timeout = 1.0; };
policy = { trusted_networks = []; };
reporting = {
  enabled = true;
  store = "$2";
  status_file = "$T/store/$1.status";
  org_name = "Example Receiver";
  email = "dmarc-reports@mx.example.org";
  sendmail = "$T/sendmail -t -oi";
  ${3:-}
};
CONF
	chmod 644 "$T/$1.conf"
}

rl_start() {
	: > "$T/$1.log"
	"$RL_DAEMON" -f -c "$T/$1.conf" 2>>"$T/$1.log" &
	pid=$!
	eval "PID_$1=$pid"
	AM_PIDS="$pid $AM_PIDS"
	i=0
	until grep -q ' start version=' "$T/$1.log"; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
			echo "Bail out! authmilter $1 did not start: $(tr '\n' ' ' < "$T/$1.log")"
			exit 1
		fi
		sleep 0.1
	done
}

rl_send() {
	eval "port=\$PORT_$1"
	PYTHONPATH="$top_srcdir/tests/milter" timeout 120 $RL_SEND "$port" "$2" "$3" "$4" "$1"
}

rl_status() {
	sed -n "s/^$2=//p" "$T/store/$1.status" 2>/dev/null
}

rl_wait() {
	i=0
	until [ "$(rl_status "$1" "$2")" = "$3" ]; do
		i=$((i + 1))
		[ $i -gt $((${4:-15} * 10)) ] && return 1
		sleep 0.1
	done
}

rl_settle() {
	# the status file is rewritten every 100 ms: let it catch up with the
	# last push (made before the milter's reply) first
	sleep 0.3
	i=0
	until [ -n "$(rl_status "$1" written)" ] &&
		[ "$(rl_status "$1" written)" = "$(rl_status "$1" recorded)" ]; do
		i=$((i + 1))
		[ $i -gt $((${2:-15} * 10)) ] && return 1
		sleep 0.1
	done
}

rl_report() {
	name=$1
	shift
	timeout 120 "$RL_REPORT" -c "$T/$name.conf" -v "$@" > "$T/report.out" 2>&1
	RL_RC=$?
}

rl_stub() {
	printf '#!/bin/sh\n%s\n' "$2" > "$T/sendmail.$1"
	chmod 755 "$T/sendmail.$1"
	cp "$T/sendmail.$1" "$T/sendmail"
}
