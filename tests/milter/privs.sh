#!/bin/sh
# privs.sh - after start the daemon runs unprivileged with no capabilities;
# its UNIX socket gets socket_mode and its group, never access for others;
# a stale socket is replaced, one in use is not; root is refused.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root (the daemon drops root; that is what is tested)"
	exit 0
fi
am_plan 9
ml_start

status() { awk -v k="$1:" '$1 == k { print $2 " " $3 " " $4 " " $5 }' "/proc/$ML_PID/status"; }
am_is "runs as nobody (real, effective, saved, fs uid)" "$(status Uid)" \
	"$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)"
am_is "no effective, permitted or inheritable capabilities" \
	"$(awk '$1 ~ /^Cap(Eff|Prm|Inh):$/ { printf "%s%s", sep, $2; sep = " " }' "/proc/$ML_PID/status")" \
	"0000000000000000 0000000000000000 0000000000000000"

# A second daemon on a UNIX socket in a private directory.
sock_dir="$AM_TMP/run"
sock="$sock_dir/authmilter.sock"
sed -e "s|^socket = .*|socket = \"local:$sock\";|" "$AM_TMP/authmilter.conf" > "$AM_TMP/unix.conf"
start_unix() { # start_unix LOG: starts a daemon on $sock, sets UPID
	"$ML_DAEMON" -f -c "$AM_TMP/unix.conf" 2>"$1" &
	UPID=$!
	i=0
	while ! grep -q ' start version=' "$1" 2>/dev/null && kill -0 "$UPID" 2>/dev/null &&
		[ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
}
mkdir -p "$sock_dir"
"$PYTHON3" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$sock"
start_unix "$AM_TMP/u1.log"
am_ok "a stale socket file (nobody listening) is replaced" grep -q ' start version=' "$AM_TMP/u1.log"
am_is "socket mode 0660, group nogroup" "$(stat -c '%a %G' "$sock")" "660 nogroup"
first=$UPID
start_unix "$AM_TMP/u2.log"
wait "$UPID" 2>/dev/null
rc=$?
am_is "a socket in use is not taken over: the second daemon exits 1" "$rc" 1
am_like "and says why" "$(cat "$AM_TMP/u2.log")" 'is in use: is another authmilter running'
kill "$first" 2>/dev/null
wait "$first" 2>/dev/null
rm -f "$sock"
printf 'plain file\n' > "$sock"
timeout 10 "$ML_DAEMON" -f -c "$AM_TMP/unix.conf" 2>"$AM_TMP/u3.log"
am_like "a non-socket at the path is left alone and the daemon refuses to start" \
	"$?:$(cat "$AM_TMP/u3.log")" '^1:.*exists and is not a socket'
rm -f "$sock"
sed -e 's|^user = .*|user = "root";|; s|^group = .*|group = "root";|' "$AM_TMP/unix.conf" > "$AM_TMP/root.conf"
timeout 10 "$ML_DAEMON" -f -c "$AM_TMP/root.conf" 2>"$AM_TMP/u4.log"
am_like "user = root is refused unless allow_root" "$?:$(cat "$AM_TMP/u4.log")" \
	'^1:.*refusing to run as root'
am_ok "the first daemon is still serving" ml_alive
