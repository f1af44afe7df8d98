#!/usr/bin/python3
"""logkv.py - read authmilter's per-message log lines (key=value) from its stderr

  logkv.py check LOG QID EXPECT...   the one line with qid=QID has every EXPECT:
                                     key=value (exact), key~regex, !key (absent)
  logkv.py count LOG QID             how many verdict lines carry qid=QID
  logkv.py strict LOG                every line is an "authmilter[PID]: " line and
                                     every verdict line parses as key=value
                                     tokens with nothing left over
QID "@KEY=VALUE" selects the line by another key instead.
A verdict line is a line whose payload (after "authmilter[PID]: ") starts
with "qid=". Values are bare tokens or double-quoted with \\" and \\xNN
escapes; the parser undoes the escapes. Exit 0 on success, 1 with "# "
diagnostics otherwise.
"""
import re
import sys

TOKEN = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|[^\s"=]+)(?: |$)')
PREFIX = re.compile(r"^authmilter\[\d+\]: ")


def unquote(v):
    if not v.startswith('"'):
        return v
    return re.sub(r'\\x([0-9a-f]{2})|\\(.)',
                  lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), v[1:-1])


def parse(payload):
    """[(key, value)] for a strict key=value line, None if anything is left over."""
    pos, out = 0, []
    while pos < len(payload):
        m = TOKEN.match(payload, pos)
        if m is None:
            return None
        out.append((m.group(1), unquote(m.group(2))))
        pos = m.end()
    return out


def verdict_lines(path):
    with open(path, encoding="latin-1") as f:
        for raw in f:
            payload = PREFIX.sub("", raw.rstrip("\n"))
            if payload.startswith("qid="):
                yield payload


def lines_for(path, qid):
    """Lines with qid=QID, or with KEY=VALUE when QID is "@KEY=VALUE"."""
    key, want = ("qid", qid) if not qid.startswith("@") else qid[1:].split("=", 1)
    found = []
    for payload in verdict_lines(path):
        kv = parse(payload)
        if kv is None:
            # unparseable lines count for the qid they seem to carry
            if payload.startswith("qid=%s " % qid):
                found.append((payload, None))
            continue
        if dict(kv).get(key) == want:
            found.append((payload, kv))
    return found


def check(path, qid, expects):
    found = lines_for(path, qid)
    if len(found) != 1:
        print("#   expected one log line with qid=%s, found %d" % (qid, len(found)))
        for payload, _ in found:
            print("#   " + payload)
        return 1
    payload, kv = found[0]
    if kv is None:
        print("#   not a key=value line: " + payload)
        return 1
    keys = [k for k, _ in kv]
    d = dict(kv)
    bad = []
    if len(set(keys)) != len(keys):
        bad.append("duplicate keys %s" % keys)
    for e in expects:
        if e.startswith("!"):
            if e[1:] in d:
                bad.append("%s present (%r)" % (e[1:], d[e[1:]]))
        elif "~" in e and ("=" not in e or e.index("~") < e.index("=")):
            k, rx = e.split("~", 1)
            if k not in d or not re.search(rx, d[k]):
                bad.append("%s=%r does not match /%s/" % (k, d.get(k), rx))
        else:
            k, v = e.split("=", 1)
            if d.get(k) != v:
                bad.append("%s: got %r, expected %r" % (k, d.get(k), v))
    if bad:
        print("#   log line: " + payload)
        for b in bad:
            print("#   " + b)
        return 1
    return 0


def main(argv):
    cmd, path = argv[1], argv[2]
    if cmd == "check":
        return check(path, argv[3], argv[4:])
    if cmd == "count":
        print(len(lines_for(path, argv[3])))
        return 0
    if cmd == "strict":
        with open(path, encoding="latin-1") as f:
            bad = [l.rstrip("\n") for l in f if not PREFIX.match(l)]
        bad += [p for p in verdict_lines(path) if parse(p) is None]
        for p in bad:
            print("#   not key=value: " + p)
        return 1 if bad else 0
    print("usage: logkv.py check|count|strict LOG ...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
