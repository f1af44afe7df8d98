#!/usr/bin/python3
"""iprev.py - one message over the milter socket, and its iprev result.

  iprev.py QID IP EXPECT
      one message from client address IP (From: alice@example.com, which
      passes SPF and DMARC from 192.0.2.0/24 and 2001:db8::/32): it must be
      accepted with one Authentication-Results header inserted, whose value
      holds EXPECT, or holds no iprev= result at all when EXPECT is "-".
Prints "# ..." diagnostics; exit 0 when the message was handled so.
"""
import os
import sys

from milterclient import client, message

PORT = int(os.environ["ML_PORT"])


def main(qid, ip, expect):
    hdrs = [("From", "Alice <alice@example.com>"), ("To", "bob@example.org"),
            ("Subject", "iprev " + qid), ("Date", "Wed, 25 Nov 2026 12:00:00 +0000"),
            ("Message-ID", "<%s@example.com>" % qid)]
    m = client(PORT, ip=ip)
    reply, actions = message(m, qid, hdrs)
    m.quit()
    ar = [a[3] for a in actions if a[0] == "i" and a[2] == "Authentication-Results"]
    flat = ar[0].replace("\n\t\t", " ") if len(ar) == 1 else ""
    ok = reply in ("a", "c") and len(ar) == 1 and (
        "iprev=" not in flat if expect == "-" else expect in flat)
    if not ok:
        print("# %s: reply %s, headers %r; expected accept with %s" %
              (qid, reply, ar, "no iprev=" if expect == "-" else repr(expect)))
        return 1
    print("# %s: %s" % (qid, [l.strip() for l in flat.split("\n") if "iprev=" in l]))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
