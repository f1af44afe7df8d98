# tests/pg_lib.sh - a throwaway PostgreSQL cluster for shell tests
#
# Source it from a test script (it sources tests/lib.sh when that was not):
#	. "$top_srcdir/tests/lib.sh"
#	. "$top_srcdir/tests/pg_lib.sh"
#	why=$(pg_skip_reason)     # empty when PostgreSQL tests can run here
#	pg_start                  # sets and exports PG_PORT, PG_CONNINFO, PG_BINDIR
#
#   pg_skip_reason       print why a cluster cannot be started here, or nothing
#   pg_start             initdb a cluster in $AM_TMP/pg (owned by an unprivileged
#                        user: `nobody` when running as root), start it on
#                        127.0.0.1 and a free port (unix socket inside its
#                        directory, fsync off), create role and database
#                        "authmilter" (trust authentication: a throwaway
#                        cluster), export PG_PORT and
#                        PG_CONNINFO="host=127.0.0.1 port=N dbname=authmilter user=authmilter"
#   pg_stop              stop it (pg_ctl -m fast), keeping its data
#   pg_start_again       start the same cluster again on the same port
#   pg_createdb NAME     create database NAME owned by role authmilter and
#                        set PG_DB_CONNINFO to its conninfo (one database per
#                        test case); not in $(...), so a failure can bail out
#   pg_psql DB SQL       run SQL as the superuser on database DB (psql -c)
#
# The cluster is stopped when the script exits, failed or not, or is ended by
# SIGINT, SIGTERM, SIGHUP or SIGPIPE (not SIGKILL): this file sets the EXIT
# trap to stop it and then run lib.sh's am_cleanup. A script that sets its
# own EXIT trap must call pg_cleanup and am_cleanup from it.
# PG_BINDIR may be set to the server's bin directory; by default the newest
# /usr/lib/postgresql/*/bin (Debian), else wherever initdb is on PATH.
# Role authmilter may create databases; any local user may connect over TCP
# (daemons started under another user included). As root, $AM_TMP is made
# mode 0711 so that nobody reaches its own directory in it. Starting takes
# about two seconds (initdb --no-sync, fsync off).

if [ -z "${AM_PG_LIB:-}" ]; then
AM_PG_LIB=1

command -v am_cleanup >/dev/null 2>&1 || . "$top_srcdir/tests/lib.sh"

PG_DIR=""
PG_PORT=""
PG_CONNINFO=""
PG_OWNER=""

pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		echo "$PG_BINDIR"
		return
	fi
	_pg_d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -n 1)
	if [ -n "$_pg_d" ] && [ -x "$_pg_d/initdb" ]; then
		echo "$_pg_d"
		return
	fi
	_pg_d=$(command -v initdb 2>/dev/null) && dirname "$_pg_d"
}

pg_skip_reason() {
	_pg_b=$(pg_bindir)
	if [ -z "$_pg_b" ]; then
		echo "no PostgreSQL server: no initdb in /usr/lib/postgresql/*/bin or on PATH"
		return
	fi
	for _pg_t in initdb pg_ctl postgres psql; do
		if [ ! -x "$_pg_b/$_pg_t" ]; then
			echo "no $_pg_b/$_pg_t"
			return
		fi
	done
	if [ "$(id -u)" = 0 ]; then
		if ! id nobody >/dev/null 2>&1; then
			echo "running as root, and there is no user nobody to run PostgreSQL as"
			return
		fi
		if ! command -v runuser >/dev/null 2>&1 && ! command -v setpriv >/dev/null 2>&1; then
			echo "running as root, and neither runuser nor setpriv is there"
			return
		fi
	fi
	if ! "$PYTHON3" -c 'import socket' >/dev/null 2>&1; then
		echo "no $PYTHON3 to find a free port"
	fi
}

# Runs a command as the cluster's owner, from / (its home may not exist,
# and the current directory may not be readable by it). Descriptors above
# 2 are closed so the server keeps no pipe of the test open.
_pg_as() {
	if [ -z "$PG_OWNER" ]; then
		(cd / && "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-)
	elif command -v runuser >/dev/null 2>&1; then
		(cd / && runuser -u "$PG_OWNER" -- "$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-)
	else
		(cd / && setpriv --reuid="$PG_OWNER" --regid="$(id -g "$PG_OWNER")" --clear-groups \
			"$@" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-)
	fi
}

_pg_free_port() {
	"$PYTHON3" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

_pg_ctl_start() {
	_pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_DIR -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=60" \
		start >"$PG_DIR/pg_ctl.log" 2>&1
}

_pg_bail() {
	echo "Bail out! $1"
	for _pg_f in "$PG_DIR/initdb.log" "$PG_DIR/pg_ctl.log" "$PG_DIR/server.log"; do
		[ -f "$_pg_f" ] && tail -n 5 "$_pg_f" | sed 's/^/# /'
	done
	exit 1
}

pg_psql() {
	_pg_db=$1
	shift
	"$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres \
		-d "$_pg_db" -c "$@"
}

pg_start() {
	am_tmp
	_pg_why=$(pg_skip_reason)
	[ -z "$_pg_why" ] || _pg_bail "pg_start: $_pg_why"
	PG_BINDIR=$(pg_bindir)
	PG_DIR="$AM_TMP/pg"
	mkdir -p "$PG_DIR"
	if [ "$(id -u)" = 0 ]; then
		PG_OWNER=nobody
		chmod 711 "$AM_TMP" # the owner must reach its directory, not list ours
		chown "$PG_OWNER" "$PG_DIR"
	fi
	chmod 700 "$PG_DIR"
	_pg_as test -w "$PG_DIR" ||
		_pg_bail "pg_start: ${PG_OWNER:-this user} cannot write $PG_DIR (set TMPDIR to a directory it can reach)"
	_pg_as "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C \
		--no-sync >"$PG_DIR/initdb.log" 2>&1 || _pg_bail "pg_start: initdb failed"
	# A free port can be taken before the server binds it: try another.
	for _pg_try in 1 2 3; do
		PG_PORT=$(_pg_free_port)
		_pg_ctl_start && break
		PG_PORT=""
	done
	[ -n "$PG_PORT" ] || _pg_bail "pg_start: the server did not start"
	pg_psql postgres "CREATE ROLE authmilter LOGIN CREATEDB" >/dev/null &&
		pg_psql postgres "CREATE DATABASE authmilter OWNER authmilter" >/dev/null ||
		_pg_bail "pg_start: cannot create role and database authmilter"
	PG_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=authmilter user=authmilter"
	export PG_PORT PG_CONNINFO PG_BINDIR
}

pg_stop() {
	_pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >>"$PG_DIR/pg_ctl.log" 2>&1
}

pg_start_again() {
	_pg_ctl_start || _pg_bail "pg_start_again: the server did not start on port $PG_PORT"
}

pg_createdb() {
	pg_psql postgres "CREATE DATABASE \"$1\" OWNER authmilter" >"$PG_DIR/createdb.log" 2>&1 ||
		_pg_bail "pg_createdb $1: $(cat "$PG_DIR/createdb.log")"
	PG_DB_CONNINFO="host=127.0.0.1 port=$PG_PORT dbname=$1 user=authmilter"
}

pg_cleanup() {
	if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
		_pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	fi
}

trap 'pg_cleanup; am_cleanup' EXIT
# A left-over server is worse than a left-over directory: a script whose
# reader went away (SIGPIPE) or whose terminal did (SIGHUP) still stops it.
trap 'exit 1' HUP PIPE

fi
