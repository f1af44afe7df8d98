#!/bin/sh
# test_amdns.sh - self-test of tests/dns/amdns.py, the test DNS server.
#
# Starts amdns.py on a free loopback port (--listen 127.0.0.1:0, the port is
# read from the ready file) with a small zone, queries it over UDP and TCP
# with dnslib's client (no dig needed) and prints one "ok N - ..." or
# "not ok N - ..." line per check. Then serves the whole SPF conformance zone
# file (shared/conformance/spf/rfc7208-zones.tsv, one port per scenario) and
# queries every name of every scenario for 7 types, comparing the number of
# records (or the timeout) with the file. DELAY is timed with the same client
# (the clock runs inside the client, around the exchange only), alone, beside
# --query-delay and beside prompt queries; bad DELAY data must be refused at
# load. Any traceback from the server is a failure. TAP, with the plan last. Exit status: 0 all passed (or skipped:
# no dnslib), 1 a failure.
#
# Environment: PYTHON (a python3 with dnslib; default: the first of python3,
# /usr/bin/python3 that has it), CONFORMANCE_DIR (default ../shared/conformance
# relative to the repository).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
AMDNS="$here/amdns.py"

PY=
for p in ${PYTHON3:-} ${PYTHON:-} /usr/bin/python3 python3; do
	if "$p" -c 'import dnslib' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
	echo "1..0 # SKIP no python3 with dnslib (Debian package python3-dnslib)"
	exit 0
fi

T=$(mktemp -d)
SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && echo "#   $2"; }

# start_server NAME ARGS... : starts amdns.py in the background, waits for the
# ready file; sets SRV_PID and PORT (first port of the ready file).
start_server() {
	name=$1; shift
	rm -f "$T/$name.ready"
	"$PY" "$AMDNS" --ready-file "$T/$name.ready" --pidfile "$T/$name.pid" \
		--log "$T/$name.log" "$@" 2>>"$T/$name.err" &
	SRV_PID=$!
	i=0
	while [ ! -s "$T/$name.ready" ]; do
		kill -0 "$SRV_PID" 2>/dev/null || { SRV_PID=; return 1; }
		i=$((i + 1)); [ $i -gt 100 ] && return 1
		sleep 0.1
	done
	PORT=$(head -n 1 "$T/$name.ready" | cut -d' ' -f2)
}

# stop_server NAME: SIGTERM, expect a clean exit and the pid file removed.
stop_server() {
	kill -TERM "$SRV_PID"
	if wait "$SRV_PID" && [ ! -e "$T/$1.pid" ]; then ok "$1: SIGTERM exits cleanly"
	else notok "$1: SIGTERM exits cleanly"; fi
	SRV_PID=
}

# q PROTO NAME TYPE [EDNS_PAYLOAD [EDNS_VERSION]] -> one line:
# RCODE flags [edns=N] [ext=N] [soa] | owner TYPE rdata | ...  or TIMEOUT;
# with QTIME=1 in the environment, " @SECONDS" (the exchange alone) ends it.
QUERY='
import json, os, socket, sys, time
from dnslib import DNSRecord, DNSQuestion, DNSLabel, EDNS0, QTYPE, RCODE
port, proto, name, qtype = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
labels = tuple(l.encode() for l in name.rstrip(".").split(".")) if name != "." else ()
q = DNSRecord(q=DNSQuestion(DNSLabel(labels), getattr(QTYPE, qtype)))
if len(sys.argv) > 5:
    q.add_ar(EDNS0(udp_len=int(sys.argv[5]), version=int(sys.argv[6]) if len(sys.argv) > 6 else 0))
def say(*words):
    if os.environ.get("QTIME"):
        words += ("@%.3f" % (time.monotonic() - t0),)
    print(*words)
t0 = time.monotonic()
try:
    r = DNSRecord.parse(q.send("127.0.0.1", port, tcp=proto == "tcp",
                               timeout=float(os.environ.get("QTIMEOUT", "3"))))
except socket.timeout:
    sys.exit(say("TIMEOUT"))
except Exception as e:
    sys.exit(say("ERROR", type(e).__name__))
def txt(s):
    return json.dumps(s.decode("latin-1")) if len(s) <= 40 else "\"%s...\"(%d)" % (s[:6].decode(), len(s))
h = r.header
out = [RCODE[h.rcode]] + [f for f in ("aa", "tc", "ra") if getattr(h, f)]
out += ["edns=%d" % a.rclass + (" ext=%d" % a.edns_rcode if a.edns_rcode else "") for a in r.ar if a.rtype == 41]
out += ["soa" for a in r.auth if a.rtype == 6]
for rr in r.rr:
    if rr.rtype in (16, 99):     # dnslib gives "" for an empty rdata
        rd = " ".join(map(txt, rr.rdata.data)) if rr.rdata else "(zero-strings)"
    else:
        rd = rr.rdata.toZone()
    out.append("| %s %s %s" % (rr.rname, QTYPE[rr.rtype], rd))
say(" ".join(out))
'
q() { "$PY" -c "$QUERY" "$PORT" "$@"; }

# check DESCRIPTION EXPECTED PROTO NAME TYPE [EDNS...]
check() {
	desc=$1 want=$2; shift 2
	got=$(q "$@")
	if [ "$got" = "$want" ]; then ok "$desc"; else notok "$desc" "got: $got | want: $want"; fi
}

# check_time DESCRIPTION EXPECTED MIN MAX PROTO NAME TYPE [EDNS...]: the answer
# is EXPECTED and took at least MIN seconds, less than MAX.
check_time() {
	desc=$1 want=$2 lo=$3 hi=$4; shift 4
	got=$(QTIME=1 q "$@")
	secs=${got##* @} got=${got% @*}
	if [ "$got" = "$want" ] && awk -v s="$secs" -v lo="$lo" -v hi="$hi" \
		'BEGIN { exit !(s ~ /^[0-9.]+$/ && s + 0 >= lo && s + 0 < hi) }'; then
		ok "$desc (${secs}s)"
	else
		notok "$desc" "got: $got after ${secs}s | want: $want after [$lo, $hi) s"
	fi
}

# ---- 1. the small zone ----
long=$(printf '%0650d' 0)
huge=$(printf '%01300d' 0)
{
	printf '# test zone\n\n'
	printf 'example.test\tA\t192.0.2.1\n'
	printf 'example.test.\tAAAA\t2001:db8::1\n'
	printf 'Example.Test\tMX\t10 mx.example.test\n'
	printf 'example.test\tMX\t20 mx2.example.test.\n'
	printf 'example.test\tTXT\t"v=spf1 -all" "second \\"q\\"\\t\\x41\\102"\n'
	printf 'long.example.test\tTXT\t"%s"\n' "$long"
	printf 'huge.example.test\tTXT\t%s\n' "$huge"
	printf 'www.example.test\tCNAME\talias.example.test\n'
	printf 'alias.example.test\tCNAME\texample.test.\n'
	printf 'dangling.example.test\tCNAME\tnowhere.example.test\n'
	printf 'loop1.example.test\tCNAME\tloop2.example.test\n'
	printf 'loop2.example.test\tCNAME\tloop1.example.test\n'
	printf '*.wild.example.test\tA\t192.0.2.99\n'
	printf 'real.wild.example.test\tTXT\t"real"\n'
	printf 'slow.example.test\tTIMEOUT\t-\n'
	printf 'txtonly.example.test\tTXT\t"v=spf1 -all"\n'
	printf 'txtonly.example.test\tTIMEOUT\t-\n'
	printf 'broken.example.test\tSERVFAIL\t-\n'
	printf 'refused.example.test\tREFUSED\n'
	printf 'tc.example.test\tTRUNCATED-FOREVER\t-\n'
	printf 'leaf.ent.example.test\tA\t192.0.2.7\n'
	printf '4.2.0.192.in-addr.arpa\tPTR\texample.test.\n'
	printf 'empty.example.test\tTXT\t(zero-strings)\n'
	printf 'delayed.example.test\tTXT\t"v=spf1 -all"\n'
	printf 'delayed.example.test\tdelay\t0.5\n'
	printf 'to-delayed.example.test\tCNAME\tdelayed.example.test\n'
	printf 'dcname.example.test\tCNAME\texample.test\n'
	printf 'dcname.example.test\tDELAY\t 0.5\n'
	printf '*.dwild.example.test\tA\t192.0.2.98\n'
	printf '*.dwild.example.test\tDELAY\t5e-1\n'
	printf 'real.dwild.example.test\tTXT\t"real"\n'
} >"$T/zone.tsv"

if start_server small --listen 127.0.0.1:0 --zone "$T/zone.tsv"; then
	ok "server starts on 127.0.0.1:$PORT"
else
	notok "server starts" "$(cat "$T/small.err")"; exit 1
fi
check "A over UDP" "NOERROR aa ra | example.test. A 192.0.2.1" udp example.test A
check "A over TCP, name case kept" "NOERROR aa ra | EXAMPLE.test. A 192.0.2.1" tcp EXAMPLE.test A
check "AAAA" "NOERROR aa ra | example.test. AAAA 2001:db8::1" udp example.test AAAA
check "MX" "NOERROR aa ra | example.test. MX 10 mx.example.test. | example.test. MX 20 mx2.example.test." udp example.test MX
check "TXT, two strings, C escapes" \
	'NOERROR aa ra | example.test. TXT "v=spf1 -all" "second \"q\"\tAB"' udp example.test TXT
check "TXT (zero-strings) is one empty string" 'NOERROR aa ra | empty.example.test. TXT ""' udp empty.example.test TXT
check "PTR" "NOERROR aa ra | 4.2.0.192.in-addr.arpa. PTR example.test." udp 4.2.0.192.in-addr.arpa PTR
check "NODATA has SOA" "NOERROR aa ra soa" udp example.test PTR
check "NXDOMAIN has SOA" "NXDOMAIN aa ra soa" udp nope.example.test A
check "empty non-terminal is NODATA" "NOERROR aa ra soa" udp ent.example.test A
check "below a leaf is NXDOMAIN" "NXDOMAIN aa ra soa" udp x.leaf.ent.example.test A
check "EDNS query gets OPT 1232" "NOERROR aa ra edns=1232 | example.test. A 192.0.2.1" udp example.test A 4096
check "EDNS version 1 gets BADVERS" "NOERROR aa ra edns=1232 ext=1" udp example.test A 4096 1
LT='| long.example.test. TXT "000000..."(255) "000000..."(255) "000000..."(140)'
check "650-byte TXT over UDP: TC, no records" "NOERROR aa tc ra" udp long.example.test TXT
check "650-byte TXT over TCP" "NOERROR aa ra $LT" tcp long.example.test TXT
check "650-byte TXT over UDP with EDNS 1232" "NOERROR aa ra edns=1232 $LT" udp long.example.test TXT 1232
check "650-byte TXT over UDP with EDNS 600: TC" "NOERROR aa tc ra edns=1232" udp long.example.test TXT 600
check "1300-byte unquoted TXT, EDNS 4096: TC (cap 1232)" "NOERROR aa tc ra edns=1232" udp huge.example.test TXT 4096
check "1300-byte unquoted TXT over TCP: 6 chunks" \
	"NOERROR aa ra | huge.example.test. TXT$(printf ' "000000..."(255)%.0s' 1 2 3 4 5) \"$(printf '%025d' 0)\"" \
	tcp huge.example.test TXT
check "CNAME chain chased" "NOERROR aa ra | www.example.test. CNAME alias.example.test. | alias.example.test. CNAME example.test. | example.test. A 192.0.2.1" udp www.example.test A
check "CNAME chain to NODATA" "NOERROR aa ra soa | www.example.test. CNAME alias.example.test. | alias.example.test. CNAME example.test." udp www.example.test PTR
check "CNAME query not chased" "NOERROR aa ra | www.example.test. CNAME alias.example.test." udp www.example.test CNAME
check "dangling CNAME is NXDOMAIN" "NXDOMAIN aa ra soa | dangling.example.test. CNAME nowhere.example.test." udp dangling.example.test A
check "CNAME loop stops" "NOERROR aa ra soa | loop1.example.test. CNAME loop2.example.test. | loop2.example.test. CNAME loop1.example.test." udp loop1.example.test A
check "wildcard" "NOERROR aa ra | x.wild.example.test. A 192.0.2.99" udp x.wild.example.test A
check "wildcard, two labels deep" "NOERROR aa ra | a.b.wild.example.test. A 192.0.2.99" udp a.b.wild.example.test A
check "existing name beats wildcard" "NOERROR aa ra soa" udp real.wild.example.test A
check "SERVFAIL" "SERVFAIL aa ra" udp broken.example.test A
check "REFUSED" "REFUSED aa ra" tcp refused.example.test TXT
check "TRUNCATED-FOREVER over UDP" "NOERROR aa tc ra" udp tc.example.test A
check "TRUNCATED-FOREVER over TCP closes" "ERROR error" tcp tc.example.test A
export QTIMEOUT=1
check "TIMEOUT over UDP" "TIMEOUT" udp slow.example.test A
check "TIMEOUT over TCP" "TIMEOUT" tcp slow.example.test TXT
check "TXT+TIMEOUT: SPF times out" "TIMEOUT" udp txtonly.example.test SPF
unset QTIMEOUT
check "TXT+TIMEOUT: TXT answered" 'NOERROR aa ra | txtonly.example.test. TXT "v=spf1 -all"' udp txtonly.example.test TXT

# DELAY 0.5: not a moment before, slack above only (timed inside the client)
check_time "DELAY: TXT answered after 0.5 s (UDP)" \
	'NOERROR aa ra | delayed.example.test. TXT "v=spf1 -all"' 0.5 2 udp delayed.example.test TXT
check_time "DELAY: TXT answered after 0.5 s (TCP)" \
	'NOERROR aa ra | delayed.example.test. TXT "v=spf1 -all"' 0.5 2 tcp delayed.example.test TXT
check_time "DELAY: NODATA after 0.5 s too" "NOERROR aa ra soa" 0.5 2 udp delayed.example.test A
check_time "no DELAY: same zone answers at once" "NOERROR aa ra | example.test. A 192.0.2.1" 0 0.5 udp example.test A
check_time "DELAY of a CNAME owner: whole chain after 0.5 s" \
	"NOERROR aa ra | dcname.example.test. CNAME example.test. | example.test. A 192.0.2.1" 0.5 2 udp dcname.example.test A
check_time "CNAME to a DELAY name: chase stops, CNAME at once" \
	"NOERROR aa ra soa | to-delayed.example.test. CNAME delayed.example.test." 0 0.5 udp to-delayed.example.test TXT
check_time "DELAY on a wildcard: its answers after 0.5 s" \
	"NOERROR aa ra | x.dwild.example.test. A 192.0.2.98" 0.5 2 tcp x.dwild.example.test A
check_time "DELAY on a wildcard: an existing name below it at once" \
	'NOERROR aa ra | real.dwild.example.test. TXT "real"' 0 0.5 udp real.dwild.example.test TXT

# DELAY holds up nothing else: 4 delayed UDP queries and a prompt one at
# once, then a delayed and a prompt query pipelined on one TCP connection.
res=$("$PY" - "$PORT" <<'EOF' 2>&1
import socket, struct, sys, threading, time
from dnslib import DNSRecord
port, out, S = int(sys.argv[1]), [], 0.5
def udp(name, qtype, res):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
    t0 = time.monotonic()
    s.sendto(DNSRecord.question(name, qtype).pack(), ("127.0.0.1", port))
    try: r = DNSRecord.parse(s.recvfrom(65535)[0])
    except socket.timeout: r = None
    res.append((time.monotonic(), time.monotonic() - t0, r and [str(a.rdata) for a in r.rr]))
    s.close()
slow, fast = [], []
t0 = time.monotonic()
threads = [threading.Thread(target=udp, args=("delayed.example.test", "TXT", slow)) for _ in range(4)]
threads.append(threading.Thread(target=udp, args=("example.test", "A", fast)))
for t in threads: t.start()
for t in threads: t.join()
wall = time.monotonic() - t0
out.append("udp-delayed:%s" % ("ok" if len(slow) == 4 and all(
    r == ['"v=spf1 -all"'] and el >= S for _, el, r in slow) else slow))
out.append("udp-prompt:%s" % ("ok" if fast and fast[0][2] == ["192.0.2.1"] and fast[0][1] < S and
                              fast[0][0] < min(end for end, _, _ in slow) else fast))
out.append("udp-parallel:%s" % ("ok" if wall < 3 * S else "%.3f" % wall))   # in turn: 4 * S
s = socket.create_connection(("127.0.0.1", port), timeout=3)
t0 = time.monotonic()
for name, qtype in (("delayed.example.test", "TXT"), ("example.test", "A")):
    p = DNSRecord.question(name, qtype).pack()
    s.sendall(struct.pack("!H", len(p)) + p)
got = []
for _ in range(2):
    ln = struct.unpack("!H", s.recv(2, socket.MSG_WAITALL))[0]
    r = DNSRecord.parse(s.recv(ln, socket.MSG_WAITALL))
    got.append((str(r.q.qname), time.monotonic() - t0))
s.close()
out.append("tcp-order:%s" % " ".join(n for n, _ in got))
out.append("tcp-times:%s" % ("ok" if got[0][1] < S <= got[1][1] else got))
print(" ".join(out))
EOF
)
want="udp-delayed:ok udp-prompt:ok udp-parallel:ok tcp-order:example.test. delayed.example.test. tcp-times:ok"
if [ "$res" = "$want" ]; then ok "DELAY holds up no other query (UDP, TCP pipelined)"
else notok "DELAY holds up no other query (UDP, TCP pipelined)" "got: $res"; fi

# Robustness and concurrency, with raw sockets.
res=$("$PY" - "$PORT" <<'EOF' 2>&1
import random, socket, struct, sys, threading, time
from dnslib import DNSRecord
port, out = int(sys.argv[1]), []
def udp(pkt, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(timeout)
    s.sendto(pkt, ("127.0.0.1", port))
    try: return s.recvfrom(65535)[0]
    except socket.timeout: return None
    finally: s.close()
# a TIMEOUT query does not hold up another one
slow = threading.Thread(target=udp, args=(DNSRecord.question("slow.example.test").pack(), 1.5), daemon=True)
slow.start(); t0 = time.time()
r = udp(DNSRecord.question("example.test").pack())
out.append("concurrent:%s" % ("ok" if r and time.time() - t0 < 1 else "late"))
out.append("short:%s" % ("dropped" if udp(b"\x12\x34\x01") is None else "answered"))
r = udp(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07exa")
out.append("formerr:%s" % (r and DNSRecord.parse(r).header.rcode))
out.append("response-dropped:%s" % (udp(b"\x12\x34\x81\x80" + b"\x00" * 8, 0.3) is None))
rnd, junk = random.Random(7), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(500):                   # mutated, cut and random packets
    base = bytearray(DNSRecord.question("example.test", "TXT").pack())
    for _ in range(rnd.randint(1, 6)):
        base[rnd.randrange(len(base))] = rnd.randrange(256)
    junk.sendto(bytes(base[:rnd.randrange(len(base) + 1)]) if i % 3 == 0 else bytes(base), ("127.0.0.1", port))
    junk.sendto(bytes(rnd.randrange(256) for _ in range(rnd.randrange(40))), ("127.0.0.1", port))
    time.sleep(0.001)
junk.close()
# TCP: pipelining past a TIMEOUT query, then garbage
s = socket.create_connection(("127.0.0.1", port), timeout=2)
for name in ("slow.example.test", "example.test"):
    p = DNSRecord.question(name).pack(); s.sendall(struct.pack("!H", len(p)) + p)
ln = struct.unpack("!H", s.recv(2))[0]; r = DNSRecord.parse(s.recv(ln))
out.append("tcp-pipelined:%s" % r.q.qname)
s.sendall(b"\x00\x05abcde\x00"); s.close()
time.sleep(0.2)
r = udp(DNSRecord.question("example.test").pack())
out.append("alive:%s" % (r is not None))
print(" ".join(out))
EOF
)
want="concurrent:ok short:dropped formerr:1 response-dropped:True tcp-pipelined:example.test. alive:True"
if [ "$res" = "$want" ]; then ok "malformed/fuzzed queries, concurrency, TCP pipelining"
else notok "malformed/fuzzed queries, concurrency, TCP pipelining" "got: $res"; fi

# SIGHUP reload; a broken file keeps the old zone
printf 'example.test\tA\t192.0.2.2\n' >"$T/zone.tsv"
kill -HUP "$SRV_PID"; sleep 0.5
check "SIGHUP reloads" "NOERROR aa ra | example.test. A 192.0.2.2" udp example.test A
printf 'example.test\tBOGUS\tx\n' >"$T/zone.tsv"
kill -HUP "$SRV_PID"; sleep 0.5
check "broken reload keeps old zone" "NOERROR aa ra | example.test. A 192.0.2.2" udp example.test A
if grep -q '^example.test. A NOERROR udp' "$T/small.log" && grep -q '^slow.example.test. A TIMEOUT udp' "$T/small.log" &&
	grep -q '^long.example.test. TXT NOERROR udp [0-9]* tc$' "$T/small.log" &&
	grep -q '^delayed.example.test. A NOERROR udp' "$T/small.log"; then
	ok "query log"
else
	notok "query log" "$(tail -3 "$T/small.log")"
fi
stop_server small
if grep -q Traceback "$T/small.err"; then notok "no traceback (small zone)" "$(cat "$T/small.err")"
else ok "no traceback (small zone)"; fi

# ---- 2. DELAY with --query-delay; bad DELAY data ----
printf 'd.example.test\tTXT\t"d"\nd.example.test\tDELAY\t0.5\nf.example.test\tTXT\t"f"\n' >"$T/delay.tsv"
if start_server qdelay --listen 127.0.0.1:0 --zone "$T/delay.tsv" --query-delay 0.3; then
	check_time "DELAY 0.5 + --query-delay 0.3: 0.8 s" 'NOERROR aa ra | d.example.test. TXT "d"' 0.8 2.3 udp d.example.test TXT
	check_time "--query-delay 0.3 alone elsewhere" 'NOERROR aa ra | f.example.test. TXT "f"' 0.3 0.8 tcp f.example.test TXT
	stop_server qdelay
	if grep -q Traceback "$T/qdelay.err"; then notok "no traceback (DELAY + --query-delay)" "$(cat "$T/qdelay.err")"
	else ok "no traceback (DELAY + --query-delay)"; fi
else
	notok "server starts with --query-delay" "$(cat "$T/qdelay.err")"
fi

# load_delay LINE2 LINE3: amdns.py on a 3-line file -> its stderr. The zone
# is read before any socket is bound, and 192.0.2.1 (TEST-NET-1) is no local
# address: a file that loads makes it exit at once on "Cannot assign
# requested address" instead of serving.
load_delay() {
	printf '# DELAY data\n%s\n%s\n' "$1" "$2" >"$T/bad.tsv"
	"$PY" "$AMDNS" --listen 192.0.2.1:0 --zone "$T/bad.tsv" 2>&1 >/dev/null
}
tab=$(printf '\t')
bad=
for v in abc 0 -0.1 30.01 nan inf 0x1 1s ''; do
	err=$(load_delay "ok.example.test${tab}A${tab}192.0.2.1" "bad.example.test${tab}DELAY${tab}$v")
	case $err in "amdns: $T/bad.tsv:3: bad DELAY rdata "*) ;; *) bad="$bad [$v] $err" ;; esac
done
err=$(load_delay "ok.example.test${tab}A${tab}192.0.2.1" "bad.example.test${tab}DELAY")
case $err in "amdns: $T/bad.tsv:3: bad DELAY rdata "*) ;; *) bad="$bad [no rdata] $err" ;; esac
if [ -z "$bad" ]; then ok "bad DELAY rdata refused at load, on its line (abc 0 -0.1 30.01 nan inf 0x1 1s, empty, none)"
else notok "bad DELAY rdata refused at load, on its line" "$bad"; fi
err=$(load_delay "two.example.test${tab}DELAY${tab}1" "Two.example.test.${tab}DELAY${tab}2")
case $err in "amdns: $T/bad.tsv:3: second DELAY"*) ok "a second DELAY value for a name refused" ;;
*) notok "a second DELAY value for a name refused" "$err" ;; esac
err=$(load_delay "max.example.test${tab}DELAY${tab}30" "min.example.test${tab}DELAY${tab}0.001")
case $err in *"Errno"*) ok "DELAY 30 and 0.001 load" ;; *) notok "DELAY 30 and 0.001 load" "$err" ;; esac

# ---- 3. the SPF conformance zones, one port per scenario ----
CONF=${CONFORMANCE_DIR:-$top/../shared/conformance}
ZONES="$CONF/spf/rfc7208-zones.tsv"
start_conf() {      # a random base port, 5 tries
	for _ in 1 2 3 4 5; do
		base=$(( $(od -An -N2 -tu2 /dev/urandom) % 30000 + 20000 ))
		start_server conf --scenarios "$ZONES" --base-port "$base" && return 0
	done
	return 1
}
if [ ! -r "$ZONES" ]; then
	echo "skipped: conformance data not found"
elif ! start_conf; then
	notok "rfc7208-zones.tsv served" "$(cat "$T/conf.err")"
else
	ok "all scenarios of rfc7208-zones.tsv served ($(wc -l <"$T/conf.ready") ports from $base)"
	res=$("$PY" - "$ZONES" "$base" <<'EOF' 2>&1
import socket, sys
from concurrent.futures import ThreadPoolExecutor
from dnslib import DNSRecord, DNSQuestion, DNSLabel, QTYPE
zones, base, wanted = sys.argv[1], int(sys.argv[2]), {int(k) for k in sys.argv[3:]}  # none: all
names = {}
for line in open(zones, encoding="utf-8", errors="surrogateescape"):
    if line.startswith("#") or not line.strip():
        continue
    k, name, typ, rdata = line.rstrip("\n").split("\t", 3)
    if not wanted or int(k) in wanted:
        typ = "TXT" if typ == "TXT(gen)" else typ
        names.setdefault((int(k), name.lower().rstrip(".")), {}).setdefault(typ, set()).add(rdata)
def one(job):
    (k, name), types, typ = job
    labels = tuple(l.encode("utf-8", "surrogateescape") for l in name.split("."))
    q = DNSRecord(q=DNSQuestion(DNSLabel(labels), getattr(QTYPE, typ)))
    want = len(types.get(typ, ())) if typ in types or "TIMEOUT" not in types else None
    try:
        r = DNSRecord.parse(q.send("127.0.0.1", base + k, tcp=True, timeout=0.5))
        got = len([a for a in r.rr if a.rtype == getattr(QTYPE, typ)])
        if "CNAME" in types and typ != "CNAME":
            got = want                  # chased: the target's records count
        if r.header.rcode != 0 or got != want:
            bad.append("%d %s %s: rcode %d, %d records, want %s" % (k, name, typ, r.header.rcode, got, want))
    except socket.timeout:
        if want is not None:
            bad.append("%d %s %s: timeout" % (k, name, typ))
    except Exception as e:
        bad.append("%d %s %s: %r" % (k, name, typ, e))
bad, jobs = [], [(key, types, typ) for key, types in sorted(names.items())
                 for typ in ("A", "AAAA", "MX", "PTR", "CNAME", "TXT", "SPF")]
with ThreadPoolExecutor(16) as pool:
    list(pool.map(one, jobs))
print("%d queries" % len(jobs) if not bad else "\n".join(sorted(bad)))
EOF
)
	case $res in
	*" queries") ok "every name of every scenario (1 and 2 included) answers as the data says ($res)" ;;
	*) notok "every name of every scenario answers as the data says" "$(echo "$res" | head -5)" ;;
	esac
	PORT=$((base + 1)) QTIMEOUT=1
	export QTIMEOUT
	check "scenario 1 is on base+1: example.com times out" "TIMEOUT" udp example.com A
	unset QTIMEOUT
	stop_server conf
	if grep -q Traceback "$T/conf.err" || grep -q EXCEPTION "$T/conf.log"; then
		notok "no traceback (conformance zones)" "$(grep -A3 Traceback "$T/conf.err" | head -8)"
	else
		ok "no traceback (conformance zones)"
	fi
fi

echo "# $((n - fails)) of $n passed"
echo "1..$n"
[ $fails -eq 0 ]
