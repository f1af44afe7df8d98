#!/bin/sh
# deliver.sh - a report message handed to a sendmail command or an SMTP
# server: the bytes and the envelope arrive intact, each failure maps to
# the right status (5xx and other exit codes permanent; 4xx, EX_TEMPFAIL,
# signals, timeouts, refused or silent servers temporary), a timeout is
# kept, and no child process is ever left behind.
#
# Sendmail cases run stub scripts written here. SMTP cases talk to
# Postfix's smtp-sink (root for its -u; skipped otherwise) and to a
# python3 listener that accepts and never answers.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
D="$top_builddir/tests/integration/deliver_driver"
E2E_PY="$PYTHON3 $top_srcdir/tests/e2e/e2e.py"

am_tmp
T=$AM_TMP
chmod 755 "$T" # smtp-sink dumps below here as nobody

# The message: CRLF lines, lines that start with dots, a long body.
{
	printf 'From: reports@example.org\r\nTo: dmarc@example.com\r\n'
	printf 'Subject: Report Domain: example.com\r\nMessage-ID: <deliver-1@example.org>\r\n\r\n'
	printf '.leading dot\r\n..two dots\r\n.\r\nnot the end\r\n'
	seq 1 2000 | sed 's/$/ a line of the report body\r/'
} > "$T/msg"
# 1 MB: more than a pipe holds, so a command that does not read blocks us
seq 1 100000 | sed 's/$/ filler line\r/' | head -c 1048576 > "$T/big"

# stub NAME BODY: an executable script $T/NAME
stub() {
	printf '#!/bin/sh\n%s\n' "$2" > "$T/$1"
	chmod 755 "$T/$1"
}
stub ok 'printf "%s\n" "$@" > '"$T"'/ok.args; cat > '"$T"'/ok.in; exit 0'
stub tempfail 'cat > /dev/null; exit 75'
stub permfail 'cat > /dev/null; exit 1'
stub sleeper 'sleep 30 & echo $! > '"$T"'/sleeper.pid; wait'
stub noread0 'exec 0<&-; sleep 0.2; exit 0'
stub noread1 'exec 0<&-; sleep 0.2; exit 1'
stub signal 'cat > /dev/null; kill -TERM $$'

field() { printf '%s\n' "$1" | sed -n "s/.*$2=\([^ ]*\).*/\1/p"; }
gone() { # PID is gone or a zombie waiting for init
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -z "$st" ] || [ "$st" = Z ]
}
skip() { # N REASON: N skipped TAP lines
	i=0
	while [ $i -lt "$1" ]; do
		AM_TAP_N=$((AM_TAP_N + 1))
		echo "ok $AM_TAP_N # SKIP $2"
		i=$((i + 1))
	done
}

am_plan 38

# --- sendmail ---------------------------------------------------------
r=$("$D" sendmail "$T/ok -t  -oi" "$T/msg" 10)
am_is "sendmail exit 0: ok" "$(field "$r" status)" ok
am_ok "sendmail: the command got the exact bytes" cmp "$T/msg" "$T/ok.in"
am_is "sendmail: split at blanks, no shell" "$(cat "$T/ok.args" | tr '\n' ' ')" "-t -oi "
am_is "sendmail: no child left" "$(field "$r" children)" none

r=$("$D" sendmail "$T/ok" "$T/big" 10)
am_is "sendmail 1 MB: ok" "$(field "$r" status)" ok
am_ok "sendmail 1 MB: the exact bytes" cmp "$T/big" "$T/ok.in"

r=$("$D" sendmail "$T/tempfail" "$T/msg" 10)
am_is "sendmail exit 75: tempfail" "$(field "$r" status)" tempfail
am_like "sendmail exit 75: err" "$r" "exit status 75"

r=$("$D" sendmail "$T/permfail" "$T/msg" 10)
am_is "sendmail exit 1: permfail" "$(field "$r" status)" permfail
am_like "sendmail exit 1: err" "$r" "exit status 1$"

r=$("$D" sendmail "$T/signal" "$T/msg" 10)
am_is "sendmail killed by a signal: tempfail" "$(field "$r" status)" tempfail
am_like "sendmail killed by a signal: err" "$r" "signal 15"

r=$("$D" sendmail "$T/sleeper" "$T/msg" 1)
am_is "sendmail past the timeout: tempfail" "$(field "$r" status)" tempfail
am_like "sendmail past the timeout: within it" "$(field "$r" secs)" "^[12]$"
am_is "sendmail past the timeout: no zombie" "$(field "$r" children)" none
am_ok "sendmail past the timeout: its own children killed too" gone "$(cat "$T/sleeper.pid")"

r=$("$D" sendmail "$T/sleeper" "$T/big" 1)
am_like "sendmail that reads nothing, 1 MB, past the timeout: tempfail in time" \
	"$(field "$r" status) $(field "$r" secs) $(field "$r" children)" "^tempfail [12] none$"

r=$("$D" sendmail "$T/noread0" "$T/big" 10)
am_is "sendmail exits 0 without reading (EPIPE): tempfail, we live" "$(field "$r" status)" tempfail
am_like "sendmail exits 0 without reading: err" "$r" "before reading"
r=$("$D" sendmail "$T/noread1" "$T/big" 10)
am_is "sendmail exits 1 without reading (EPIPE): permfail" "$(field "$r" status)" permfail

r=$("$D" sendmail "$T/does-not-exist -t" "$T/msg" 10)
am_is "sendmail command missing: tempfail" "$(field "$r" status)" tempfail
am_like "sendmail command missing: err" "$r" "cannot run .*No such file"
am_is "sendmail command missing: no child left" "$(field "$r" children)" none
r=$("$D" sendmail "sendmail -t" "$T/msg" 10)
am_like "sendmail command not absolute: tempfail" "$r" "^status=tempfail .*absolute"

# --- SMTP -------------------------------------------------------------
SMTP_TESTS=14
command -v smtp-sink >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
if [ "$(id -u)" != 0 ]; then
	skip $SMTP_TESTS "smtp-sink -u needs root"
	exit 0
fi
if ! command -v smtp-sink >/dev/null 2>&1 || ! id nobody >/dev/null 2>&1; then
	skip $SMTP_TESTS "smtp-sink or the nobody user missing (install postfix)"
	exit 0
fi

# sink NAME [OPTIONS]: an smtp-sink dumping to $T/sink-NAME; sets PORT
sink() {
	dir=$T/sink-$1
	shift
	mkdir "$dir"
	chown nobody "$dir"
	PORT=$($E2E_PY port)
	smtp-sink -u nobody "$@" -d "$dir/m." 127.0.0.1:"$PORT" 100 2>>"$T/sink.err" &
	AM_PIDS="$AM_PIDS $!"
	$E2E_PY waitport "$PORT" 10 || {
		echo "Bail out! smtp-sink did not start: $(cat "$T/sink.err")"
		exit 1
	}
}
smtp() { "$D" smtp "127.0.0.1:$1" report.example.org reports@example.org dmarc@example.com \
	"$T/msg" "${2:-10}"; }

sink ok
r=$(smtp "$PORT")
am_is "smtp: ok" "$(field "$r" status)" ok
dump=$(ls "$T/sink-ok"/m.* 2>/dev/null | head -n 1)
am_is "smtp: envelope sender" "$(sed -n 's/^X-Mail-Args: //p' "$dump")" "<reports@example.org>"
am_is "smtp: envelope recipient, one" "$(sed -n 's/^X-Rcpt-Args: //p' "$dump")" "<dmarc@example.com>"
am_is "smtp: EHLO name from the URL path" "$(sed -n 's/^X-Helo-Args: //p' "$dump")" "report.example.org"
# after smtp-sink's three-line Received: header, the message with LF
# line ends and dots unstuffed, then one empty line
awk 'found { print } /^Received: / { skip = 2; next } skip > 0 { skip--; if (!skip) found = 1 }' \
	"$dump" | sed '$d' > "$T/got"
tr -d '\r' < "$T/msg" > "$T/want"
am_ok "smtp: the message arrived intact" cmp "$T/want" "$T/got"

sink rcpt5 -f RCPT
r=$(smtp "$PORT")
am_like "smtp: 5xx to RCPT: permfail with the reply" "$r" "^status=permfail .*reply 500: 500 5.3.0 Error"
sink mail5 -f MAIL
r=$(smtp "$PORT")
am_like "smtp: 5xx to MAIL: permfail" "$r" "^status=permfail .*reply 500"
sink dot5 -f .
r=$(smtp "$PORT")
am_like "smtp: 5xx at the end of data: permfail" "$r" "^status=permfail .*reply 500"
sink rcpt4 -r RCPT
r=$(smtp "$PORT")
am_like "smtp: 4xx to RCPT: tempfail with the reply" "$r" "^status=tempfail .*reply 450: 450 4.3.0 Error"
sink data4 -r DATA
r=$(smtp "$PORT")
am_like "smtp: 4xx to DATA: tempfail" "$r" "^status=tempfail .*reply 450"
sink conn421 -Q CONNECT
r=$(smtp "$PORT")
am_like "smtp: 421 and disconnect at greeting: tempfail" "$r" "^status=tempfail"

PORT=$($E2E_PY port)
r=$(smtp "$PORT")
am_like "smtp: connection refused: tempfail" "$r" "^status=tempfail .*reply 0"

"$PYTHON3" -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
open(sys.argv[1] + ".new", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".new", sys.argv[1])
time.sleep(120)
' "$T/hang.port" &
AM_PIDS="$AM_PIDS $!"
i=0
while [ ! -s "$T/hang.port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
r=$(smtp "$(cat "$T/hang.port")" 2)
am_like "smtp: a server that never answers: tempfail within the timeout" \
	"$(field "$r" status) $(field "$r" secs)" "^tempfail [23]$"

r=$("$D" smtp "127.0.0.1:$PORT" report.example.org reports@example.org \
	"$(printf 'a@b.example>\r\nRCPT TO:<x@victim.example')" "$T/msg" 10)
am_like "smtp: a recipient with CR LF is refused unsent" "$r" "^status=permfail .*not one plain address"
