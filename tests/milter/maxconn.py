#!/usr/bin/python3
"""maxconn.py PORT LIMIT - limits.max_connections: LIMIT connections are
served; one more is answered with a temporary failure at connect (421
4.3.2); once one closes, a new connection is served again."""
import sys
import time

import milterclient as mc


def connect(port):
    m = mc.Milter(port)
    return m, m.connect_info("mail.example.com", "4", "192.0.2.10")


port, limit = int(sys.argv[1]), int(sys.argv[2])
held = []
for i in range(limit):
    m, reply = connect(port)
    if reply != "c":
        sys.exit("connection %d of %d got %r, expected continue" % (i + 1, limit, reply))
    held.append(m)
extra, reply = connect(port)
if reply not in ("t", "y"):
    sys.exit("connection %d over the limit got %r, expected a tempfail" % (limit + 1, reply))
extra.close()
held.pop().close()
deadline = time.time() + 5  # the daemon counts the close when its connection thread sees it
while True:
    again, reply = connect(port)
    again.close()
    if reply == "c":
        break
    if time.time() > deadline:
        sys.exit("after a close, a new connection still got %r" % reply)
    time.sleep(0.1)
for m in held:
    m.close()
