#!/usr/bin/python3
"""build_seeds - write the fuzz targets' seed corpora into OUTDIR/<target>/

Usage: build_seeds.py OUTDIR
       build_seeds.py --milter-named DIR

Seeds come from, in this order: the hand-written seeds in tests/fuzz/seeds/,
the third-party conformance data read in place from $CONFORMANCE_DIR (never
copied into the repository; skipped when absent), and the project's own
sample messages. fuzz_engine seeds are messages signed here, at build time,
with the test keys in tests/fuzz/keys/ (whose public halves are in
fuzz_dns.c), wrapped in the input layout fuzz_engine.c describes.
fuzz_milter seeds are the same messages as milter conversations (what
Postfix sends: negotiation, macros, connect, HELO, MAIL, headers, body, end
of message, quit) in the layout fuzz_milter.c describes, plus variants
(abort, QUIT_NC and a new connection, other negotiations and clients,
protocol errors). --milter-named writes the named conversations of
milter_named() as DIR/NAME; tests/fuzz/seeds/milter/ holds a copy made so,
which make check replays (their DKIM signatures stay valid: no expiry).
"""
import base64
import hashlib
import json
import os
import random
import re
import struct
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
CONF = os.environ.get("CONFORMANCE_DIR") or os.path.join(SRCDIR, "..", "shared", "conformance")
TARGETS = ["from", "authres_id", "dmarc_record", "config", "authres_format", "spf", "engine",
           "milter"]


class Seeds:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = {}
        for t in TARGETS:
            os.makedirs(os.path.join(outdir, t), exist_ok=True)

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        name = hashlib.sha1(data).hexdigest()
        with open(os.path.join(self.outdir, target, name), "wb") as f:
            f.write(data)
        self.count[target] = self.count.get(target, 0) + 1


def conf(*parts):
    p = os.path.join(CONF, *parts)
    return p if os.path.exists(p) else None


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def c_unescape(s):
    """A C-escaped string (as in the conformance TSV files) as bytes."""
    warnings.simplefilter("ignore", DeprecationWarning)  # "\;" stays as is
    return s.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1")


def hand_written(seeds):
    base = os.path.join(HERE, "seeds")
    for t in TARGETS:
        d = os.path.join(base, t)
        if os.path.isdir(d):
            for n in sorted(os.listdir(d)):
                seeds.add(t, read(os.path.join(d, n), "rb"))


def header_values(msg, name):
    """The values of every field called name in a raw message (bytes)."""
    head = re.split(rb"\r?\n\r?\n", msg, maxsplit=1)[0]
    out = []
    for m in re.finditer(rb"(?im)^" + re.escape(name) + rb":(.*(?:\r?\n[ \t].*)*)", head):
        out.append(m.group(1).rstrip(b"\r"))
    return out


def from_seeds(seeds, messages):
    p = conf("dmarc", "opendmarc-alignment-tld-finddomain.tsv")
    if p:
        for line in read(p).splitlines():
            f = line.split("\t")
            if len(f) > 2 and f[0].startswith("util_finddomain"):
                v = f[2]
                seeds.add("from", v.split(":", 1)[1] if v.lower().startswith("from:") else v)
    for msg in messages:
        for v in header_values(msg, b"From"):
            seeds.add("from", v)


def authres_seeds(seeds, messages):
    p = conf("authres", "ar-vectors.jsonl")
    if p:
        for line in read(p).splitlines():
            h = json.loads(line)["header"]
            v = h.split(":", 1)[1] if ":" in h else h
            seeds.add("authres_id", v)
            seeds.add("authres_id", v.encode() + b"\0" + b"example.com")
    for msg in messages:
        for v in header_values(msg, b"Authentication-Results"):
            seeds.add("authres_id", v)


def dmarc_seeds(seeds):
    p = conf("dmarc", "dmarc-record-cases.tsv")
    if p:
        for line in read(p).splitlines():
            if line.startswith("#"):
                continue
            f = line.split("\t")
            if len(f) > 1:
                seeds.add("dmarc_record", c_unescape(f[1]))
    p = conf("dmarc", "mail-dmarc-realworld-records.txt")
    if p:
        for line in read(p).splitlines():
            seeds.add("dmarc_record", re.sub(r"^domain=[^;]*;", "", line))
    p = conf("dmarc", "dmarc-eval-scenarios.tsv")
    if p:
        for rec in re.findall(r"v=DMARC1[^\t]*", read(p)):
            seeds.add("dmarc_record", rec)


def spf_seeds(seeds):
    ips = ["192.0.2.25", "1.2.3.4", "2001:db8::25", "::ffff:1.2.3.4", "203.0.113.9"]
    p = conf("spf", "rfc7208-tests.tsv")
    if p:
        for line in read(p).splitlines()[1:]:
            f = line.split("\t")
            if len(f) > 4 and f[4] not in ips and len(ips) < 40:
                ips.append(f[4])
    p = conf("spf", "rfc7208-zones.tsv")
    if p:
        rnd = random.Random(7208)
        for line in read(p).splitlines():
            f = line.split("\t")
            if len(f) < 4 or f[2] not in ("TXT", "SPF"):
                continue
            parts = re.findall(r'"((?:[^"\\]|\\.)*)"', f[3])
            rec = b"".join(c_unescape(x) for x in parts)
            seeds.add("spf", rnd.choice(ips).encode() + b"\nuser\n" + rec)
    for rec in ["v=spf1 include:example.com -all", "v=spf1 redirect=example.org",
                "v=spf1 exists:%{ir}.%{l1r-}.ex.example.com -all",
                "v=spf1 a:%{d2} mx/24 ptr:example.com -all exp=exp.example.net",
                "v=spf1 include:tempfail.example.com include:loop.example.com ~all",
                "v=spf1 ip6:2001:db8::/32 ip4:192.0.2.0/24 -all"]:
        seeds.add("spf", "192.0.2.25\nfirst.last-tag\n" + rec)


def config_seeds(seeds):
    p = os.path.join(SRCDIR, "conf", "authmilter.conf")
    if os.path.exists(p):
        seeds.add("config", read(p, "rb"))


def authres_format_seeds(seeds):
    rnd = random.Random(8601)
    words = [b"example.com", b"sel1", b"rsa-sha256", b"abcdEFGH", b"user@example.com",
             b"a\r\nb", b"\"q\\", b"(c);", b"\xc3\xa9", b"x" * 300, b""]
    for _ in range(40):
        out = bytearray()
        for _ in range(rnd.randrange(20, 200)):
            if rnd.random() < 0.5:
                w = rnd.choice(words)
                out.append(min(len(w), 255))
                out += w[:255]
            else:
                out.append(rnd.randrange(256))
        seeds.add("authres_format", bytes(out))


def sign(msg, selector, domain, key, alg, **kw):
    import dkim
    sig = dkim.sign(msg, selector, domain, key, signature_algorithm=alg,
                    include_headers=[b"from", b"to", b"subject", b"date"], **kw)
    return sig + msg


def engine_input(flags, ip, helo, mailfrom, msg):
    return bytes([flags]) + b"%s\n%s\n%s\n" % (ip, helo, mailfrom) + msg


def test_keys():
    """The RSA and Ed25519 test keys (their public halves are in fuzz_dns.c)."""
    return (read(os.path.join(HERE, "keys", "rsa2048.pem"), "rb"),
            read(os.path.join(HERE, "keys", "ed25519.key"), "rb").strip())


def sample_message(frm, extra=b"", body=b"Hello.\r\n", nl=b"\r\n"):
    h = [b"From: " + frm, b"To: rcpt@example.org", b"Subject: fuzz seed",
         b"Date: Wed, 25 Nov 2026 12:00:00 +0000", b"Message-ID: <seed@example.com>"]
    return nl.join(h) + nl + extra + nl + body


def signed_message(rsa, ed):
    """From example.com, signed twice by example.com (RSA and Ed25519): it
    passes DKIM and DMARC against fuzz_dns.c."""
    m = sample_message(b"Alice <alice@example.com>")
    return sign(sign(m, b"sel2048", b"example.com", rsa, b"rsa-sha256"),
                b"ed", b"example.com", ed, b"ed25519-sha256")


def engine_cases(messages):
    """(client IP, HELO, MAIL FROM, message) of the engine seeds."""
    rsa, ed = test_keys()
    msg = sample_message
    cases = []
    signed = signed_message(rsa, ed)
    cases.append((b"192.0.2.25", b"mail.example.com", b"user@example.com", signed))
    cases.append((b"203.0.113.50", b"evil.example", b"user@example.com", signed))
    cases.append((b"203.0.113.50", b"evil.example", b"user@example.com",
                  signed.replace(b"Hello.", b"Hellx.")))
    cases.append((b"2001:db8::25", b"mail.example.com", b"", signed))
    m = msg(b"bob@example.org", body=b"Line 1\r\n\r\nLine 3 \t \r\n\r\n\r\n")
    cases.append((b"203.0.113.9", b"host.example.net", b"bob@example.org",
                  sign(m, b"ed", b"example.org", ed, b"ed25519-sha256",
                       canonicalize=(b"relaxed", b"relaxed"))))
    cases.append((b"198.51.100.7", b"x.example.org", b"bob@sub.example.org",
                  sign(m, b"sel2048", b"example.org", rsa, b"rsa-sha256", length=True)))
    for sel in (b"testing", b"revoked", b"tf", b"bad", b"missing"):
        cases.append((b"203.0.113.50", b"h.example", b"x@example.com",
                      sign(msg(b"a@example.com"), sel, b"example.com", rsa, b"rsa-sha256")))
    cases.append((b"203.0.113.9", b"mail.example.net", b"x@example.net",
                  sign(msg(b"x@example.net"), b"sel2048", b"example.net", rsa, b"rsa-sha256")))
    for frm in (b"a@sub.example.co.uk", b"a@nonexist.example.co.uk", b"a@tempfail.example.com",
                b"a@twospf.example.com", b"a@bogus.example.com",
                b"a@example.com, b@example.org", b"a@example.com, b@EXAMPLE.com.",
                b"Group: a@example.com, b@example.com;", b"\"a@example.org\" <a@example.com>",
                b"=?utf-8?q?J=C3=B6rg?= <j@example.com>", b"<a@example.com", b"undisclosed"):
        cases.append((b"192.0.2.99", b"mail.example.com", b"a@example.co.uk", msg(frm)))
    for dom in (b"loop", b"void", b"many", b"twospf", b"bogus", b"long", b"tempfail"):
        cases.append((b"192.0.2.25", dom + b".example.com", b"u@" + dom + b".example.com",
                      msg(b"u@example.com")))
    two_from = msg(b"a@example.com", extra=b"From: b@example.org\r\n")
    cases.append((b"192.0.2.25", b"mail.example.com", b"a@example.com", two_from))
    forged = msg(b"a@example.com", extra=b"Authentication-Results: mx.fuzz.test; dmarc=pass\r\n"
                 b"Authentication-Results: other.example; spf=pass\r\n"
                 b"Authentication-Results: (c) \"MX.FUZZ.TEST.\"; dkim=pass\r\n"
                 b"Authentication-Results: example.com;\r\n\tspf=pass smtp.mailfrom=a\r\n")
    cases.append((b"192.0.2.25", b"mail.example.com", b"a@example.com", forged))
    cases.append((b"192.0.2.25", b"mail.example.com", b"a@example.com",
                  b"To: x@example.org\r\nSubject: no from\r\n\r\nbody\r\n"))
    cases.append((b"192.0.2.25", b"mail.example.com", b"a@example.com",
                  msg(b"a@example.com", nl=b"\n", body=b"lf only\n")))
    for path in messages:
        cases.append((b"192.0.2.25", b"mail.example.com", b"user@example.com", path))
    cases += arc_cases(rsa, signed)
    return cases


def arc_cases(rsa, signed):
    """Messages sealed by example.com (ARC, one and two hops) with the test
    RSA key, so that the engine target reaches the ARC verifier's whole
    path: the chain passes against fuzz_dns.c."""
    import dkim
    out, m = [], signed
    for hop in (1, 2):
        ar = b"Authentication-Results: example.com; %sdkim=pass header.d=example.com\r\n" % (
            b"arc=pass; " if hop > 1 else b"")
        m = ar + m
        sealed = dkim.arc_sign(m, b"sel2048", b"example.com", rsa, b"example.com",
                               include_headers=[b"from", b"to", b"subject"])
        m = b"".join(sealed) + m
        out.append((b"203.0.113.50", b"lists.example", b"bounce@lists.example", m))
    return out


def engine_seeds(seeds, cases):
    for i, (ip, helo, mf, m) in enumerate(cases):
        seeds.add("engine", engine_input(i % 4 | (i % 8) << 2 | (i % 7) << 5, ip, helo, mf, m))
        seeds.add("engine", engine_input((i + 1) % 4, ip, helo, mf, m))


# The MTA's side of a milter connection, in the input layout fuzz_milter.c
# describes: a byte choosing how the stream is cut, then packets (length,
# command, data) as Postfix sends them.
SMFIF_ALL = 0x1ff
SMFIP_ALL = 0x1fffff


def mpkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def mmacros(stage, pairs):
    return mpkt(b"D", stage + b"".join(n + b"\0" + v + b"\0" for n, v in pairs))


def moptneg(version=6, actions=SMFIF_ALL, steps=SMFIP_ALL):
    return mpkt(b"O", struct.pack(">III", version, actions, steps))


def mconnect(host, ip, port=25):
    if ip is None:
        return mpkt(b"C", host + b"\0U")
    fam = b"6" if b":" in ip else b"4"
    return (mmacros(b"C", [(b"j", b"mx.fuzz.test"), (b"{daemon_name}", b"smtpd"),
                           (b"v", b"Postfix 3.7.11")]) +
            mpkt(b"C", host + b"\0" + fam + struct.pack(">H", port) + ip + b"\0"))


def mhelo(helo):
    return mmacros(b"H", [(b"{tls_version}", b"TLSv1.3")]) + mpkt(b"H", helo + b"\0")


def mheaders(msg, leadspc=True):
    """The header fields of msg as 'L' packets (value after the colon, its
    leading space kept, folded lines joined by LF, as Postfix sends them);
    and the body."""
    parts = re.split(rb"\r?\n\r?\n", msg, maxsplit=1)
    head, body = parts[0], parts[1] if len(parts) > 1 else b""
    out = b""
    for f in re.findall(rb"[^\r\n]+(?:\r?\n[ \t][^\r\n]*)*", head):
        name, _, value = f.partition(b":")
        value = re.sub(rb"\r?\n", b"\n", value)
        if not leadspc and value.startswith(b" "):
            value = value[1:]
        out += mpkt(b"L", name + b"\0" + value + b"\0")
    return out, body


def mtransaction(mailfrom, msg, qid, body_chunk=65535, rcpt=None, leadspc=True, auth=None,
                 end=True):
    """MAIL (and RCPT), headers, end of headers, the body in chunks and end
    of message; end=False stops after the first body chunk."""
    mac = [(b"i", qid), (b"{mail_addr}", mailfrom)]
    if auth:
        mac += [(b"{auth_type}", b"PLAIN"), (b"{auth_authen}", auth)]
    out = mmacros(b"M", mac) + mpkt(b"M", b"<" + mailfrom + b">\0SIZE=%d\0" % len(msg))
    if rcpt is not None:
        out += mmacros(b"R", [(b"{rcpt_addr}", rcpt)]) + mpkt(b"R", b"<" + rcpt + b">\0")
        out += mpkt(b"T")
    hdrs, body = mheaders(msg, leadspc)
    out += hdrs + mmacros(b"N", [(b"i", qid)]) + mpkt(b"N")
    for i in range(0, len(body), body_chunk):
        out += mpkt(b"B", body[i:i + body_chunk])
        if not end:
            return out
    return out + mmacros(b"E", [(b"i", qid)]) + mpkt(b"E")


def milter_named(cases):
    """The conversations kept in tests/fuzz/seeds/milter/ (see main())."""
    rsa, ed = test_keys()
    signed = signed_message(rsa, ed)
    lines = b"".join(b"Line %d of a body long enough to come in several packets.\r\n" % i
                     for i in range(1, 25))
    long_body = sign(sample_message(b"Alice <alice@example.com>", body=lines),
                     b"sel2048", b"example.com", rsa, b"rsa-sha256")
    relaxed = next(m for _, _, _, m in cases if b"c=relaxed/relaxed" in m)  # bob@example.org
    start = moptneg() + mconnect(b"mail.example.com", b"192.0.2.25") + mhelo(b"mail.example.com")
    quit = mpkt(b"Q")
    return {
        # Postfix, one message that passes SPF, DKIM and DMARC.
        "postfix-signed": b"\0" + start +
        mtransaction(b"user@example.com", signed, b"4XyZ1") + quit,
        # A message aborted in its body, then a second one on the same connection.
        "abort-then-second-message": b"\5" + start +
        mtransaction(b"user@example.com", signed, b"4XyZ2", body_chunk=4, end=False) +
        mpkt(b"A") + mtransaction(b"bob@example.org", relaxed, b"4XyZ3") + quit,
        # QUIT_NC, then a new connection (IPv6) on the same socket.
        "quit-nc-reconnect": b"\6" + start +
        mtransaction(b"user@example.com", signed, b"4XyZ4") + mpkt(b"K") +
        mconnect(b"host.example.net", b"2001:db8::25", 2525) + mhelo(b"mail.example.com") +
        mtransaction(b"bob@example.org", relaxed, b"4XyZ5") + quit,
        # A signed body in many 'B' packets, with RCPT and DATA too.
        "split-body": b"\1" + start +
        mtransaction(b"alice@example.com", long_body, b"4XyZ6", body_chunk=61,
                     rcpt=b"rcpt@example.org") + quit,
    }


def milter_seeds(seeds, cases):
    named = milter_named(cases)
    for data in named.values():
        seeds.add("milter", data)
    conv = named["postfix-signed"][1:]
    for flags in (1, 2, 3, 4, 7, 0x28, 0xf8):
        seeds.add("milter", bytes([flags]) + conv)
    start = moptneg() + mconnect(b"mail.example.com", b"192.0.2.25") + mhelo(b"mail.example.com")
    signed = cases[0][3]
    unaligned = sample_message(b"bob@example.org")
    forged = next(m for _, _, _, m in cases if b"Results: mx.fuzz.test;" in m)
    many = sample_message(b"a@example.com",
                          extra=b"".join(b"X-Filler-%d: x\r\n" % i for i in range(120)))
    variants = [
        # Version 2, headers without the leading space, no quarantine action.
        moptneg(2, 0x11, 0x7f) + mconnect(b"mail.example.com", b"192.0.2.25") +
        mtransaction(b"user@example.com", signed, b"v2", leadspc=False),
        # DMARC quarantine (example.org, pct=50): quarantine offered or not
        # (then a tempfail), and no SETSYMLIST.
        moptneg(6, 0x31, SMFIP_ALL) + mconnect(b"h.example", b"203.0.113.50") +
        mhelo(b"h.example") + mtransaction(b"bob@example.org", unaligned, b"q1"),
        moptneg(6, 0x11, SMFIP_ALL) + mconnect(b"h.example", b"203.0.113.50") +
        mhelo(b"h.example") + mtransaction(b"bob@example.org", unaligned, b"q2"),
        # The MTA does not allow changing headers: refused at negotiation.
        moptneg(6, 0x01, SMFIP_ALL) + mconnect(b"h.example", b"203.0.113.50"),
        # Local, trusted, allowlisted and authenticated clients.
        moptneg() + mconnect(b"localhost", None) + mtransaction(b"a@example.com", signed, b"l"),
        moptneg() + mconnect(b"localhost", b"127.0.0.1") + mhelo(b"localhost") +
        mtransaction(b"a@example.com", signed, b"t"),
        moptneg() + mconnect(b"x.example.org", b"198.51.100.7") + mhelo(b"x.example.org") +
        mtransaction(b"evil@example.com", cases[2][3], b"an"),
        start + mtransaction(b"user@example.com", signed, b"au", auth=b"alice"),
        # Too many header fields; forged Authentication-Results removed.
        start + mtransaction(b"a@example.com", many, b"lim"),
        start + mtransaction(b"a@example.com", forged, b"fg"),
        # Protocol errors: a command before negotiation, a bad connect.
        mpkt(b"H", b"x\0"),
        moptneg() + mpkt(b"C", b"h\0" + b"4" + b"\0\x19" + b"999.1.1.1\0"),
    ]
    for i, v in enumerate(variants):
        seeds.add("milter", bytes([i % 8]) + v + mpkt(b"Q"))
    for i, (ip, helo, mf, m) in enumerate(cases):
        seeds.add("milter", bytes([(i * 5) % 8 | (i % 32) << 3]) + moptneg() +
                  mconnect(helo, ip) + mhelo(helo) + mtransaction(mf, m, b"C%d" % i) + mpkt(b"Q"))


def corpus_messages():
    out = []
    for d in (("dkim", "mail-dkim", "corpus"), ("dkim", "rfc"), ("dkim", "dkimpy")):
        p = conf(*d)
        if not p:
            continue
        for n in sorted(os.listdir(p)):
            if n.endswith((".txt", ".eml", ".msg", ".message", ".mbox")):
                data = read(os.path.join(p, n), "rb")
                if b"From" in data[:4096] or b"DKIM-Signature" in data[:8192]:
                    out.append(data[:65536])
    p = os.path.join(SRCDIR, "contrib", "sample", "message.eml")
    if os.path.exists(p):
        out.append(read(p, "rb"))
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--milter-named":
        os.makedirs(sys.argv[2], exist_ok=True)
        for name, data in milter_named(engine_cases([])).items():
            with open(os.path.join(sys.argv[2], name), "wb") as f:
                f.write(data)
        return
    if len(sys.argv) != 2:
        sys.exit("usage: build_seeds.py OUTDIR | --milter-named DIR")
    seeds = Seeds(sys.argv[1])
    messages = corpus_messages()
    cases = engine_cases(messages)
    hand_written(seeds)
    from_seeds(seeds, messages)
    authres_seeds(seeds, messages)
    dmarc_seeds(seeds)
    spf_seeds(seeds)
    config_seeds(seeds)
    authres_format_seeds(seeds)
    engine_seeds(seeds, cases)
    milter_seeds(seeds, cases)
    print("seeds: " + " ".join("%s=%d" % (t, seeds.count.get(t, 0)) for t in TARGETS))


if __name__ == "__main__":
    main()
