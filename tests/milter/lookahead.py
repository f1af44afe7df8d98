#!/usr/bin/python3
"""lookahead.py - the daemon starts each check's lookups as soon as its
input is known: the client's PTR (iprev) at connect, the HELO name's SPF
record at HELO, the MAIL FROM domain's SPF record at MAIL, a DKIM
signature's key when its header arrives, and the DMARC record at end of
headers, not before.

  lookahead.py DNSLOG
      One connection from 192.0.2.10 (HELO mail.example.com, MAIL FROM
      <alice@example.com>): after MAIL, and before any header is sent, the
      DNS server's log must show the PTR, the HELO and the MAIL FROM
      lookups, and no DMARC lookup yet; after a DKIM-Signature header
      (d=example.com s=ahead), before end of headers, its key lookup. The
      message is then finished and must be accepted.
Prints "# ..." diagnostics; exit 0 when all of that held.
"""
import os
import sys
import time

from milterclient import client

PORT = int(os.environ["ML_PORT"])


def seen(log, pattern):
    try:
        with open(log) as f:
            return any(line.lower().startswith(pattern) for line in f)
    except OSError:
        return False


def wait(log, patterns, seconds=5.0):
    """True once every pattern is in the log (polled; the lookups run
    without us)."""
    end = time.time() + seconds
    while time.time() < end:
        if all(seen(log, p) for p in patterns):
            return True
        time.sleep(0.02)
    return all(seen(log, p) for p in patterns)


def main(log):
    m = client(PORT, ip="192.0.2.10", helo="mail.example.com")
    m.macro(b"M", {"i": "AHEAD"})
    r = m.mail("<alice@example.com>")
    early = ["10.2.0.192.in-addr.arpa. ptr", "mail.example.com. txt", "example.com. txt"]
    if r not in (None, "c") or not wait(log, early):
        print("# after MAIL (reply %r): not all of %r in the DNS log" % (r, early))
        return 1
    if seen(log, "_dmarc."):
        print("# a DMARC lookup before any header was sent")
        return 1
    print("# before any header: %s" % ", ".join(early))
    m.rcpt("<bob@example.org>")
    m.header("From", b" Alice <alice@example.com>")
    m.header("DKIM-Signature", b" v=1; a=rsa-sha256; d=example.com; s=ahead;"
             b" h=from; bh=AAAA; b=AAAA")
    if not wait(log, ["ahead._domainkey.example.com. txt"]):
        print("# the signature's key was not looked up before end of headers")
        return 1
    print("# before end of headers: ahead._domainkey.example.com TXT")
    for name, value in (("To", b" bob@example.org"), ("Subject", b" ahead"),
                        ("Date", b" Wed, 25 Nov 2026 12:00:00 +0000")):
        m.header(name, value)
    m.eoh()
    m.body(b"Hello.\r\n")
    reply, _ = m.eom()
    m.quit()
    if reply not in ("a", "c"):
        print("# reply %r, expected accept" % reply)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
