#!/usr/bin/python3
"""reportsend.py - N messages through the milter, as N SMTP sessions

    reportsend.py PORT N IP DOMAIN [QID_PREFIX]

Each message: client IP, HELO mail.example.com, MAIL FROM <bob@DOMAIN>,
From: bob@DOMAIN. Prints the end-of-message replies as "REPLY:COUNT"
words (c continue, y a reply code: reject or tempfail) and exits 0 when
every message got one, 1 when a connection failed."""
import sys
from collections import Counter

from milterclient import client, message

port, n, ip, domain = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
prefix = sys.argv[5] if len(sys.argv) > 5 else "RS"
got = Counter()
for k in range(n):
    try:
        m = client(port, ip)
        reply, _ = message(m, "%s%d" % (prefix, k),
                           [("From", "bob@%s" % domain), ("To", "user@example.org"),
                            ("Subject", "report test %d" % k)],
                           mail_from="<bob@%s>" % domain)
        got[reply] += 1
        m.quit()
    except (OSError, EOFError) as e:
        print("# message %d: %s" % (k, e))
        got["error"] += 1
print(" ".join("%s:%d" % kv for kv in sorted(got.items())))
sys.exit(1 if got["error"] else 0)
