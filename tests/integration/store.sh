#!/bin/sh
# store.sh - the report store (src/report/store*.c), both back ends, through
# store_driver. TAP, the plan printed at the end.
#
# For SQLite, and for PostgreSQL on a throwaway cluster (tests/pg_lib.sh;
# skipped with the reason where none can be started):
#   - the scenarios of store_checks*.c, each on a new database: schema and
#     reopening, adding up, one transaction per batch, argument errors,
#     report_begin, rows and their order, corrupted rows, deliveries,
#     finish and stats, expire, the reporter lock within one process, text
#     from mail (quotes, SQL, tabs, invalid UTF-8, sizes);
#   - the schema version written, kept on reopening, and a newer one refused;
#   - the reporter lock between processes: a second process does not get
#     it, and gets it once the holder is killed with SIGKILL;
#   - two processes adding to the same rows at once, on a new database
#     (both create the schema): the sums are exact;
#   - new databases opened by three processes at once: all succeed;
# and, PostgreSQL only: the server stopped under an open handle (store_add
# fails at once; after a restart the same handle works again, also when it
# sat idle through the restart; the reporter lock taken again after a
# restart, or its loss reported), and a server that never answers (store_open
# fails within connect_timeout, our default 5 seconds when none is given,
# all hosts of the conninfo together); SQLite only: a database that cannot
# be opened or written is an error naming the path.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/pg_lib.sh"

driver="$top_builddir/tests/integration/store_driver"
if [ ! -x "$driver" ]; then
	echo "Bail out! $driver not built (make check builds it)"
	exit 1
fi
am_tmp

SCENARIOS="schema aggregate atomic errors begin rows bad deliveries finish expire lock strings"
HAMMER_BATCHES=200

# ---- helpers ----

# fresh KIND NAME: $spec, the spec of a new, empty database
fresh() {
	if [ "$1" = sqlite ]; then
		spec="sqlite:$AM_TMP/$2.db"
	else
		pg_createdb "$2"
		spec="postgresql:$PG_DB_CONNINFO"
	fi
}

# run_check KIND NAME SPEC: the scenario's results, numbered
run_check() {
	"$driver" check "$2" "$3" >"$AM_TMP/check.out" 2>&1
	rc=$?
	failed=0
	while IFS= read -r line; do
		case $line in
		"ok - "*) am_result 0 "$1 $2: ${line#ok - }" ;;
		"not ok - "*)
			am_result 1 "$1 $2: ${line#not ok - }"
			failed=1
			;;
		"#"*) echo "$line" ;;
		*) echo "# $line" ;;
		esac
	done <"$AM_TMP/check.out"
	# a driver that died without saying why
	[ $rc = 0 ] || [ $failed = 1 ] || am_result 1 "$1 $2: the driver exited with $rc"
}

# wait_for FILE: until it has a line (10 s at most)
wait_for() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# ms_of TEXT: the N of "ms=N" in it
ms_of() {
	printf '%s\n' "$1" | sed -n 's/.*ms=\([0-9]*\).*/\1/p' | head -n 1
}

as_nobody() {
	if command -v runuser >/dev/null 2>&1; then
		runuser -u nobody -- "$@"
	else
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"
	fi
}

# ---- both back ends ----

schema_tests() {
	fresh "$1" "${1}_schema_v"
	am_is "$1: store_open creates the store" "$("$driver" open "$spec" 2>&1)" "$1"
	am_is "$1: schema version 1 written" "$("$driver" version "$spec" 2>&1)" 1
	"$driver" open "$spec" >/dev/null 2>&1
	am_is "$1: reopened: version kept" "$("$driver" version "$spec" 2>&1)" 1
	if [ "$1" = sqlite ]; then
		"$driver" sql "$spec" "PRAGMA user_version = 2" >/dev/null
	else
		"$driver" sql "$spec" "UPDATE authmilter_schema SET version = 2" >/dev/null
	fi
	am_like "$1: a newer schema version is refused" "$("$driver" open "$spec" 2>&1)" \
		"^error: .*schema version 2 is not one this program knows"
	am_is "$1: ... and left as it was" "$("$driver" version "$spec" 2>&1)" 2
}

lock_tests() {
	fresh "$1" "${1}_lock_procs"
	"$driver" open "$spec" >/dev/null 2>&1
	"$driver" lock "$spec" >"$AM_TMP/lock.$1" 2>&1 &
	holder=$!
	AM_PIDS="$AM_PIDS $holder"
	wait_for "$AM_TMP/lock.$1"
	am_is "$1: a process takes the reporter lock" "$(cat "$AM_TMP/lock.$1")" 1
	am_is "$1: another process does not get it" "$("$driver" trylock "$spec" 2>&1)" 0
	kill -9 "$holder"
	wait "$holder" 2>/dev/null
	# PostgreSQL ends the killed client's session a moment later
	i=0
	while [ "$("$driver" trylock "$spec" 2>&1)" != 1 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	am_is "$1: after the holder is killed (SIGKILL) it is free" \
		"$("$driver" trylock "$spec" 2>&1)" 1
}

concurrency_tests() {
	fresh "$1" "${1}_hammer"
	t0=$(date +%s)
	"$driver" hammer "$spec" $HAMMER_BATCHES 1 >"$AM_TMP/h1" 2>"$AM_TMP/h1.err" &
	p1=$!
	"$driver" hammer "$spec" $HAMMER_BATCHES 2 >"$AM_TMP/h2" 2>"$AM_TMP/h2.err" &
	p2=$!
	AM_PIDS="$AM_PIDS $p1 $p2"
	wait $p1
	r1=$?
	wait $p2
	r2=$?
	am_is "$1: two processes, $HAMMER_BATCHES batches each on one new database: no errors" \
		"$r1 $r2 $(cat "$AM_TMP/h1.err" "$AM_TMP/h2.err")" "0 0 "
	want=$(cat "$AM_TMP/h1" "$AM_TMP/h2" | awk '{ s[$1] += $2 } END { for (k in s) print k, s[k] }' | sort)
	got=$("$driver" totals "$spec" 2>&1 | sort)
	am_like "$1: ... every row written" "$(echo "$got" | wc -l)" "^ *6$"
	am_is "$1: ... the counts are the exact sums ($(($(date +%s) - t0)) s)" "$got" "$want"
}

# race_tests KIND ROUNDS: new databases, each opened by three processes at
# once (the schema created once; SQLite's switch to WAL made by one)
race_tests() {
	bad=""
	r=0
	while [ $r -lt "$2" ]; do
		fresh "$1" "${1}_race_$r"
		"$driver" open "$spec" >"$AM_TMP/race.1" 2>&1 &
		q1=$!
		"$driver" open "$spec" >"$AM_TMP/race.2" 2>&1 &
		q2=$!
		"$driver" open "$spec" >"$AM_TMP/race.3" 2>&1
		wait $q1 $q2
		for f in 1 2 3; do
			[ "$(cat "$AM_TMP/race.$f")" = "$1" ] || bad="$bad [round $r: $(cat "$AM_TMP/race.$f")]"
		done
		r=$((r + 1))
	done
	am_is "$1: $2 new databases, each opened by 3 processes at once: all opened" "$bad" ""
}

backend() {
	for sc in $SCENARIOS; do
		fresh "$1" "${1}_$sc"
		run_check "$1" "$sc" "$spec"
	done
	schema_tests "$1"
	lock_tests "$1"
	concurrency_tests "$1"
	race_tests "$1" "$2"
}

# ---- SQLite only ----

sqlite_open_errors() {
	p="$AM_TMP/nodir/reports.db"
	am_like "sqlite: a directory that does not exist: error naming the path" \
		"$("$driver" open "sqlite:$p" 2>&1)" "^error: sqlite $p: cannot open: .*No such file"
	: >"$AM_TMP/afile"
	p="$AM_TMP/afile/reports.db"
	am_like "sqlite: a path through a file: error naming the path" \
		"$("$driver" open "sqlite:$p" 2>&1)" "^error: sqlite $p: cannot open"
	p="$AM_TMP/junk.db"
	echo "this is not a database, but it is long enough to look like a header" >"$p"
	am_like "sqlite: a file that is not a database: error naming the path" \
		"$("$driver" open "sqlite:$p" 2>&1)" "^error: sqlite $p: .*not a database"
	mkdir "$AM_TMP/ro"
	p="$AM_TMP/ro/reports.db"
	"$driver" open "sqlite:$p" >/dev/null 2>&1
	chmod 755 "$AM_TMP/ro"
	chmod 644 "$p"
	if [ "$(id -u)" = 0 ]; then
		chmod 711 "$AM_TMP"
		got=$(as_nobody "$driver" open "sqlite:$p" 2>&1)
	else
		chmod 555 "$AM_TMP/ro"
		chmod 444 "$p"
		got=$("$driver" open "sqlite:$p" 2>&1)
		chmod 755 "$AM_TMP/ro"
	fi
	am_like "sqlite: a database this user cannot write: error naming the path" \
		"$got" "^error: sqlite $p: .*not writable"
}

# ---- PostgreSQL only ----

repl_start() {
	rm -f "$AM_TMP/repl.in" "$AM_TMP/repl.out"
	mkfifo "$AM_TMP/repl.in" "$AM_TMP/repl.out"
	"$driver" repl "$1" <"$AM_TMP/repl.in" >"$AM_TMP/repl.out" 2>"$AM_TMP/repl.err" &
	repl_pid=$!
	AM_PIDS="$AM_PIDS $repl_pid"
	exec 7>"$AM_TMP/repl.in" 8<"$AM_TMP/repl.out"
}

# repl CMD: the driver's answer in $reply
repl() {
	echo "$1" >&7
	IFS= read -r reply <&8 || reply="(the driver is gone: $(cat "$AM_TMP/repl.err"))"
}

repl_stop() {
	echo quit >&7
	exec 7>&- 8<&-
	wait "$repl_pid"
}

pg_outage_tests() {
	fresh postgresql pg_outage
	repl_start "$spec"
	repl add
	am_like "postgresql: store_add on a running server" "$reply" "^ok"
	pg_stop
	repl add
	am_like "postgresql: server stopped: store_add fails" "$reply" "^err .*postgresql: "
	ms=$(ms_of "$reply")
	am_ok "postgresql: ... at once (${ms} ms)" test "${ms:-99999}" -lt 2000
	repl add
	am_like "postgresql: still down: the next store_add fails too" "$reply" "^err .*connect"
	ms=$(ms_of "$reply")
	am_ok "postgresql: ... at once (${ms} ms)" test "${ms:-99999}" -lt 2000
	pg_start_again
	repl add
	am_like "postgresql: server back: the same handle's store_add succeeds" "$reply" "^ok"
	repl stats
	am_like "postgresql: ... and nothing was counted twice or lost" "$reply" "messages=2$"
	pg_stop
	pg_start_again
	repl add
	am_like "postgresql: a restart while idle: the first store_add after it succeeds" \
		"$reply" "^ok"
	repl stats
	am_like "postgresql: ... counted once" "$reply" "messages=3$"
	pg_lock_tests
	repl_stop
}

# The reporter lock is a session lock: a restart ends it. The handle takes
# it again on its new connection, or, when another process took it in
# between, fails every call until store_lock() is called again.
pg_lock_tests() {
	repl lock
	am_like "postgresql: the reporter lock" "$reply" "^ok .*lock=1"
	pg_stop
	pg_start_again
	repl add
	am_like "postgresql: after a restart the handle works" "$reply" "^ok"
	am_is "postgresql: ... and holds the lock again" "$("$driver" trylock "$spec" 2>&1)" 0
	pg_stop
	pg_start_again
	rm -f "$AM_TMP/lock.thief"
	"$driver" lock "$spec" >"$AM_TMP/lock.thief" 2>&1 &
	thief=$!
	AM_PIDS="$AM_PIDS $thief"
	wait_for "$AM_TMP/lock.thief"
	am_is "postgresql: another process takes the lock during a restart" \
		"$(cat "$AM_TMP/lock.thief")" 1
	repl add
	am_like "postgresql: ... the handle that lost it fails, and says so" "$reply" \
		"^err .*reporter lock was lost"
	repl lock
	am_like "postgresql: ... store_lock() again: not held" "$reply" "^ok .*lock=0"
	repl add
	am_like "postgresql: ... and the handle works again (as a writer)" "$reply" "^ok"
	kill -9 "$thief"
	wait "$thief" 2>/dev/null
	i=0
	repl lock
	while [ "${reply#*lock=}" != 1 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
		repl lock
	done
	am_like "postgresql: ... and gets the lock once the other is gone" "$reply" "^ok .*lock=1"
}

# A server that accepts connections and never answers: connect_timeout
# bounds the whole attempt. Started first, checked last, in parallel.
silent_start() {
	"$PYTHON3" -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
time.sleep(60)' >"$AM_TMP/silent.port" 2>/dev/null &
	silent_pid=$!
	AM_PIDS="$AM_PIDS $silent_pid"
	wait_for "$AM_TMP/silent.port"
	port=$(cat "$AM_TMP/silent.port")
	ci="host=127.0.0.1 port=$port dbname=x user=x"
	"$driver" open "postgresql:$ci connect_timeout=2" >"$AM_TMP/silent.2" 2>&1 &
	s2=$!
	"$driver" open "postgresql:host=127.0.0.1,127.0.0.1 port=$port,$port dbname=x user=x connect_timeout=2" \
		>"$AM_TMP/silent.multi" 2>&1 &
	s3=$!
	"$driver" open "postgresql:$ci" >"$AM_TMP/silent.default" 2>&1 &
	s4=$!
}

silent_check() {
	wait $s2 $s3 $s4
	got=$(cat "$AM_TMP/silent.2")
	am_like "postgresql: a server that never answers: store_open fails" "$got" \
		"^error: postgresql: connect: no answer within 2 seconds"
	ms=$(ms_of "$got")
	am_ok "postgresql: ... within the conninfo's connect_timeout=2 (${ms} ms)" \
		test "${ms:-0}" -ge 1900 -a "${ms:-99999}" -lt 3500
	ms=$(ms_of "$(cat "$AM_TMP/silent.multi")")
	am_ok "postgresql: ... two hosts: 2 s for both together, not each (${ms} ms)" \
		test "${ms:-0}" -ge 1900 -a "${ms:-99999}" -lt 3500
	ms=$(ms_of "$(cat "$AM_TMP/silent.default")")
	am_ok "postgresql: ... no connect_timeout given: 5 s (${ms} ms)" \
		test "${ms:-0}" -ge 4900 -a "${ms:-99999}" -lt 6500
}

# ---- run ----

start=$(date +%s)
silent_start
backend sqlite 40
sqlite_open_errors
why=$(pg_skip_reason)
if [ -z "$why" ]; then
	pg_start
	backend postgresql 8
	pg_outage_tests
else
	am_result 0 "postgresql: the back end's tests # SKIP $why"
fi
silent_check
echo "# $(($(date +%s) - start)) s"
am_plan "$AM_TAP_N"
