#!/usr/bin/python3
"""bigheaders.py - limits.max_header_bytes (default 1 MiB) with headers far
larger than miltertest can send: a 100 KB header (what Postfix passes with
its default header_size_limit), header sections of exactly the limit and
one byte over it with one big header, the same with many 60 KB headers, and
a single header larger than the largest milter packet authmilter takes
(1 MiB, src/milter/mproto.h; the connection is dropped; then the next connection must work).

Header bytes are counted as on the wire: name ": " value CRLF."""
import os
import sys
import time

from milterclient import client, message

port = int(os.environ["ML_PORT"])
LIMIT = 1048576
STD = [("From", "Alice <alice@example.com>"), ("To", "bob@example.org"),
       ("Subject", "big"), ("Date", "Wed, 25 Nov 2026 12:00:00 +0000")]


def wire(headers):
    return sum(len(n) + 2 + len(v) + 2 for n, v in headers)


def sized(total, name="X-Big"):
    """STD plus one header that makes the header section total bytes."""
    return STD + [(name, "b" * (total - wire(STD) - len(name) - 4))]


def many(n, size=60000):
    return STD + [("X-Fill-%d" % i, "f" * size) for i in range(n)]


cases = [  # qid, headers, expected reply ('c' accept, 'y' + 552), expected bytes
    ("BIG-100K", STD + [("X-Big", "b" * 100000)], "c"),
    ("BIG-EXACT", sized(LIMIT), "c"),
    ("BIG-OVER1", sized(LIMIT + 1), "552"),
    ("BIG-MANY-UNDER", many(17), "c"),
    ("BIG-MANY-OVER", many(18), "552"),
]
bad = 0
for qid, headers, want in cases:
    t = time.monotonic()
    try:
        m = client(port)
        reply, actions = message(m, qid, [(n, v.encode()) for n, v in headers])
        m.quit()
    except (EOFError, OSError) as e:
        reply, actions = "closed (%s)" % e, []
    ms = int((time.monotonic() - t) * 1000)
    replies = [a[1] for a in actions if a[0] == "y"]
    if want == "c":
        good = reply == "c" and [a[0] for a in actions] == ["i"]
    else:
        good = reply == "y" and replies == ["552 5.3.4 Message header exceeds the size limit"] \
            and not any(a[0] in "im" for a in actions)
    print("# %s: %d header bytes: reply %s %s (%d ms)%s"
          % (qid, wire(headers), reply, replies, ms, "" if good else " - expected " + want))
    bad += not good

# one header over the largest packet (1 MiB): the daemon drops the
# connection; the MTA applies its default action (Postfix:
# milter_default_action); the daemon must stay up.
try:
    m = client(port)
    reply, actions = message(m, "BIG-PACKET", [(n, v.encode()) for n, v in
                                               STD + [("X-Big", "p" * LIMIT)]])
    print("# BIG-PACKET: reply %s - expected the connection to be closed" % reply)
    bad += 1
except (EOFError, OSError) as e:
    print("# BIG-PACKET: connection closed by the milter (%s)" % e.__class__.__name__)
m = client(port)
reply, actions = message(m, "BIG-AFTER", [(n, v.encode()) for n, v in STD])
if reply != "c":
    print("# BIG-AFTER: reply %s" % reply)
    bad += 1
m.quit()
sys.exit(1 if bad else 0)
