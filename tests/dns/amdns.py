#!/usr/bin/python3
# amdns.py - a small authoritative-style DNS server for authmilter's tests.
#
# Serves test zones on loopback over UDP and TCP. Answers carry AA and RA, so
# libunbound, forwarding to it with RD=1, sees a recursive-looking answer.
# Queries are parsed by hand (no malformed packet can crash it: FORMERR, or
# dropped when not even the header can be read); replies are packed by dnslib
# (Debian python3-dnslib: run it with /usr/bin/python3, not a pyenv python).
#
# CLI
#   amdns.py --listen HOST:PORT --zone FILE [--zone FILE ...] [--scenario K]
#       serve the union of the zone files on UDP+TCP of HOST:PORT ([::1]:PORT
#       for IPv6; PORT 0 = any free port, see --ready-file)
#   amdns.py --scenarios FILE --base-port PORT [--host 127.0.0.1]
#       4-column file: scenario K served on PORT+K
#   --pidfile FILE     the pid (removed on clean exit)
#   --ready-file FILE  written (atomically) once every socket is bound: one
#                      line "HOST PORT" per listener, "HOST PORT K" per scenario
#   --log FILE         one line per query: NAME TYPE RCODE PROTO PORT [tc];
#                      RCODE is TIMEOUT when nothing is sent, CLOSED when a TCP
#                      connection is dropped, EXCEPTION on a server bug
#   --query-delay S    delay every answer by S seconds (float; a name's DELAY
#                      adds to it)
#   --ttl S            TTL of every record and of negative answers (60)
#   SIGHUP reloads the zone files (a broken file keeps the old data);
#   SIGTERM/SIGINT exit cleanly.
#
# Zone files: one record per line, TAB-separated; "#" lines and blank lines
# are ignored.    name <TAB> type <TAB> rdata
# or, like shared/conformance/spf/rfc7208-zones.tsv,
#                 scenario <TAB> name <TAB> type <TAB> rdata
# (with --zone, the scenario column is ignored unless --scenario K is given).
# Names and types are case-insensitive; trailing dot optional ("." = root).
#   A 192.0.2.1 | AAAA 2001:db8::1 | MX 10 mx.example.com (MX 0 . = null MX)
#   PTR, CNAME, NS   a domain name (NS is plain data: no delegation)
#   TXT, SPF, TXT(gen) (= TXT)   one or more double-quoted strings, each a
#       character-string, C escapes \" \\ \t \n \r \xNN \NNN (octal);
#       rdata that does not start with a quote is one literal string. Cut
#       into 255-byte chunks. (zero-strings) = pyspf's TXT with no string: it
#       is served as one empty string, because a TXT with an empty rdata is
#       malformed (RFC 1035 3.3.14) and libunbound answers SERVFAIL for it.
#   Pseudo-types that make the server misbehave for the name (their rdata is
#   ignored, except DELAY's):
#   TIMEOUT    no answer for any type the name has no record of (the pyspf
#              driver rule the conformance data needs: a name with only TIMEOUT
#              never answers; TXT + TIMEOUT answers TXT and times out SPF)
#   SERVFAIL, REFUSED   that rcode for every query of the name
#   TRUNCATED-FOREVER   UDP: always TC=1; TCP: the connection is closed
#   DELAY      rdata SECONDS (float, 0 < S <= 30; else the file is refused):
#              every answer to a query of the name (records, NODATA, and the
#              above) is sent S seconds late, after --query-delay if any (the
#              two add up); the name's records are served as usual. Each query
#              has its own thread (UDP and TCP), so nothing else waits. At most
#              one value per name.
#   Like the records, pseudo-types hold for the exact name, or for the names
#   that *.<closest encloser> answers when the wildcard carries them.
# A name with any entry exists (NODATA for other types); a name with only
# descendants is an empty non-terminal (NODATA); else the wildcard
# *.<closest encloser> answers if there is one (RFC 4592), else NXDOMAIN.
# Negative answers carry a root SOA. CNAMEs are chased through the data (8
# hops, loops stopped), as an authoritative server does for in-zone targets;
# a chain ending at a missing name is NXDOMAIN (RFC 6604). The chase stops
# before a target that misbehaves for the query type or has a DELAY: the
# answer ends with the CNAME to it (NOERROR), so the resolver asks for the
# target itself and meets the misbehaviour or the delay there (the delay of
# the queried name alone applies to an answer). A query with an EDNS OPT
# gets one back (payload 1232, version 0; other versions: BADVERS).
# A UDP answer larger than min(client payload, 1232), or 512 without EDNS,
# is sent as TC=1 with no records so that the client retries over TCP.
import argparse, os, re, signal, socket, socketserver, struct, sys, threading, time, traceback

from dnslib import (DNSRecord, DNSHeader, DNSQuestion, DNSLabel, RR, QTYPE, RCODE,
                    A, AAAA, MX, PTR, CNAME, NS, TXT, SOA, EDNS0)

EDNS_PAYLOAD = 1232
T_CNAME, T_OPT, T_ANY = 5, 41, 255
PSEUDO = ('TIMEOUT', 'SERVFAIL', 'REFUSED', 'TRUNCATED-FOREVER')
TYPES = {'A': 1, 'NS': 2, 'CNAME': 5, 'PTR': 12, 'MX': 15, 'TXT': 16, 'TXT(GEN)': 16,
         'AAAA': 28, 'SPF': 99}
C_ESC = {b'n': 10, b'r': 13, b't': 9, b'a': 7, b'b': 8, b'f': 12, b'v': 11}
STRING_RE = re.compile(rb'\s*"((?:[^"\\]|\\.)*)"', re.S)
ESCAPE_RE = re.compile(rb'\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)', re.S)


class ZoneError(Exception):
    pass


class FormErr(Exception):
    pass


def name_labels(text, lower):
    """'Example.COM.' -> (b'example', b'com'). Files are read with
    surrogateescape, so any byte survives."""
    text = text.strip()
    if text in ('', '.'):
        return ()
    labels = tuple(l.encode('utf-8', 'surrogateescape') for l in text.rstrip('.').split('.'))
    if any(not l or len(l) > 63 for l in labels) or sum(len(l) + 1 for l in labels) > 254:
        raise ZoneError('bad domain name %r' % text)
    return tuple(l.lower() for l in labels) if lower else labels


def unescape(m):
    e = m.group(1)
    if e[:1] == b'x':
        return bytes([int(e[1:], 16)])
    if e[:1].isdigit():
        return bytes([int(e, 8) & 0xff])
    return bytes([C_ESC.get(e, e[0])])


def txt_strings(rdata):
    """TXT rdata -> list of byte strings, each at most 255 bytes."""
    raw = rdata.strip().encode('utf-8', 'surrogateescape')
    if raw == b'(zero-strings)':
        return [b'']           # see the header: libunbound rejects an empty rdata
    strings, pos = ([], 0) if raw.startswith(b'"') else ([raw], len(raw))
    while pos < len(raw):
        m = STRING_RE.match(raw, pos)
        if not m:
            raise ZoneError('bad quoted strings in %r' % rdata)
        strings.append(ESCAPE_RE.sub(unescape, m.group(1)))
        pos = m.end()
    return [s[k:k + 255] for s in strings for k in range(0, max(len(s), 1), 255)]


def make_rdata(rtype, rdata):
    r = rdata.strip()
    try:
        if rtype in ('A', 'AAAA'):
            fam = socket.AF_INET if rtype == 'A' else socket.AF_INET6
            return (A if rtype == 'A' else AAAA)(tuple(socket.inet_pton(fam, r)))
        if rtype == 'MX':
            pref, host = r.split(None, 1)
            return MX(DNSLabel(name_labels(host, False)), int(pref))
        if rtype in ('PTR', 'CNAME', 'NS'):
            return {'PTR': PTR, 'CNAME': CNAME, 'NS': NS}[rtype](DNSLabel(name_labels(r, False)))
        return TXT(txt_strings(rdata))
    except (OSError, ValueError) as e:
        raise ZoneError('bad %s rdata %r: %s' % (rtype, rdata, e))


def new_node():
    return {'rr': [], 'pseudo': set(), 'delay': 0.0}


def parse_delay(rdata):
    """DELAY rdata -> seconds, a float with 0 < S <= 30."""
    try:
        seconds = float(rdata.strip())
    except ValueError:
        seconds = None
    if seconds is None or not 0 < seconds <= 30:       # nan fails both tests
        raise ZoneError('bad DELAY rdata %r: want seconds, 0 < S <= 30' % rdata)
    return seconds


class Zone:
    """nodes: lowercased labels -> {'rr': [(type, rdata)], 'pseudo': set(),
    'delay': seconds (0.0: none)}; ents: every proper ancestor of a node (root
    included)."""

    def __init__(self):
        self.nodes, self.ents = {}, set()

    def add(self, name, rtype, rdata):
        if rtype not in TYPES and rtype not in PSEUDO and rtype != 'DELAY':
            raise ZoneError('unknown type %r' % rtype)
        key = name_labels(name, True)
        node = self.nodes.setdefault(key, new_node())
        if rtype == 'DELAY':
            seconds = parse_delay(rdata)
            if node['delay'] and node['delay'] != seconds:
                raise ZoneError('second DELAY for %s: %g, was %g' % (name.strip(), seconds, node['delay']))
            node['delay'] = seconds
        elif rtype in PSEUDO:
            node['pseudo'].add(rtype)
        else:
            rr = (TYPES[rtype], make_rdata(rtype, rdata))
            if all((t, d.toZone()) != (rr[0], rr[1].toZone()) for t, d in node['rr']):
                node['rr'].append(rr)        # an RRset has no duplicates
        self.ents.update(key[i:] for i in range(1, len(key) + 1))

    def find(self, key):
        """The node of a name: itself, empty non-terminal, wildcard or None."""
        if key in self.nodes:
            return self.nodes[key]
        if key in self.ents:
            return new_node()
        for i in range(1, len(key) + 1):     # closest encloser, then its '*'
            if key[i:] in self.nodes or key[i:] in self.ents:
                return self.nodes.get((b'*',) + key[i:])
        return None


def load_zones(files, scenario_mode=False, only=None):
    """-> {scenario: Zone} in scenario mode, else one Zone."""
    zones = {}
    for fn in files:
        with open(fn, encoding='utf-8', errors='surrogateescape') as f:
            for num, line in enumerate(f, 1):
                line = line.rstrip('\r\n')
                if not line.strip() or line.lstrip().startswith('#'):
                    continue
                fields, k = line.split('\t', 3), None
                if len(fields) == 4 and fields[0].strip().isdigit():
                    k, fields = int(fields[0]), fields[1:]
                elif scenario_mode:
                    raise ZoneError('%s:%d: expected scenario<TAB>name<TAB>type<TAB>rdata' % (fn, num))
                else:
                    fields = line.split('\t', 2)
                fields[1:2] = [fields[1].strip().upper()] if len(fields) > 1 else []
                if len(fields) == 2 and (fields[1] in PSEUDO or fields[1] == 'DELAY'):
                    fields.append('')                # DELAY then says what it lacks
                if len(fields) != 3:
                    raise ZoneError('%s:%d: expected name<TAB>type<TAB>rdata' % (fn, num))
                if only is not None and k is not None and k != only:
                    continue
                try:
                    zone = zones.setdefault(k if scenario_mode else None, Zone())
                    zone.add(*fields)
                except ZoneError as e:
                    raise ZoneError('%s:%d: %s' % (fn, num, e))
    return zones if scenario_mode else zones.get(None, Zone())


def read_name(data, off):
    """Wire name at off -> (labels, offset after it), following pointers."""
    labels, end, jumps = [], None, 0
    while True:
        if off >= len(data):
            raise FormErr()
        n = data[off]
        if n >= 0xc0:
            if off + 1 >= len(data) or jumps > 32:
                raise FormErr()
            end = off + 2 if end is None else end
            off, jumps = ((n & 0x3f) << 8) | data[off + 1], jumps + 1
        elif n >= 0x40 or off + 1 + n > len(data):
            raise FormErr()
        elif n == 0:
            if sum(len(l) + 1 for l in labels) > 254:
                raise FormErr()
            return tuple(labels), (off + 1 if end is None else end)
        else:
            labels.append(bytes(data[off + 1:off + 1 + n]))
            off += 1 + n


def parse_query(data):
    """-> dict: id, flags, labels, qtype, qclass, edns (payload or None),
    edns_ver, formerr; None for a packet to drop."""
    if len(data) < 12:
        return None
    qid, flags, qd, an, ns, ar = struct.unpack('!6H', data[:12])
    if flags & 0x8000:
        return None                          # a response: never answer those
    q = {'id': qid, 'flags': flags, 'labels': None, 'edns': None, 'edns_ver': 0, 'formerr': True}
    try:
        if qd != 1:
            raise FormErr()
        q['labels'], off = read_name(data, 12)
        if off + 4 > len(data):
            raise FormErr()
        q['qtype'], q['qclass'] = struct.unpack('!HH', data[off:off + 4])
        off += 4
        for i in range(an + ns + ar):
            owner, off = read_name(data, off)
            if off + 10 > len(data):
                raise FormErr()
            rtype, rclass, ttl, rdlen = struct.unpack('!HHIH', data[off:off + 10])
            off += 10 + rdlen
            if off > len(data):
                raise FormErr()
            if rtype == T_OPT:
                if i < an + ns or owner or q['edns'] is not None:
                    raise FormErr()
                q['edns'], q['edns_ver'] = max(rclass, 512), (ttl >> 16) & 0xff
        q['formerr'] = False
    except FormErr:
        pass
    return q


def present(labels):
    """Labels -> presentation format for the log (\\DDD for odd bytes)."""
    return '.'.join(''.join(chr(b) if 33 <= b < 127 and b not in b'.\\' else '\\%03d' % b
                            for b in l) for l in labels) + '.'


def misbehaviour(node, qtype):
    for action in ('TRUNCATED-FOREVER', 'SERVFAIL', 'REFUSED'):
        if action in node['pseudo']:
            return action
    if 'TIMEOUT' in node['pseudo'] and not any(qtype in (t, T_ANY) for t, _ in node['rr']):
        return 'TIMEOUT'
    return None


class Server:
    def __init__(self, args):
        self.args, self.zones, self.log_lock = args, {}, threading.Lock()
        self.logf = open(args.log, 'a', buffering=1) if args.log else None

    def log(self, text):
        if self.logf:
            with self.log_lock:
                self.logf.write(text + '\n')

    def lookup(self, zone, labels, qtype):
        """-> (rcode, answer RRs, misbehaviour or None)"""
        key = tuple(l.lower() for l in labels)
        node = zone.find(key)
        if node is None:
            return 3, [], None
        action = misbehaviour(node, qtype)
        if action:
            return 0, [], action
        owner, answers, seen, ttl = DNSLabel(labels), [], {key}, self.args.ttl
        for hop in range(9):
            cname = [d for t, d in node['rr'] if t == T_CNAME]
            if not cname or qtype in (T_CNAME, T_ANY):
                answers += [RR(owner, t, 1, ttl, d) for t, d in node['rr'] if qtype in (t, T_ANY)]
                break
            answers.append(RR(owner, T_CNAME, 1, ttl, cname[0]))
            owner = cname[0].label
            key = tuple(l.lower() for l in owner.label)
            if key in seen or hop == 8:
                break
            seen.add(key)
            node = zone.find(key)
            if node is None:
                return 3, answers, None
            if misbehaviour(node, qtype) or node['delay']:
                break                         # the resolver will ask for it itself
        return 0, answers, None

    def answer(self, zone, data, proto, port):
        """-> (reply bytes or None, close the TCP connection?)"""
        q = parse_query(data)
        if q is None:
            return None, False
        f = q['flags']
        hdr = DNSHeader(id=q['id'], qr=1, aa=1, ra=1, rd=(f >> 8) & 1, opcode=(f >> 11) & 15,
                        cd=(f >> 4) & 1)
        reply, ext, action, name, tname = DNSRecord(hdr), 0, None, '-', '-'
        delay = self.args.query_delay
        if q['formerr']:
            hdr.rcode = 1
        else:
            name, tname = present(q['labels']), QTYPE[q['qtype']]
            node = zone.find(tuple(l.lower() for l in q['labels']))
            delay += node['delay'] if node else 0.0          # DELAY of the name
            reply.add_question(DNSQuestion(DNSLabel(q['labels']), q['qtype'], q['qclass']))
            if hdr.opcode != 0:
                hdr.rcode = 4
            elif q['edns'] is not None and q['edns_ver'] != 0:
                ext = 1                       # BADVERS (16) = extended rcode 1, rcode 0
            elif q['qclass'] not in (1, 255) or q['qtype'] in (251, 252):
                hdr.rcode = 5                 # no CHAOS, no zone transfers
            else:
                hdr.rcode, answers, action = self.lookup(zone, q['labels'], q['qtype'])
                for rr in answers:
                    reply.add_answer(rr)
                if action in ('SERVFAIL', 'REFUSED'):
                    hdr.rcode = 2 if action == 'SERVFAIL' else 5
                elif not answers or (answers[-1].rtype == T_CNAME and q['qtype'] != T_CNAME):
                    reply.add_auth(RR(DNSLabel(()), QTYPE.SOA, 1, self.args.ttl, SOA(
                        'ns.amdns.', 'hostmaster.amdns.', (1, 3600, 600, 86400, self.args.ttl))))
        if q['edns'] is not None:
            reply.add_ar(EDNS0(udp_len=EDNS_PAYLOAD, ext_rcode=ext))
        if delay:
            time.sleep(delay)                 # this query's own thread: see the handlers
        if action == 'TIMEOUT' or (action == 'TRUNCATED-FOREVER' and proto == 'tcp'):
            self.log('%s %s %s %s %d' % (name, tname, 'TIMEOUT' if action == 'TIMEOUT'
                                         else 'CLOSED', proto, port))
            return None, action != 'TIMEOUT'
        out = reply.pack()
        limit = min(q['edns'], EDNS_PAYLOAD) if q['edns'] else 512
        tc = proto == 'udp' and (len(out) > limit or action == 'TRUNCATED-FOREVER')
        if tc:
            reply.rr, reply.auth, hdr.tc = [], [], 1
            out = reply.pack()
        self.log('%s %s %s %s %d%s' % (name, tname, 'BADVERS' if ext else RCODE[hdr.rcode],
                                       proto, port, ' tc' if tc else ''))
        return out, False

    def handle(self, data, proto, port):
        try:
            return self.answer(self.zones.get(port), data, proto, port)
        except Exception:
            text = traceback.format_exc()
            sys.stderr.write('amdns: exception on port %d:\n%s' % (port, text))
            self.log('- - EXCEPTION %s %d %s' % (proto, port, text.strip().splitlines()[-1]))
            if len(data) < 4:
                return None, False
            qid, flags = struct.unpack('!HH', data[:4])     # SERVFAIL, header only
            return struct.pack('!6H', qid, 0x8482 | (flags & 0x0100), 0, 0, 0, 0), False


def recv_exact(sock, n):
    buf = b''
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


class UDPHandler(socketserver.BaseRequestHandler):
    """One thread per datagram (ThreadingUDPServer): a delayed or TIMEOUT
    answer holds up no other query."""

    def handle(self):
        data, sock = self.request
        out, _ = self.server.amdns.handle(data, 'udp', self.server.server_address[1])
        if out is not None:
            try:
                sock.sendto(out, self.client_address)
            except OSError:
                pass


class TCPHandler(socketserver.BaseRequestHandler):
    """Pipelined: every query gets its own thread, so a TIMEOUT or a delayed
    answer never holds up the others on the same connection."""

    def handle(self):
        sock, port, lock, workers = self.request, self.server.server_address[1], threading.Lock(), []
        sock.settimeout(30)

        def work(msg):
            out, close = self.server.amdns.handle(msg, 'tcp', port)
            with lock:
                try:
                    if close:
                        sock.shutdown(socket.SHUT_RDWR)
                    elif out is not None:
                        sock.sendall(struct.pack('!H', len(out)) + out)
                except OSError:
                    pass

        while True:
            head = recv_exact(sock, 2)
            msg = head and recv_exact(sock, struct.unpack('!H', head)[0])
            if msg is None:
                break
            workers.append(threading.Thread(target=work, args=(msg,), daemon=True))
            workers[-1].start()
        for w in workers:
            w.join()


class UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads, block_on_close, max_packet_size = True, False, 65535


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads, block_on_close, allow_reuse_address = True, False, True
    request_queue_size = 128                 # socketserver's default is 5


def bind_pair(host, port, amdns):
    """UDP and TCP servers on the same port (port 0: a free one)."""
    UDPServer.address_family = TCPServer.address_family = \
        socket.AF_INET6 if ':' in host else socket.AF_INET
    for attempt in range(20):
        udp = UDPServer((host, port), UDPHandler)
        try:
            tcp = TCPServer((host, udp.server_address[1]), TCPHandler)
            break
        except OSError:
            udp.server_close()
            if port != 0 or attempt == 19:
                raise
    udp.amdns = tcp.amdns = amdns
    return udp, tcp


def main():
    ap = argparse.ArgumentParser(description='authoritative-style test DNS server')
    ap.add_argument('--listen', help='HOST:PORT, [::1]:PORT for IPv6, PORT 0 = any')
    ap.add_argument('--zone', action='append', default=[])
    ap.add_argument('--scenario', type=int, help='with --zone: only lines of scenario K')
    ap.add_argument('--scenarios', help='4-column file, scenario K on BASE_PORT+K')
    ap.add_argument('--base-port', type=int)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--pidfile')
    ap.add_argument('--ready-file')
    ap.add_argument('--log')
    ap.add_argument('--query-delay', type=float, default=0.0)
    ap.add_argument('--ttl', type=int, default=60)
    args = ap.parse_args()
    if bool(args.listen) == bool(args.scenarios) or (args.listen and not args.zone) \
            or (args.scenarios and args.base_port is None):
        ap.error('use --listen HOST:PORT --zone FILE... or --scenarios FILE --base-port PORT')

    def load():
        if args.scenarios:
            return load_zones([args.scenarios], scenario_mode=True)
        return load_zones(args.zone, only=args.scenario)

    amdns, servers, ready, ports = Server(args), [], [], {}
    try:
        data = load()
        if args.scenarios:
            plan = [(args.host, args.base_port + k, k) for k in sorted(data)]
        else:
            host, _, port = args.listen.rpartition(':')
            plan = [(host.strip('[]'), int(port), None)]
        for host, port, k in plan:
            udp, tcp = bind_pair(host, port, amdns)
            port = udp.server_address[1]
            ports[port] = k
            amdns.zones[port] = data[k] if args.scenarios else data
            servers += [udp, tcp]
            ready.append('%s %d%s' % (host, port, '' if k is None else ' %d' % k))
    except (ZoneError, OSError, ValueError) as e:
        sys.stderr.write('amdns: %s\n' % e)
        return 1

    stop, hup = threading.Event(), threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: hup.set())
    for s in servers:
        threading.Thread(target=s.serve_forever, args=(0.2,), daemon=True).start()
    for path, text in ((args.pidfile, '%d\n' % os.getpid()), (args.ready_file, '\n'.join(ready) + '\n')):
        if path:
            with open(path + '.tmp', 'w') as f:
                f.write(text)
            os.rename(path + '.tmp', path)
    while not stop.wait(0.2):
        if hup.is_set():
            hup.clear()
            try:
                data = load()
                amdns.zones = {p: data.get(k, Zone()) if args.scenarios else data
                               for p, k in ports.items()}
                sys.stderr.write('amdns: zones reloaded\n')
            except (ZoneError, OSError) as e:
                sys.stderr.write('amdns: reload failed, old zones kept: %s\n' % e)
    stoppers = [threading.Thread(target=s.shutdown) for s in servers]   # in parallel:
    for t in stoppers:                                                  # each waits up
        t.start()                                                       # to 0.2 s
    for t, s in zip(stoppers, servers):
        t.join()
        s.server_close()
    for path in (args.pidfile, args.ready_file):
        if path and os.path.exists(path):
            os.unlink(path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
