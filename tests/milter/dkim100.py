#!/usr/bin/python3
"""dkim100.py KEYFILE - messages with 100 DKIM-Signature headers:
dkim.max_signatures (default 5) bounds the work. 100 valid signatures;
100 whose key lookup times out (5 x dns.timeout, not 100 x); 100 with a
250-character signing domain (the log line must stay whole).
Prints "# qid: reply, ms" diagnostics."""
import os
import sys
import time

import dkim

from milterclient import client, message

port = int(os.environ["ML_PORT"])
key = open(sys.argv[1], "rb").read()
BODY = b"Hello.\r\n"
HDRS = [(b"From", b"Alice <alice@example.com>"), (b"To", b"bob@example.org"),
        (b"Subject", b"many signatures"), (b"Date", b"Wed, 25 Nov 2026 12:00:00 +0000")]
raw = b"".join(n + b": " + v + b"\r\n" for n, v in HDRS) + b"\r\n" + BODY
LONG = ".".join(c * 60 for c in "abcd") + ".example"   # 252 characters


def sig(domain, selector):
    h = dkim.sign(raw, selector.encode(), domain.encode(), key,
                  include_headers=[b"from", b"to", b"subject", b"date"])
    name, value = h.split(b":", 1)
    return (name, value.lstrip(b" ").rstrip(b"\r\n"))


cases = [  # qid, signature, expected reply, time bound (ms)
    ("DK-100", sig("example.com", "sel"), "c", 5000),
    ("DK-SLOW", sig("example.com", "slow"), "c", 8000),
    ("DK-LONGD", sig(LONG, "sel"), "c", 8000),
]
bad = 0
for qid, s, want, bound in cases:
    m = client(port)
    t = time.monotonic()
    reply, actions = message(m, qid, [s] * 100 + HDRS, body=BODY)
    ms = int((time.monotonic() - t) * 1000)
    m.quit()
    ar = [a[3] for a in actions if a[0] == "i"]
    good = reply == want and len(ar) == 1 and ms < bound
    print("# %s: reply %s in %d ms (bound %d), A-R %d bytes, %d dkim results"
          % (qid, reply, ms, bound, len(ar[0]) if ar else 0,
             ar[0].count("dkim=") if ar else 0))
    if not good:
        print("#   actions: %r" % (actions,))
    bad += not good
sys.exit(1 if bad else 0)
