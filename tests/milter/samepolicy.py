#!/usr/bin/python3
"""samepolicy.py - authmilter-check prints what the daemon does.

  samepolicy.py CHECK CONF LOG DIR CASE...

For each CASE (a name from CASES below), the same message and envelope go
through authmilter-check (--json, with CONF) and through the daemon
(milterclient, on port $ML_PORT, running with CONF, logging to LOG). The
two must agree on:
  - the action, reason, would, override and error keys (the daemon's log
    line against the JSON);
  - what the MTA is told: reject / tempfail with the same SMTP reply,
    quarantine as a hold (or the quarantine header), accept;
  - the Authentication-Results header the daemon inserts (none when the
    verdict has none).
A skipped message (trusted network, authenticated) is accepted at connect
or at MAIL by the daemon, with no header, and the JSON says skipped.
Messages are built in DIR (signed at test time where a case needs it).
Prints one line per case, "ok<TAB>description" or "not ok<TAB>description"
followed by "# " diagnostics; exits 0.
"""
import json
import os
import subprocess
import sys
import time

import logkv
from milterclient import Milter

PORT = int(os.environ["ML_PORT"])
KEYS = os.path.join(os.path.dirname(__file__), "..", "integration", "dkimkeys.py")
GOOD, BAD = "192.0.2.10", "203.0.113.7"

# name: (description, ip, mail from, helo, auth user, From header value,
#        extra header lines, signing (key domain) or None, append to body)
CASES = {
    "pass": ("aligned SPF pass", GOOD, "alice@example.com", "mail.example.com", None,
             "Alice <alice@example.com>", [], None, ""),
    "reject": ("p=reject failure", BAD, "alice@example.com", "mail.example.com", None,
               "Alice <alice@example.com>", [], None, ""),
    "quarantine": ("p=quarantine failure", BAD, "q@quar.example", "mail.example.com", None,
                   "Q <q@quar.example>", [], None, ""),
    "none": ("p=none failure", BAD, "n@example.net", "mail.example.com", None,
             "N <n@example.net>", [], None, ""),
    "nofrom": ("no From header", GOOD, "alice@example.com", "mail.example.com", None,
               None, [], None, ""),
    "twofrom": ("two From headers", GOOD, "alice@example.com", "mail.example.com", None,
                "Alice <alice@example.com>", [("From", "Eve <eve@evil.example>")], None, ""),
    "unparseable": ("unparseable From", GOOD, "alice@example.com", "mail.example.com", None,
                    "<alice@example.com", [], None, ""),
    "dmarc_tmo": ("DMARC record times out", BAD, "s@slow.example", "mail.example.com", None,
                  "S <s@slow.example>", [], None, ""),
    "spf_servfail": ("aligned SPF SERVFAIL", BAD, "bounce@sf.example.com", "mail.example.com",
                     None, "Alice <alice@example.com>", [], None, ""),
    "allow_net": ("p=reject failure from policy.allow_networks", "203.0.113.50",
                  "alice@example.com", "mail.example.com", None, "Alice <alice@example.com>",
                  [], None, ""),
    "allow_dom": ("p=reject failure of policy.allow_domains", BAD, "a@allowed.example",
                  "mail.example.com", None, "A <a@sub.allowed.example>", [], None, ""),
    "headers": ("more header fields than limits.max_headers", GOOD, "alice@example.com",
                "mail.example.com", None, "Alice <alice@example.com>",
                [("X-Filler", "%d" % i) for i in range(30)], None, ""),
    "headers_forged": ("a forged Authentication-Results past limits.max_headers", GOOD,
                       "alice@example.com", "mail.example.com", None,
                       "Alice <alice@example.com>",
                       [("X-Filler", "%d" % i) for i in range(30)] +
                       [("Authentication-Results", "mx.example.org; dmarc=pass")], None, ""),
    "trusted": ("client in policy.trusted_networks", "198.18.0.9", "alice@example.com",
                "mail.example.com", None, "Alice <alice@example.com>", [], None, ""),
    "auth": ("authenticated submission", BAD, "alice@example.com", "mail.example.com",
             "alice", "Alice <alice@example.com>", [], None, ""),
    "idn": ("Unicode From domain, p=reject at its A-label", BAD, "x@evil.example",
            "mail.example.com", None, "N <news@b\u00fccher.example>", [], None, ""),
    "ell": ("text appended after a DKIM l=", BAD, "x@evil.example", "mail.example.com", None,
            "Alice <alice@example.com>", [], "example.com", "\r\nPay account 1234.\r\n"),
}


def build(dirname, name, case):
    """The message file for case: headers (CRLF), body, signed if asked."""
    _, _, _, _, _, frm, extra, signer, append = case
    hdrs = []
    if frm is not None:
        hdrs.append(("From", frm))
    hdrs += extra + [("To", "bob@example.org"), ("Subject", "same " + name),
                     ("Date", "Wed, 25 Nov 2026 12:00:00 +0000"),
                     ("Message-ID", "<%s@example.org>" % name)]
    raw = "".join("%s: %s\r\n" % h for h in hdrs).encode() + b"\r\nHello.\r\n"
    if signer:
        raw = subprocess.run([sys.executable, KEYS, "sign", os.path.join(dirname, "rsa.key"),
                              signer, "sel", "rsa-sha256", "from,to,subject", "--length"],
                             input=raw, capture_output=True, check=True).stdout
    raw += append.encode()
    path = os.path.join(dirname, name + ".eml")
    with open(path, "wb") as f:
        f.write(raw)
    return raw


def split(raw):
    """(headers [(name, value bytes with folds)], body) of a CRLF message."""
    head, _, body = raw.partition(b"\r\n\r\n")
    hdrs = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and hdrs:
            hdrs[-1] = (hdrs[-1][0], hdrs[-1][1] + b"\r\n" + line)
        else:
            n, _, v = line.partition(b":")
            hdrs.append((n.decode(), v.lstrip(b" ")))
    return hdrs, body


def check(binary, conf, path, case):
    _, ip, mf, helo, auth, *_ = case
    cmd = [binary, "-c", conf, "--ip", ip, "--mail-from", mf, "--helo", helo, "--json", path]
    if auth:
        cmd[1:1] = ["--auth", auth]
    return json.loads(subprocess.run(cmd, capture_output=True, check=True).stdout)


def daemon(name, raw, case):
    """What the MTA sees: (stage, reply letter, actions)."""
    _, ip, mf, helo, auth, *_ = case
    m = Milter(PORT)
    r = m.connect_info("mx.example", "4", ip)
    if r not in (None, "c"):
        m.close()
        return "connect", r, []
    m.helo(helo)
    m.macro(b"M", dict({"i": name}, **({"{auth_authen}": auth} if auth else {})))
    r = m.mail("<%s>" % mf)
    if r not in (None, "c"):
        m.close()
        return "mail", r, []
    hdrs, body = split(raw)
    for n, v in hdrs:
        m.header(n, v)
    m.eoh()
    m.body(body)
    r, actions = m.eom()
    m.quit()
    return "eom", r, actions


def logline(log, name):
    for _ in range(50):
        with open(log, encoding="latin-1") as f:
            for line in f:
                p = logkv.PREFIX.sub("", line.rstrip("\n"))
                if p.startswith("qid=%s " % name):
                    return dict(logkv.parse(p) or [])
        time.sleep(0.1)
    return None


def compare(binary, conf, log, dirname, name):
    case = CASES[name]
    raw = build(dirname, name, case)
    j = check(binary, conf, os.path.join(dirname, name + ".eml"), case)
    stage, reply, actions = daemon(name, raw, case)
    bad = []
    if j["skipped"]:
        want = "connect" if j["reason"] == "trusted_network" else "mail"
        if (stage, reply) != (want, "a") or j["action"] != "accept" or j["authentication_results"]:
            bad.append("skipped (%s) in the check; daemon %s at %s" % (j["reason"], reply, stage))
        return bad, j
    line = logline(log, name)
    if line is None:
        return ["no log line for qid %s" % name], j
    for k in ("action", "reason", "would", "override", "error"):
        got = line.get(k)
        if got != j[k]:
            bad.append("%s: daemon logged %r, check says %r" % (k, got, j[k]))
    texts = [a[1] for a in actions if a[0] == "y"]
    ars = [a[3] for a in actions if a[0] == "i" and a[2] == "Authentication-Results"]
    holds = [a for a in actions if a[0] == "q"]
    if j["action"] in ("reject", "tempfail"):
        if reply != "y" or texts != [j["smtp_reply"]]:
            bad.append("MTA told %s %r, check says %s %r" % (reply, texts, j["action"],
                                                             j["smtp_reply"]))
    elif reply not in ("a", "c") or texts:
        bad.append("MTA told %s %r, check says %s" % (reply, texts, j["action"]))
    if (j["action"] == "quarantine") != bool(holds or any(
            a[0] == "h" and a[1] == "X-Spam-Flag" for a in actions)):
        bad.append("quarantine: check says %s, MTA actions %r" % (j["action"], actions))
    forged = sum(1 for n, v in split(raw)[0]
                 if n.lower() == "authentication-results" and v.startswith(b"mx.example.org;"))
    deleted = sum(1 for a in actions if a[0] == "m" and a[2] == "Authentication-Results")
    if deleted != (forged if j["action"] in ("accept", "quarantine") else 0):
        bad.append("%d forged Authentication-Results, %d deleted, action %s" % (
            forged, deleted, j["action"]))
    if j["action"] in ("accept", "quarantine"):
        want = j["authentication_results"][len("Authentication-Results:"):].lstrip(" ")
        ars = [a.lstrip(" ") for a in ars]
        if ars != [want]:
            bad.append("header inserted %r, check has %r" % (ars, want))
    return bad, j


def main(argv):
    binary, conf, log, dirname = argv[:4]
    for name in argv[4:]:
        bad, j = compare(binary, conf, log, dirname, name)
        desc = "%s: the daemon does what authmilter-check says (%s%s%s)" % (
            CASES[name][0], j["action"], " " + (j["reason"] or ""),
            " override=%s" % j["override"] if j["override"] else "")
        print("%s\t%s" % ("not ok" if bad else "ok", desc))
        for b in bad:
            print("# " + b)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
