#!/bin/sh
# valgrind.sh - the daemon under valgrind's memcheck (no invalid access, no
# use of uninitialised memory, no definite leak), driven by the milter
# suite's own scripts: headers and forged Authentication-Results, protocol
# basics (macros, no HELO, aborts, dropped connections), malformed and
# 8-bit input, header limits, DKIM-signed messages (valid, key timing out,
# 100 signatures), DNS faults, load rounds around a SIGHUP reload (valid and
# invalid file). Then SIGTERM: valgrind's exit
# status must be 0 (--error-exitcode=1 --errors-for-leak-kinds=definite);
# its summary is printed as TAP comments. Third-party noise (possible leaks
# of threads still running at exit) is suppressed in valgrind.supp.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/milter/lib.sh"
ml_require
if ! command -v valgrind >/dev/null 2>&1; then
	echo "1..0 # SKIP valgrind is not installed (Debian package valgrind)"
	exit 0
fi
if grep -q __asan_init "$ML_DAEMON"; then
	echo "1..0 # SKIP $ML_DAEMON is built with AddressSanitizer, which valgrind cannot run (that build is the sanitizer run)"
	exit 0
fi
am_tmp
chmod 711 "$AM_TMP"   # the daemon runs as nobody: SIGHUP re-reads the file in here
VGLOG="$AM_TMP/valgrind.log"
ML_WRAP="valgrind --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite
	--suppressions=$ML_DIR/valgrind.supp --num-callers=30 --vgdb=no --log-file=$VGLOG"
ML_START_WAIT=60
ML_TIMEOUT=90
sel=$("$PYTHON3" "$top_srcdir/tests/integration/dkimkeys.py" genkey rsa 1024 "$AM_TMP/rsa.key")
ML_ZONE_EXTRA="sel._domainkey.example.com	TXT	\"$sel\"
slow._domainkey.example.com	TIMEOUT	-
tmo-spf.example	TIMEOUT	-
_dmarc.tmo-spf.example	TXT	\"v=DMARC1; p=reject\"
_dmarc.sfail-pol.example	SERVFAIL	-
trunc-spf.example	TRUNCATED-FOREVER	-
_dmarc.trunc-spf.example	TXT	\"v=DMARC1; p=reject\""
am_plan 29
ml_start

ml_lua "headers: 20 Received, several From headers" headers_many.lua
ml_lua "forged Authentication-Results removed" headers_authres.lua
ml_py "A-R deletions and insert in order" authres_order.py
ml_lua "log injection attempts" logsafe.lua
ml_lua "protocol: missing macros, empty HELO, IPv6, {auth_authen}" macros.lua
ml_py "protocol: no HELO, UNIX-socket client" nohelo.py
ml_lua "aborted at every stage" abort.lua
ml_lua "connections dropped mid-message" disconnect.lua
ml_lua "malformed headers" malformed.lua
ml_lua "8-bit and NUL bytes, 300 KB body line" eightbit.lua "tmp=$AM_TMP"
ml_py "NUL and control bytes in headers, 2000-byte envelope" rawbytes.py
ml_lua "1000, 1001 and 10,000 headers" manyheaders.lua
ml_py "header sections up to 1 MiB, over-size packet" bigheaders.py
ml_py "DKIM: 100 valid signatures, 100 timing out, long domain" dkim100.py "$AM_TMP/rsa.key"
ml_log "log: DKIM-signed message passes DMARC through its signature" DK-100 action=accept \
	dmarc=pass 'dkim~^example\.com:sel:pass'
ml_lua "From headers built to confuse the parser" from_confuse.lua
ml_py "DNS timeout on SPF: tempfail" dnsfaults.py verdict VG-TMO alice@tmo-spf.example \
	203.0.113.7 tempfail
ml_py "DNS SERVFAIL on DMARC: tempfail" dnsfaults.py verdict VG-SFAIL alice@sfail-pol.example \
	203.0.113.7 tempfail
ml_py "DNS answers truncated for ever: tempfail" dnsfaults.py verdict VG-TRUNC \
	alice@trunc-spf.example 203.0.113.7 tempfail
ml_lua "load: 30 messages (accepted, rejected, forged A-R, aborted)" load.lua n=30

# SIGHUP with a valid file (the old configuration and engine are freed once
# no message holds them), then with an invalid one (kept: the current one).
kill -HUP "$ML_PID"
am_ok "SIGHUP: configuration reloaded" ml_waitlog 'reload=ok'
ml_lua "load: 10 messages after the reload" load.lua n=10
cp "$AM_TMP/authmilter.conf" "$AM_TMP/authmilter.conf.good"
echo 'no_such_key = 1;' >> "$AM_TMP/authmilter.conf"
kill -HUP "$ML_PID"
am_ok "SIGHUP with an invalid file: refused, current one kept" ml_waitlog 'reload=failed.*no_such_key'
cp "$AM_TMP/authmilter.conf.good" "$AM_TMP/authmilter.conf"
ml_lua "load: 10 messages after the refused reload" load.lua n=10
am_ok "daemon still running under valgrind" kill -0 "$ML_PID"

ml_stop TERM
sed -n 's/^==[0-9]*== /# /p' "$VGLOG" |
	sed -n '/HEAP SUMMARY/,$p' | grep -v '^# $' | head -60
am_is "valgrind's exit status after SIGTERM (1: memory errors or definite leaks)" "$ML_STATUS" 0
am_like "the daemon stopped cleanly" "$(grep -c 'stop connections_left=0' "$ML_LOG")" '^1$'
am_like "valgrind checked for leaks at exit" \
	"$(grep -cE 'LEAK SUMMARY|All heap blocks were freed' "$VGLOG")" '^[1-9]'
am_like "valgrind: no errors" "$(grep -o 'ERROR SUMMARY: [0-9]* errors' "$VGLOG")" \
	'^ERROR SUMMARY: 0 errors$'
