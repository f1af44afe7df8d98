#!/usr/bin/python3
"""authres_order.py - the exact end-of-message actions for forged
Authentication-Results headers, in the order the daemon sends them:
deletions highest index first, then ours inserted at index 0 (miltertest
records actions unordered, so this speaks the protocol itself)."""
import os
import sys

from milterclient import client, message

port = int(os.environ["ML_PORT"])
AR = "Authentication-Results"
STD = [("From", "Alice <alice@example.com>"), ("To", "bob@example.org"),
       ("Subject", "order"), ("Date", "Wed, 25 Nov 2026 12:00:00 +0000")]
cases = [
    # (qid, A-R values in order, indexes expected deleted in order)
    ("ORD-135", ["mx.example.org; spf=pass", "other.example; spf=fail",
                 "MX.EXAMPLE.ORG.; dkim=pass", "other.example; dkim=fail",
                 "(c) \"mx.example.org\"; dmarc=pass", "other.example; dmarc=fail"], [5, 3, 1]),
    ("ORD-ALL", ["mx.example.org; none"] * 4, [4, 3, 2, 1]),
    ("ORD-LAST", ["a.example; none", "b.example; none", "mx.example.org; none"], [3]),
]
bad = 0
m = client(port)
for qid, values, want in cases:
    headers = [(AR, v) for v in values] + STD
    reply, actions = message(m, qid, headers)
    got = [a[1] for a in actions if a[0] == "m"]
    ok = (reply == "c" and got == want
          and all(a[2] == AR and a[3] == "" for a in actions if a[0] == "m")
          and [a[0] for a in actions] == ["m"] * len(want) + ["i"]
          and actions[-1][1] == 0 and actions[-1][2] == AR
          and actions[-1][3].startswith(" mx.example.org;"))
    if not ok:
        print("# %s: reply %s actions %r, expected deletions %r then insert at 0"
              % (qid, reply, actions, want))
        bad += 1
m.quit()
sys.exit(1 if bad else 0)
